import { createHash, createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import * as tls from 'node:tls';

import { MaterialError } from '../errors';
import { allowsClientAuth, commonName } from './inspect';
import { findPemBlocks, PemBlock, toPem } from './pem';

/** The credential as the user filled it in. */
export interface MaterialInput {
	certificateBundle: string;
	passphrase?: string;
	caCertificates?: string;
}

export interface KeyFacts {
	type: string;
	size?: number;
	curve?: string;
	encrypted: boolean;
}

/**
 * Everything a connection needs, parsed once. The private key lives only inside `secureContext`
 * (OpenSSL memory); nothing here holds the key or the passphrase in JavaScript.
 */
export interface TlsMaterial {
	secureContext: tls.SecureContext;
	/** The client certificate, whose public key matches the private key. */
	leaf: X509Certificate;
	/** Leaf first, then its issuers in order, then any other certificate of the bundle. */
	chain: X509Certificate[];
	/** Certificates of the "CA Certificates" field. */
	ca: X509Certificate[];
	key: KeyFacts;
	/** Things that work but deserve the user's attention. */
	warnings: string[];
	/** Identifies the credential (a hash of all its fields) for caches; reveals nothing of it. */
	fingerprint: string;
}

export interface LoadOptions {
	now?: Date;
}

/** Inputs larger than this are not certificate material; refuse them before parsing. */
export const MAX_INPUT_CHARS = 1024 * 1024;

const BUNDLE_FIELD = 'Certificate Bundle';
const PASSPHRASE_FIELD = 'Passphrase';
const CA_FIELD = 'CA Certificates';

const CERTIFICATE_LABELS = new Set(['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE']);
const KEY_LABELS = new Set(['ENCRYPTED PRIVATE KEY', 'PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY']);
const WRONG_THINGS: Record<string, string> = {
	'CERTIFICATE REQUEST': 'a certificate signing request (CSR)',
	'NEW CERTIFICATE REQUEST': 'a certificate signing request (CSR)',
	'PUBLIC KEY': 'a public key',
	'RSA PUBLIC KEY': 'a public key',
	PKCS7: 'a PKCS#7 container',
	CMS: 'a PKCS#7 container',
};

/**
 * Parses and checks the credential, and builds the TLS secure context every connection of an
 * execution shares.
 *
 * @throws MaterialError naming the field to fix
 */
export function loadMaterial(input: MaterialInput, options: LoadOptions = {}): TlsMaterial {
	const now = options.now ?? new Date();
	const bundle = checkSize(input.certificateBundle ?? '', BUNDLE_FIELD);
	const blocks = findPemBlocks(bundle);
	if (blocks.length === 0) {
		throw new MaterialError('BUNDLE_NO_PEM', `The "${BUNDLE_FIELD}" field contains no PEM block`, {
			field: 'certificateBundle',
			description:
				'Paste the private key and the client certificate as PEM text, each starting with a line like "-----BEGIN ENCRYPTED PRIVATE KEY-----" or "-----BEGIN CERTIFICATE-----".',
		});
	}

	const keyBlocks: PemBlock[] = [];
	const certificates: X509Certificate[] = [];
	for (const block of blocks) {
		const wrong = WRONG_THINGS[block.label];
		if (wrong) {
			throw new MaterialError('BUNDLE_WRONG_CONTENT', `Block ${block.index} of the "${BUNDLE_FIELD}" field is ${wrong}, not a key or certificate`, {
				field: 'certificateBundle',
				description: `The bundle needs the private key and the client certificate the partner issued. ${wrong === 'a certificate signing request (CSR)' ? 'A CSR is what you send to the partner; paste the certificate they sent back.' : 'Paste the certificate and its private key instead.'}`,
			});
		}
		if (block.der.length === 0 && (KEY_LABELS.has(block.label) || CERTIFICATE_LABELS.has(block.label))) {
			throw new MaterialError('BUNDLE_BAD_BLOCK', `Block ${block.index} of the "${BUNDLE_FIELD}" field (${block.label}) is damaged: its body is not base64`, {
				field: 'certificateBundle',
				description: 'Copy the block again from the file the partner sent, from its BEGIN line to its END line.',
			});
		}
		if (KEY_LABELS.has(block.label)) keyBlocks.push(block);
		else if (CERTIFICATE_LABELS.has(block.label)) certificates.push(parseCertificate(block, BUNDLE_FIELD, 'certificateBundle'));
	}

	if (keyBlocks.length === 0) {
		throw new MaterialError('BUNDLE_NO_KEY', `The "${BUNDLE_FIELD}" field contains no private key`, {
			field: 'certificateBundle',
			description: 'Add the private key block ("-----BEGIN ENCRYPTED PRIVATE KEY-----" … "-----END ENCRYPTED PRIVATE KEY-----") to the certificate in the same field.',
		});
	}
	if (keyBlocks.length > 1) {
		throw new MaterialError('BUNDLE_MANY_KEYS', `The "${BUNDLE_FIELD}" field contains ${keyBlocks.length} private keys; it must contain exactly one`, {
			field: 'certificateBundle',
			description: 'Keep only the private key that belongs to the client certificate.',
		});
	}
	if (certificates.length === 0) {
		throw new MaterialError('BUNDLE_NO_CERTIFICATE', `The "${BUNDLE_FIELD}" field contains no certificate`, {
			field: 'certificateBundle',
			description: 'Add the client certificate block ("-----BEGIN CERTIFICATE-----" … "-----END CERTIFICATE-----") that the partner issued for this key.',
		});
	}

	const keyBlock = keyBlocks[0];
	const keyPem = toPem(keyBlock);
	const passphrase = input.passphrase ? input.passphrase : undefined;
	const key = decryptKey(keyPem, keyBlock, passphrase);
	const leaf = certificates.find((certificate) => certificate.checkPrivateKey(key));
	if (!leaf) {
		const subjects = certificates.map((certificate) => `"${commonName(certificate)}"`).join(', ');
		throw new MaterialError('KEY_CERT_MISMATCH', `The private key does not belong to the certificate in the "${BUNDLE_FIELD}" field (${subjects})`, {
			field: 'certificateBundle',
			description: 'The key and the certificate must be issued together. Paste the certificate the partner issued for this key, or the key you generated the request with.',
		});
	}
	checkValidity(leaf, now);
	const chain = orderChain(leaf, certificates);
	const ca = parseCaCertificates(input.caCertificates ?? '');
	const keyFacts = describeKey(key, isEncrypted(keyBlock));
	const secureContext = buildSecureContext(keyPem, passphrase, chain, ca);
	return { secureContext, leaf, chain, ca, key: keyFacts, warnings: collectWarnings(leaf, keyFacts), fingerprint: fingerprintOf(input) };
}

/**
 * A hash of every field of the credential. The bundle holds an encrypted key with a random salt,
 * so the hash gives no shortcut for guessing the passphrase.
 */
export function fingerprintOf(input: MaterialInput): string {
	return createHash('sha256')
		.update(JSON.stringify([input.certificateBundle ?? '', input.passphrase ?? '', input.caCertificates ?? '']))
		.digest('hex');
}

function checkSize(text: string, field: string): string {
	if (text.length > MAX_INPUT_CHARS) {
		throw new MaterialError('INPUT_TOO_LARGE', `The "${field}" field is larger than ${MAX_INPUT_CHARS / 1024} KiB`, {
			field: field === CA_FIELD ? 'caCertificates' : 'certificateBundle',
			description: 'Certificate material is a few kilobytes. Check that the right file was pasted.',
		});
	}
	return text;
}

function parseCertificate(block: PemBlock, field: string, fieldName: string): X509Certificate {
	try {
		return new X509Certificate(block.der);
	} catch (error) {
		throw new MaterialError('BAD_CERTIFICATE', `Block ${block.index} of the "${field}" field is not a valid X.509 certificate`, {
			field: fieldName,
			description: 'Copy the certificate again from the file the partner sent, from its BEGIN line to its END line.',
			cause: error,
		});
	}
}

function isEncrypted(block: PemBlock): boolean {
	return block.label === 'ENCRYPTED PRIVATE KEY' || /ENCRYPTED/.test(block.headers['Proc-Type'] ?? '');
}

function decryptKey(keyPem: string, block: PemBlock, passphrase: string | undefined): KeyObject {
	const encrypted = isEncrypted(block);
	if (encrypted && passphrase === undefined) {
		throw new MaterialError('PASSPHRASE_MISSING', 'The private key is encrypted, but the "Passphrase" field is empty', {
			field: 'passphrase',
			description: 'Enter the passphrase the partner gave you for the key.',
		});
	}
	try {
		return createPrivateKey({ key: keyPem, format: 'pem', passphrase });
	} catch (error) {
		if (encrypted) {
			// OpenSSL reports a wrong passphrase with different codes depending on version and cipher
			// ("bad decrypt", an ASN.1 error after decrypting garbage, …): all of them mean the same here.
			throw new MaterialError('PASSPHRASE_WRONG', `The "${PASSPHRASE_FIELD}" does not decrypt the private key`, {
				field: 'passphrase',
				description: 'Check the passphrase: it is used exactly as typed, including spaces and letter case.',
				cause: error,
			});
		}
		throw new MaterialError('KEY_UNREADABLE', `The private key in the "${BUNDLE_FIELD}" field cannot be read`, {
			field: 'certificateBundle',
			description: 'Copy the key block again from the file the partner sent, from its BEGIN line to its END line.',
			cause: error,
		});
	}
}

/**
 * @throws MaterialError when the client certificate is outside its validity dates
 */
export function checkValidity(leaf: X509Certificate, now: Date): void {
	const notBefore = new Date(leaf.validFrom);
	const notAfter = new Date(leaf.validTo);
	if (now < notBefore) {
		throw new MaterialError('CERTIFICATE_NOT_YET_VALID', `The client certificate "${commonName(leaf)}" is not valid before ${notBefore.toISOString()}`, {
			field: 'certificateBundle',
			description: `It is valid from ${notBefore.toISOString()} to ${notAfter.toISOString()}. Wait until then, or check this machine's clock.`,
		});
	}
	if (now > notAfter) {
		throw new MaterialError('CERTIFICATE_EXPIRED', `The client certificate "${commonName(leaf)}" expired on ${notAfter.toISOString()}`, {
			field: 'certificateBundle',
			description: `It was valid from ${notBefore.toISOString()} to ${notAfter.toISOString()}. Ask the partner for a new certificate and paste it with its key.`,
		});
	}
}

/** Orders the bundle leaf → issuer → issuer's issuer; certificates outside that path follow. */
function orderChain(leaf: X509Certificate, certificates: X509Certificate[]): X509Certificate[] {
	const chain = [leaf];
	const rest = certificates.filter((certificate) => certificate !== leaf);
	for (let current = leaf; ; ) {
		if (current.checkIssued(current)) break;
		const issuerIndex = rest.findIndex((candidate) => current.checkIssued(candidate));
		if (issuerIndex < 0) break;
		current = rest.splice(issuerIndex, 1)[0];
		chain.push(current);
	}
	return [...chain, ...rest];
}

function parseCaCertificates(text: string): X509Certificate[] {
	if (!text.trim()) return [];
	const blocks = findPemBlocks(checkSize(text, CA_FIELD));
	if (blocks.length === 0) {
		throw new MaterialError('CA_NO_PEM', `The "${CA_FIELD}" field contains no PEM certificate`, {
			field: 'caCertificates',
			description: 'Paste the CA certificate(s) of the partner\'s server as PEM text ("-----BEGIN CERTIFICATE-----" …), or leave the field empty to trust the usual public CAs only.',
		});
	}
	return blocks.map((block) => {
		if (!CERTIFICATE_LABELS.has(block.label) || block.der.length === 0) {
			throw new MaterialError('CA_BAD_BLOCK', `Block ${block.index} of the "${CA_FIELD}" field is not a certificate (${block.label})`, {
				field: 'caCertificates',
				description: 'This field takes only CA certificates ("-----BEGIN CERTIFICATE-----"). Remove that block or copy it again.',
			});
		}
		return parseCertificate(block, CA_FIELD, 'caCertificates');
	});
}

function describeKey(key: KeyObject, encrypted: boolean): KeyFacts {
	const details = key.asymmetricKeyDetails ?? {};
	return {
		type: key.asymmetricKeyType ?? 'unknown',
		size: details.modulusLength,
		curve: details.namedCurve,
		encrypted,
	};
}

/**
 * Node's default trust store: the bundled roots plus NODE_EXTRA_CA_CERTS (and the system store
 * with --use-system-ca) where this Node can tell, the bundled roots otherwise.
 */
function defaultCaCertificates(): readonly string[] {
	const getCACertificates = (tls as { getCACertificates?: (type: string) => string[] }).getCACertificates;
	return getCACertificates?.('default') ?? tls.rootCertificates;
}

function buildSecureContext(keyPem: string, passphrase: string | undefined, chain: X509Certificate[], ca: X509Certificate[]): tls.SecureContext {
	try {
		return tls.createSecureContext({
			key: keyPem,
			passphrase,
			cert: chain.map((certificate) => certificate.toString()).join(''),
			// Without `ca` Node uses its default store; with it, the store is replaced, so the
			// partner's CAs are added to the defaults rather than put in their place.
			ca: ca.length ? [...defaultCaCertificates(), ...ca.map((certificate) => certificate.toString())] : undefined,
		});
	} catch (error) {
		throw new MaterialError('SECURE_CONTEXT_FAILED', 'The key and certificates could not be loaded into TLS', {
			field: 'certificateBundle',
			description: 'Check the key and certificate blocks; the key type may not be supported by this Node.js version.',
			cause: error,
		});
	}
}

function collectWarnings(leaf: X509Certificate, key: KeyFacts): string[] {
	const warnings: string[] = [];
	if (!key.encrypted) {
		warnings.push('The private key in the credential is not encrypted. Partners usually issue encrypted keys (PKCS#8 with a passphrase); n8n encrypts stored credentials, but an encrypted key is the safer form to keep.');
	}
	if (!allowsClientAuth(leaf)) {
		warnings.push(`The client certificate "${commonName(leaf)}" is not marked for client authentication (no "clientAuth" extended key usage); many servers will reject it.`);
	}
	return warnings;
}
