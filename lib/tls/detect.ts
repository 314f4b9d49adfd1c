/**
 * First step of loading a credential: what was pasted. PEM blocks sorted into the one key and the
 * certificates, or the base64 of a PKCS#12 file; the CA field's certificates. Nothing is decrypted.
 */
import { X509Certificate } from 'node:crypto';

import { findPemBlocks, PemBlock } from './pem';
import { looksLikePkcs12Base64 } from './pkcs12';
import { fail, FieldKey } from './texts';

/** Inputs larger than this are not certificate material; refuse them before parsing. */
export const MAX_INPUT_CHARS = 1024 * 1024;

export const CERTIFICATE_LABELS = new Set(['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE']);
/** Private key blocks OpenSSL reads: PKCS#8, and the traditional per-algorithm forms. */
const KEY_LABELS = new Set(['ENCRYPTED PRIVATE KEY', 'PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'DSA PRIVATE KEY']);

const CSR_ADVICE = 'A CSR is what you send to the partner; paste the certificate they sent back.';
const INSTEAD = 'Paste the certificate and its private key instead.';

/** Blocks that are not what the bundle needs: what they are, and what to do. */
const WRONG_THINGS: Record<string, { what: string; advice: string }> = {
	'CERTIFICATE REQUEST': { what: 'a certificate signing request (CSR)', advice: CSR_ADVICE },
	'NEW CERTIFICATE REQUEST': { what: 'a certificate signing request (CSR)', advice: CSR_ADVICE },
	'PUBLIC KEY': { what: 'a public key', advice: INSTEAD },
	'RSA PUBLIC KEY': { what: 'a public key', advice: INSTEAD },
	PKCS7: { what: 'a PKCS#7 container', advice: INSTEAD },
	CMS: { what: 'a PKCS#7 container', advice: INSTEAD },
	'OPENSSH PRIVATE KEY': {
		what: 'an OpenSSH private key',
		advice: 'TLS needs the key in PEM (PKCS#8) form: convert a copy with `ssh-keygen -p -m PKCS8 -f copy_of_key`, and paste it with the certificate the partner issued for it.',
	},
	'SSH2 ENCRYPTED PRIVATE KEY': {
		what: 'an SSH private key (PuTTY/ssh.com)',
		advice: 'Export the key as PKCS#8 PEM (PuTTYgen: Conversions → Export OpenSSH key, then `ssh-keygen -p -m PKCS8`).',
	},
	'PGP PRIVATE KEY BLOCK': { what: 'a PGP private key', advice: 'PGP keys cannot be used for TLS. ' + INSTEAD },
	'X509 CRL': { what: 'a certificate revocation list (CRL)', advice: INSTEAD },
};

export interface PemBundle {
	kind: 'pem';
	key: PemBlock;
	certificates: X509Certificate[];
}

export interface Pkcs12Bundle {
	kind: 'pkcs12';
	der: Buffer;
}

/**
 * @throws MaterialError BUNDLE_* codes, BAD_CERTIFICATE, INPUT_TOO_LARGE
 */
export function detectBundle(text: string): PemBundle | Pkcs12Bundle {
	checkSize(text, 'certificateBundle');
	const blocks = findPemBlocks(text);
	if (blocks.length === 0 && looksLikePkcs12Base64(text)) return { kind: 'pkcs12', der: Buffer.from(text.replace(/\s+/g, ''), 'base64') };
	if (blocks.length === 0) throw fail('noPem');
	const keys: PemBlock[] = [];
	const certificates: X509Certificate[] = [];
	for (const block of blocks) {
		const wrong = WRONG_THINGS[block.label];
		if (wrong) throw fail('wrongContent', { index: block.index, ...wrong });
		const isKey = KEY_LABELS.has(block.label);
		if (block.der.length === 0 && (isKey || CERTIFICATE_LABELS.has(block.label))) throw fail('badBlock', { index: block.index, label: block.label });
		if (isKey) keys.push(block);
		else if (CERTIFICATE_LABELS.has(block.label)) certificates.push(parseCertificate(block, 'certificateBundle'));
	}
	if (keys.length === 0) throw fail('noKey');
	if (keys.length > 1) throw fail('manyKeys', { count: keys.length });
	if (certificates.length === 0) throw fail('noCertificate');
	return { kind: 'pem', key: keys[0], certificates };
}

/**
 * @throws MaterialError CA_NO_PEM, CA_BAD_BLOCK, BAD_CERTIFICATE, INPUT_TOO_LARGE
 */
export function detectCaCertificates(text: string): X509Certificate[] {
	if (!text.trim()) return [];
	checkSize(text, 'caCertificates');
	const blocks = findPemBlocks(text);
	if (blocks.length === 0) throw fail('caNoPem');
	return blocks.map((block) => {
		if (!CERTIFICATE_LABELS.has(block.label) || block.der.length === 0) throw fail('caBadBlock', { index: block.index, label: block.label });
		return parseCertificate(block, 'caCertificates');
	});
}

function checkSize(text: string, field: FieldKey): void {
	if (text.length > MAX_INPUT_CHARS) throw fail('inputTooLarge', { field, kib: MAX_INPUT_CHARS / 1024 });
}

function parseCertificate(block: PemBlock, field: FieldKey): X509Certificate {
	try {
		return new X509Certificate(block.der);
	} catch (error) {
		throw fail('badCertificate', { index: block.index, field }, error);
	}
}
