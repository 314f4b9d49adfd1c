/**
 * Every text the credential loader shows: error messages with what to do, and the notes of
 * `TlsMaterial.warnings`. Messages quote the credential's field labels so they read on their own;
 * each error also carries the field key (`field`) for the node layer. No text ever receives a key,
 * a passphrase or PEM text: the facts passed in are names, counts and algorithm labels.
 */
import { MATERIAL_CODES as C, MaterialCode, MaterialError } from '../errors';

export type FieldKey = 'certificateBundle' | 'passphrase' | 'caCertificates';

export const FIELD_LABELS: Record<FieldKey, string> = {
	certificateBundle: 'Certificate Bundle',
	passphrase: 'Passphrase',
	caCertificates: 'CA Certificates',
};

const BUNDLE = `"${FIELD_LABELS.certificateBundle}"`;
const PASSPHRASE = `"${FIELD_LABELS.passphrase}"`;
const CA = `"${FIELD_LABELS.caCertificates}"`;

/** Re-encrypts a PKCS#8 or traditional key once, with what OpenSSL 3 writes by default. */
export const REENCRYPT_KEY = 'openssl pkcs8 -topk8 -v2 aes-256-cbc -in old.pem -out new.pem';
const LEGACY_PROVIDER = '(add `-provider legacy -provider default` if OpenSSL asks for it)';
/** Re-exports a PKCS#12 file once with OpenSSL 3's defaults (AES-256-CBC, PBKDF2, 2048 iterations); no plaintext file. */
export const REEXPORT_PKCS12 = 'openssl pkcs12 -in old.p12 -legacy -nodes | openssl pkcs12 -export -out new.p12';

const COPY_AGAIN = 'Copy the block again from the file the partner sent, from its BEGIN line to its END line.';
const CHECK_PASSPHRASE = `Check the ${PASSPHRASE} field: it is used exactly as typed, including spaces and letter case.`;

type Text<F> = { code: MaterialCode; field: FieldKey | ((facts: F) => FieldKey); message: (facts: F) => string; description: (facts: F) => string };

/** What was protected: a PEM key or a PKCS#12 file; the advice differs. */
interface Subject {
	what: string;
	pkcs12?: boolean;
}

const reencrypt = (facts: { pkcs12?: boolean }) =>
	facts.pkcs12 ? `Export the file once again with a modern cipher: \`${REEXPORT_PKCS12}\`.` : `Re-encrypt the key once with a modern cipher: \`${REENCRYPT_KEY}\` ${LEGACY_PROVIDER}.`;

/** The error texts, by name. `fail(name, facts)` turns one into a MaterialError. */
export const TEXTS = {
	inputTooLarge: {
		code: C.INPUT_TOO_LARGE,
		field: (f: { field: FieldKey; kib: number }) => f.field,
		message: (f: { field: FieldKey; kib: number }) => `The "${FIELD_LABELS[f.field]}" field is larger than ${f.kib} KiB`,
		description: () => 'Certificate material is a few kilobytes. Check that the right file was pasted.',
	},
	noPem: {
		code: C.BUNDLE_NO_PEM,
		field: 'certificateBundle',
		message: () => `The ${BUNDLE} field contains no PEM block`,
		description: () => 'Paste the private key and the client certificate as PEM text, each starting with a line like "-----BEGIN ENCRYPTED PRIVATE KEY-----" or "-----BEGIN CERTIFICATE-----", or the base64 of a .p12/.pfx file.',
	},
	wrongContent: {
		code: C.BUNDLE_WRONG_CONTENT,
		field: 'certificateBundle',
		message: (f: { index: number; what: string }) => `Block ${f.index} of the ${BUNDLE} field is ${f.what}, not a key or certificate`,
		description: (f: { index: number; what: string; advice: string }) => `The bundle needs the private key and the client certificate the partner issued. ${f.advice}`,
	},
	badBlock: {
		code: C.BUNDLE_BAD_BLOCK,
		field: 'certificateBundle',
		message: (f: { index: number; label: string }) => `Block ${f.index} of the ${BUNDLE} field (${f.label}) is damaged: its body is not base64`,
		description: () => COPY_AGAIN,
	},
	noKey: {
		code: C.BUNDLE_NO_KEY,
		field: 'certificateBundle',
		message: () => `The ${BUNDLE} field contains no private key`,
		description: () => 'Add the private key block ("-----BEGIN ENCRYPTED PRIVATE KEY-----" … "-----END ENCRYPTED PRIVATE KEY-----") to the certificate in the same field.',
	},
	noKeyPkcs12: {
		code: C.BUNDLE_NO_KEY,
		field: 'certificateBundle',
		message: () => `The PKCS#12 file in the ${BUNDLE} field contains no private key`,
		description: () => 'Export the certificate together with its private key (in Windows: "Yes, export the private key").',
	},
	manyKeys: {
		code: C.BUNDLE_MANY_KEYS,
		field: 'certificateBundle',
		message: (f: { count: number; pkcs12?: boolean }) => `The ${f.pkcs12 ? 'PKCS#12 file in the ' : ''}${BUNDLE} field contains ${f.count} private keys; it must contain exactly one`,
		description: (f: { count: number; pkcs12?: boolean }) => (f.pkcs12 ? 'Export only the client certificate with its own key.' : 'Keep only the private key that belongs to the client certificate.'),
	},
	noCertificate: {
		code: C.BUNDLE_NO_CERTIFICATE,
		field: 'certificateBundle',
		message: () => `The ${BUNDLE} field contains no certificate`,
		description: () => 'Add the client certificate block ("-----BEGIN CERTIFICATE-----" … "-----END CERTIFICATE-----") that the partner issued for this key.',
	},
	noCertificatePkcs12: {
		code: C.BUNDLE_NO_CERTIFICATE,
		field: 'certificateBundle',
		message: () => `The PKCS#12 file in the ${BUNDLE} field contains a private key but no certificate`,
		description: () => 'Export the file again with the certificate (and its chain) included, or paste the key and the certificate the partner issued as PEM text.',
	},
	badCertificate: {
		code: C.BAD_CERTIFICATE,
		field: (f: { index: number; field: FieldKey }) => f.field,
		message: (f: { index: number; field: FieldKey }) => `Block ${f.index} of the "${FIELD_LABELS[f.field]}" field is not a valid X.509 certificate`,
		description: () => 'Copy the certificate again from the file the partner sent, from its BEGIN line to its END line.',
	},
	caNoPem: {
		code: C.CA_NO_PEM,
		field: 'caCertificates',
		message: () => `The ${CA} field contains no PEM certificate`,
		description: () => 'Paste the CA certificate(s) of the partner\'s server as PEM text ("-----BEGIN CERTIFICATE-----" …), or leave the field empty to trust the usual public CAs only.',
	},
	caBadBlock: {
		code: C.CA_BAD_BLOCK,
		field: 'caCertificates',
		message: (f: { index: number; label: string }) => `Block ${f.index} of the ${CA} field is not a certificate (${f.label})`,
		description: () => 'This field takes only CA certificates ("-----BEGIN CERTIFICATE-----"). Remove that block or copy it again.',
	},
	passphraseMissing: {
		code: C.PASSPHRASE_MISSING,
		field: 'passphrase',
		message: () => `The private key is encrypted, but the ${PASSPHRASE} field is empty`,
		description: () => 'Enter the passphrase the partner gave you for the key.',
	},
	passphraseWrong: {
		code: C.PASSPHRASE_WRONG,
		field: 'passphrase',
		message: (f: Subject) => `The ${PASSPHRASE} does not decrypt the ${f.what}`,
		description: () => CHECK_PASSPHRASE,
	},
	keyUnreadable: {
		code: C.KEY_UNREADABLE,
		field: 'certificateBundle',
		message: (f: { what: string }) => `The ${f.what} in the ${BUNDLE} field cannot be read`,
		description: () => 'Copy the key block again from the file the partner sent, from its BEGIN line to its END line.',
	},
	keyUnreadablePkcs12: {
		code: C.KEY_UNREADABLE,
		field: 'certificateBundle',
		message: () => `The private key in the PKCS#12 file in the ${BUNDLE} field cannot be read`,
		description: () => 'Check the passphrase, then export the file again from the source, or convert it to PEM with `openssl pkcs12 -in client.p12 -nodes` and paste the key and certificate.',
	},
	encryptionUnsupported: {
		code: C.KEY_ENCRYPTION_UNSUPPORTED,
		field: 'certificateBundle',
		message: (f: Subject & { scheme: string }) => `The ${f.what} is encrypted with ${f.scheme}, which this node cannot decrypt (this is not a passphrase problem)`,
		description: (f: Subject & { scheme: string }) => reencrypt(f),
	},
	iterationsTooHigh: {
		code: C.KDF_ITERATIONS_TOO_HIGH,
		field: 'certificateBundle',
		message: (f: Subject & { iterations: number; scheme: string; work: number; cap: number; legacy: boolean }) =>
			`The ${f.what} declares ${f.iterations} key-derivation iterations (${f.scheme}): ${f.work} units of work, more than this node does ${f.legacy ? 'for a legacy cipher' : 'per key derivation'} (${f.cap}, one unit being one HMAC-SHA-256 iteration)`,
		description: (f: Subject) => `Deriving the key would block n8n for seconds. ${reencrypt(f)}`,
	},
	totalTooHigh: {
		code: C.KDF_ITERATIONS_TOO_HIGH,
		field: 'certificateBundle',
		message: (f: Subject & { total: number; cap: number }) => `The ${f.what} needs ${f.total} units of key-derivation work in all, more than this node does for one credential (${f.cap}, one unit being one HMAC-SHA-256 iteration)`,
		description: (f: Subject) => `Deriving the keys would block n8n for seconds. ${reencrypt(f)}`,
	},
	scryptTooHigh: {
		code: C.KDF_COST_TOO_HIGH,
		field: 'certificateBundle',
		message: (f: Subject & { n: number; r: number; p: number; cap: number }) => `The ${f.what} uses scrypt with N=${f.n}, r=${f.r}, p=${f.p}: more work (N·r·p) or memory (128·N·r bytes) than this node computes (N·r·p ≤ ${f.cap}, under 32 MiB)`,
		description: (f: Subject) => `Deriving the key would block n8n for seconds. ${reencrypt(f)}`,
	},
	notPkcs12: {
		code: C.PKCS12_INVALID,
		field: 'certificateBundle',
		message: () => `The ${BUNDLE} field holds base64 that is not a PKCS#12 (.p12/.pfx) file`,
		description: () => 'Paste the PEM text of the key and certificate, or the base64 of the whole .p12 file (`base64 -w0 client.p12`).',
	},
	pkcs12Unreadable: {
		code: C.PKCS12_INVALID,
		field: 'certificateBundle',
		message: (f: { reason: string }) => `The PKCS#12 (.p12/.pfx) file in the ${BUNDLE} field cannot be read (${f.reason})`,
		description: () => 'Export it again from the source, or convert it to PEM with `openssl pkcs12 -in client.p12 -nodes` and paste the key and certificate.',
	},
	keyCertMismatch: {
		code: C.KEY_CERT_MISMATCH,
		field: 'certificateBundle',
		message: (f: { subjects: string }) => `The private key does not belong to the certificate in the ${BUNDLE} field (${f.subjects})`,
		description: (f: { subjects: string }) => `The key and the certificate must be issued together. Paste the certificate the partner issued for this key (the bundle holds ${f.subjects}), or the key you generated the request with.`,
	},
	keyUnusable: {
		code: C.KEY_UNUSABLE,
		field: 'certificateBundle',
		message: () => `The private key in the ${BUNDLE} field matches the certificate but cannot sign: its private values are damaged`,
		description: () => 'No server would accept a handshake signed with it. Ask the partner (or whoever made the key) for a new key and certificate.',
	},
	notYetValid: {
		code: C.CERTIFICATE_NOT_YET_VALID,
		field: 'certificateBundle',
		message: (f: { name: string; from: string; to: string }) => `The client certificate "${f.name}" is not valid before ${f.from}`,
		description: (f: { name: string; from: string; to: string }) => `It is valid from ${f.from} to ${f.to}. Wait until then, or check this machine's clock.`,
	},
	expired: {
		code: C.CERTIFICATE_EXPIRED,
		field: 'certificateBundle',
		message: (f: { name: string; from: string; to: string }) => `The client certificate "${f.name}" expired on ${f.to}`,
		description: (f: { name: string; from: string; to: string }) => `It was valid from ${f.from} to ${f.to}. Ask the partner for a new certificate and paste it with its key.`,
	},
	noValidCertificate: {
		code: C.NO_VALID_CERTIFICATE,
		field: 'certificateBundle',
		message: (f: { now: string; current: string; next: string }) => `Neither the client certificate nor the next one is valid now (${f.now})`,
		description: (f: { now: string; current: string; next: string }) => `The current one is valid ${f.current}; the next one ${f.next}. Paste a certificate that is valid today.`,
	},
	contextFailed: {
		code: C.SECURE_CONTEXT_FAILED,
		field: 'certificateBundle',
		message: (f: { reason: string }) => `The key and certificates could not be loaded into TLS (${f.reason})`,
		description: () => 'Check the key and certificate blocks; the key type may not be supported by this Node.js version.',
	},
	keyTooSmall: {
		code: C.KEY_TOO_SMALL,
		field: 'certificateBundle',
		message: (f: { key: string; node: string; level: string }) => `The ${f.key} key is too small for this Node.js (${f.node}): ${f.level}`,
		description: () => 'Ask the partner for a certificate on a new key of at least 2048 bits (RSA) or an EC P-256 key.',
	},
	digestTooWeak: {
		code: C.CERTIFICATE_DIGEST_TOO_WEAK,
		field: 'certificateBundle',
		message: (f: { name: string; digest: string; node: string; level: string }) => `The certificate "${f.name}" is signed with ${f.digest}, which this Node.js (${f.node}) refuses: ${f.level}`,
		description: () => 'Ask the partner to issue the certificate (or the CA certificate) again with SHA-256.',
	},
} as const;

type Texts = typeof TEXTS;
type Arg<F> = F extends (facts: infer A) => unknown ? A : unknown;
type FactsOf<K extends keyof Texts> = Arg<Texts[K]['message']> & Arg<Texts[K]['description']> & Arg<Texts[K]['field']>;

/** The MaterialError of a text, with its code, field, message and description. */
export function fail<K extends keyof Texts>(name: K, ...[facts, cause]: unknown extends FactsOf<K> ? [undefined?, unknown?] : [FactsOf<K>, unknown?]): MaterialError {
	const text = TEXTS[name] as unknown as Text<FactsOf<K>>;
	const f = facts as FactsOf<K>;
	return new MaterialError(text.code, text.message(f), {
		field: typeof text.field === 'function' ? text.field(f) : text.field,
		description: text.description(f),
		cause,
	});
}

/** The notes of `TlsMaterial.warnings`. */
export const NOTES = {
	unencrypted: 'The private key in the credential is not encrypted. Partners usually issue encrypted keys (PKCS#8 with a passphrase); n8n encrypts stored credentials, but an encrypted key is the safer form to keep.',
	weakEncryption: (protection: string, pkcs12: boolean) =>
		`The private key is protected with weak legacy encryption (${protection}). It works, but ${pkcs12 ? `export the file once again: ${REEXPORT_PKCS12}` : `re-encrypt it once: ${REENCRYPT_KEY}`}`,
	noClientAuth: (name: string) => `The client certificate "${name}" is not marked for client authentication (no "clientAuth" extended key usage); many servers will reject it.`,
	chainOpen: (name: string, issuer: string) =>
		`The certificate chain in the bundle ends at "${name}", issued by "${issuer}", which is not in the bundle. That is fine when the server knows that CA; if the server rejects the certificate, add the intermediate CA certificate(s) the partner provided.`,
	dsaKey: (bits: number | undefined) =>
		`The client key is a DSA key${bits ? ` (${bits} bits)` : ''}. TLS 1.3 has no DSA signatures: with TLS 1.3 the node sends no certificate at all and the server refuses the connection. Set "Maximum TLS Version" to TLS 1.2 for this partner, or better ask for a certificate on a new RSA (2048+ bits) or EC P-256 key.`,
	unusableCurve: (curve: string) =>
		`The client key is on the ${curve} curve. TLS 1.3 signs only with P-256, P-384, P-521, Ed25519, Ed448 and RSA, and TLS 1.2 servers refuse other curves as well ("wrong curve"): the node would send no certificate. Ask the partner for a certificate on a new EC P-256 or RSA key.`,
	upgradeKeySize: (type: string, bits: number) =>
		`The ${type.toUpperCase()} key has ${bits} bits. This Node.js accepts it, but OpenSSL at security level 2, the default of Node.js 24, refuses keys under 2048 bits ("ee key too small"): the credential stops working after an upgrade. Ask the partner for a certificate on a new key of 2048 bits or more.`,
	upgradeDigest: (name: string, digest: string) =>
		`The certificate "${name}" is signed with ${digest}. This Node.js accepts it, but OpenSSL at security level 2 (the default of several Linux distributions' Node.js builds, e.g. Debian's) refuses MD5 and SHA-1 signatures ("ca md too weak"): the credential stops working after an upgrade or a move to another machine. Ask the partner to issue it again with SHA-256.`,
} as const;
