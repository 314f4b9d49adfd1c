import { createHmac, createPrivateKey, KeyObject, randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { env } from 'node:process';
import * as tls from 'node:tls';

import { MaterialError } from '../errors';
import { allowsClientAuth, commonName, formatName } from './inspect';
import { decryptLegacyPkcs8, decryptLegacyTraditionalRsa, looksLikePkcs12Base64, readPkcs12 } from './legacy';
import { describePkcs8Encryption } from './pkcs8';
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
	/** How the key was protected, e.g. "PBES2 aes-256-cbc, PBKDF2 hmacWithSHA256" or "PKCS#12". */
	protection?: string;
	/** Protected with a cipher OpenSSL 3 only reads with its legacy provider (RC2, DES, RC4). */
	legacy: boolean;
}

/** How the secure context gets the key: the user's PEM or PFX as given, or a re-encrypted copy. */
type ContextKey = { key: string; passphrase?: string } | { pfx: Buffer; passphrase?: string };

interface ParsedBundle {
	key: KeyObject;
	certificates: X509Certificate[];
	contextKey: ContextKey;
	protection?: string;
	encrypted: boolean;
	legacy: boolean;
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
	/** Refuse a client certificate outside its validity dates (default true). */
	checkValidity?: boolean;
	/** TLS versions the secure context allows (default TLSv1.2 to TLSv1.3). */
	versions?: TlsVersions;
}

export interface TlsVersions {
	min?: tls.SecureVersion;
	max?: tls.SecureVersion;
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
	const passphrase = input.passphrase ? input.passphrase : undefined;
	const blocks = findPemBlocks(bundle);
	const parsed = blocks.length === 0 && looksLikePkcs12Base64(bundle) ? readPkcs12Bundle(bundle, passphrase) : readPemBundle(blocks, passphrase);
	const leaf = parsed.certificates.find((certificate) => certificate.checkPrivateKey(parsed.key));
	if (!leaf) {
		const subjects = parsed.certificates.map((certificate) => `"${commonName(certificate)}"`).join(', ');
		throw new MaterialError('KEY_CERT_MISMATCH', `The private key does not belong to the certificate in the "${BUNDLE_FIELD}" field (${subjects})`, {
			field: 'certificateBundle',
			description: `The key and the certificate must be issued together. Paste the certificate the partner issued for this key (the bundle holds ${subjects}), or the key you generated the request with.`,
		});
	}
	if (options.checkValidity ?? true) checkValidity(leaf, now);
	const chain = orderChain(leaf, parsed.certificates);
	const ca = parseCaCertificates(input.caCertificates ?? '');
	const keyFacts = describeKey(parsed);
	const secureContext = buildSecureContext(parsed.contextKey, chain, ca, options.versions ?? {});
	return { secureContext, leaf, chain, ca, key: keyFacts, warnings: collectWarnings(leaf, chain, ca, keyFacts), fingerprint: fingerprintOf(input) };
}

function readPemBundle(blocks: PemBlock[], passphrase: string | undefined): ParsedBundle {
	if (blocks.length === 0) {
		throw new MaterialError('BUNDLE_NO_PEM', `The "${BUNDLE_FIELD}" field contains no PEM block`, {
			field: 'certificateBundle',
			description:
				'Paste the private key and the client certificate as PEM text, each starting with a line like "-----BEGIN ENCRYPTED PRIVATE KEY-----" or "-----BEGIN CERTIFICATE-----", or the base64 of a .p12/.pfx file.',
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
	return { ...decryptKey(keyBlocks[0], passphrase), certificates };
}

/**
 * A PKCS#12 file: OpenSSL decrypts it for TLS when it can; node-forge lists its key and
 * certificates for the checks (Node has no PKCS#12 reader) and decrypts what OpenSSL 3 refuses.
 */
function readPkcs12Bundle(bundle: string, passphrase: string | undefined): ParsedBundle {
	const pfx = Buffer.from(bundle.replace(/\s+/g, ''), 'base64');
	const contents = readPkcs12(pfx, passphrase ?? '');
	const certificates = contents.certificates.map((der, index) => parseCertificate({ der, index: index + 1, label: 'CERTIFICATE', headers: {} }, BUNDLE_FIELD, 'certificateBundle'));
	let key: KeyObject;
	try {
		key = createPrivateKey({ key: contents.keyDer, format: 'der', type: 'pkcs8' });
	} catch (error) {
		// A file without a MAC is not checked against the passphrase: a wrong one decrypts the key to garbage.
		throw new MaterialError('KEY_UNREADABLE', `The private key in the PKCS#12 file in the "${BUNDLE_FIELD}" field cannot be read`, {
			field: 'certificateBundle',
			description: 'Check the passphrase, then export the file again from the source, or convert it to PEM with `openssl pkcs12 -in client.p12 -nodes` and paste the key and certificate.',
			cause: error,
		});
	} finally {
		contents.keyDer.fill(0);
	}
	const legacy = !opensslReadsPfx(pfx, passphrase);
	return { key, certificates, contextKey: legacy ? reencrypt(key) : { pfx, passphrase }, protection: 'PKCS#12', encrypted: true, legacy };
}

function opensslReadsPfx(pfx: Buffer, passphrase: string | undefined): boolean {
	try {
		tls.createSecureContext({ pfx, passphrase });
		return true;
	} catch {
		// "Unsupported PKCS12 PFX data": RC2-40/3DES files that OpenSSL 3 reads only with its legacy provider.
		return false;
	}
}

/** The key as PKCS#8 PEM encrypted with a random one-time passphrase, so no plaintext PEM exists. */
function reencrypt(key: KeyObject): ContextKey {
	const passphrase = randomBytes(32).toString('base64');
	return { key: key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }) as string, passphrase };
}

/** Keys the fingerprints of this process; caches and sessions live no longer than it. */
const FINGERPRINT_KEY = randomBytes(32);

/**
 * An HMAC of every field of the credential under a per-process random key. A plain hash would let
 * anyone holding it and the bundle test passphrase guesses at hash speed, far faster than the key's
 * own key derivation allows.
 */
export function fingerprintOf(input: MaterialInput): string {
	return createHmac('sha256', FINGERPRINT_KEY)
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

function decryptKey(block: PemBlock, passphrase: string | undefined): Omit<ParsedBundle, 'certificates'> {
	const encrypted = isEncrypted(block);
	const keyPem = toPem(block);
	const protection = block.label === 'ENCRYPTED PRIVATE KEY' ? safeDescribe(block.der) : block.headers['DEK-Info']?.split(',')[0];
	if (encrypted && passphrase === undefined) {
		throw new MaterialError('PASSPHRASE_MISSING', 'The private key is encrypted, but the "Passphrase" field is empty', {
			field: 'passphrase',
			description: 'Enter the passphrase the partner gave you for the key.',
		});
	}
	try {
		const key = createPrivateKey({ key: keyPem, format: 'pem', passphrase });
		return { key, contextKey: { key: keyPem, passphrase }, protection, encrypted, legacy: false };
	} catch (error) {
		if (encrypted && passphrase !== undefined && (error as { code?: string }).code === 'ERR_OSSL_EVP_UNSUPPORTED') {
			return { ...decryptLegacyKey(block, keyPem, passphrase), protection, encrypted, legacy: true };
		}
		// A PKCS#8 key that lost a line in copying fails in OpenSSL like a wrong passphrase; its
		// outer structure, readable without the passphrase (safeDescribe), tells the two apart.
		const damaged = block.label === 'ENCRYPTED PRIVATE KEY' && protection === undefined;
		if (encrypted && !damaged) {
			// OpenSSL reports a wrong passphrase with different codes depending on version and cipher
			// ("bad decrypt", an ASN.1 error after decrypting garbage, …): all of them mean the same here.
			throw new MaterialError('PASSPHRASE_WRONG', `The "${PASSPHRASE_FIELD}" does not decrypt the private key`, {
				field: 'passphrase',
				description: 'Check the "Passphrase" field: it is used exactly as typed, including spaces and letter case.',
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

/** A key whose cipher OpenSSL 3 refuses (RC2, DES, RC4): decrypted by lib/tls/legacy.ts. */
function decryptLegacyKey(block: PemBlock, keyPem: string, passphrase: string): Pick<ParsedBundle, 'key' | 'contextKey'> {
	if (block.label !== 'ENCRYPTED PRIVATE KEY' && block.label !== 'RSA PRIVATE KEY') {
		throw new MaterialError('KEY_ENCRYPTION_UNSUPPORTED', `The ${block.label.toLowerCase()} is encrypted with a legacy cipher this node cannot read`, {
			field: 'certificateBundle',
			description: 'Re-encrypt the key once with a modern cipher: `openssl pkcs8 -topk8 -v2 aes-256-cbc -in old.pem -out new.pem` (add `-provider legacy -provider default` if OpenSSL asks for it).',
		});
	}
	const der = block.label === 'ENCRYPTED PRIVATE KEY' ? decryptLegacyPkcs8(block.der, passphrase) : decryptLegacyTraditionalRsa(keyPem, passphrase);
	try {
		const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
		return { key, contextKey: reencrypt(key) };
	} catch (error) {
		// Legacy ciphers have no integrity check: a wrong passphrase can decrypt to well-formed garbage.
		throw new MaterialError('PASSPHRASE_WRONG', `The "${PASSPHRASE_FIELD}" does not decrypt the private key`, {
			field: 'passphrase',
			description: 'Check the "Passphrase" field: it is used exactly as typed, including spaces and letter case.',
			cause: error,
		});
	} finally {
		der.fill(0);
	}
}

function safeDescribe(der: Buffer): string | undefined {
	try {
		return describePkcs8Encryption(der).algorithm;
	} catch {
		// Unparseable structures are reported by the decryption that follows.
		return undefined;
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

function describeKey(parsed: ParsedBundle): KeyFacts {
	const details = parsed.key.asymmetricKeyDetails ?? {};
	return {
		type: parsed.key.asymmetricKeyType ?? 'unknown',
		size: details.modulusLength,
		curve: details.namedCurve,
		encrypted: parsed.encrypted,
		protection: parsed.protection,
		legacy: parsed.legacy,
	};
}


function buildSecureContext(contextKey: ContextKey, chain: X509Certificate[], ca: X509Certificate[], versions: TlsVersions): tls.SecureContext {
	try {
		const context = tls.createSecureContext({
			...contextKey,
			minVersion: versions.min ?? 'TLSv1.2',
			maxVersion: versions.max ?? 'TLSv1.3',
			// A PKCS#12 file brings its own certificates; otherwise the ordered chain goes along.
			cert: 'pfx' in contextKey ? undefined : chain.map((certificate) => certificate.toString()).join(''),
		});
		if (ca.length) addCertificateAuthorities(context, ca);
		return context;
	} catch (error) {
		throw new MaterialError('SECURE_CONTEXT_FAILED', 'The key and certificates could not be loaded into TLS', {
			field: 'certificateBundle',
			description: 'Check the key and certificate blocks; the key type may not be supported by this Node.js version.',
			cause: error,
		});
	}
}

/**
 * Adds the partner's CAs to the context's trust store on top of Node's default one (bundled roots,
 * NODE_EXTRA_CA_CERTS, system store where enabled). Passing `ca` to createSecureContext would
 * replace that store, and re-parsing ~140 default roots costs ~20 ms per credential; the native
 * context's addCACert copies the shared store once and adds ours, as Node does for `ca` itself.
 */
export function addCertificateAuthorities(context: tls.SecureContext, ca: X509Certificate[]): void {
	const native = (context as { context?: { addCACert?: (pem: string) => void } }).context;
	if (typeof native?.addCACert !== 'function') throw new Error('This Node.js version cannot add CA certificates to a TLS context');
	// The copy Node makes holds the bundled roots only; what else its default store has goes in again.
	for (const pem of [...defaultStoreAdditions(), ...ca.map((certificate) => certificate.toString())]) native.addCACert(pem);
}

let additions: string[] | undefined;

/**
 * The certificates Node's default store has beyond the bundled roots: NODE_EXTRA_CA_CERTS, and the
 * system store when Node runs with --use-system-ca. Read once per process, as Node does.
 */
function defaultStoreAdditions(): string[] {
	if (additions) return additions;
	const getCACertificates = (tls as { getCACertificates?: (type: string) => string[] }).getCACertificates;
	let text = '';
	if (getCACertificates) {
		text = getCACertificates('default').join('\n');
	} else {
		try {
			text = env.NODE_EXTRA_CA_CERTS ? readFileSync(env.NODE_EXTRA_CA_CERTS, 'utf8') : '';
		} catch {
			// Node itself only warns about an unreadable NODE_EXTRA_CA_CERTS file.
		}
	}
	// Extra files often repeat the bundled roots (a system bundle does); those are in the copy already.
	const bundled = new Set(findPemBlocks(tls.rootCertificates.join('\n')).map((block) => block.der.toString('base64')));
	additions = findPemBlocks(text)
		.filter((block) => CERTIFICATE_LABELS.has(block.label) && block.der.length && !bundled.has(block.der.toString('base64')))
		.map((block) => toPem(block));
	return additions;
}

function collectWarnings(leaf: X509Certificate, chain: X509Certificate[], ca: X509Certificate[], key: KeyFacts): string[] {
	const warnings: string[] = [];
	if (!key.encrypted) {
		warnings.push('The private key in the credential is not encrypted. Partners usually issue encrypted keys (PKCS#8 with a passphrase); n8n encrypts stored credentials, but an encrypted key is the safer form to keep.');
	}
	if (key.legacy || /DES|RC2|RC4|MD5|PBES1/i.test(key.protection ?? '')) {
		warnings.push(`The private key is protected with weak legacy encryption (${key.protection ?? 'legacy cipher'}). It works, but re-encrypt it once: openssl pkcs8 -topk8 -v2 aes-256-cbc -in old.pem -out new.pem`);
	}
	if (!allowsClientAuth(leaf)) {
		warnings.push(`The client certificate "${commonName(leaf)}" is not marked for client authentication (no "clientAuth" extended key usage); many servers will reject it.`);
	}
	const top = issuerPathEnd(leaf, chain);
	if (!top.checkIssued(top) && !ca.some((certificate) => top.checkIssued(certificate))) {
		warnings.push(`The certificate chain in the bundle ends at "${commonName(top)}", issued by "${formatName(top.issuer)}", which is not in the bundle. That is fine when the server knows that CA; if the server rejects the certificate, add the intermediate CA certificate(s) the partner provided.`);
	}
	return warnings;
}

/** The last certificate of the issuer path that starts at the leaf (chain is ordered that way). */
function issuerPathEnd(leaf: X509Certificate, chain: X509Certificate[]): X509Certificate {
	let end = leaf;
	for (const certificate of chain.slice(1)) {
		if (!end.checkIssued(certificate) || end.checkIssued(end)) break;
		end = certificate;
	}
	return end;
}
