/**
 * Error classes of the package. Each carries a stable `code`, a plain-language `description` that
 * says what to do, the `field` the user has to fix when there is one, and the original error on
 * `cause`. Messages never contain key material, passphrases or PEM text.
 */
export interface MtlsErrorOptions {
	description?: string;
	field?: string;
	cause?: unknown;
}

export class MtlsError extends Error {
	readonly code: string;
	readonly description?: string;
	readonly field?: string;

	constructor(code: string, message: string, options: MtlsErrorOptions = {}) {
		super(message, options.cause === undefined ? undefined : { cause: options.cause });
		this.name = 'MtlsError';
		this.code = code;
		this.description = options.description;
		this.field = options.field;
	}
}

/**
 * Every code a MaterialError carries. Modules import these constants rather than spell the string;
 * the strings are stable (workflows and the node layer match on them).
 */
export const MATERIAL_CODES = {
	INPUT_TOO_LARGE: 'INPUT_TOO_LARGE',
	BUNDLE_NO_PEM: 'BUNDLE_NO_PEM',
	BUNDLE_WRONG_CONTENT: 'BUNDLE_WRONG_CONTENT',
	BUNDLE_BAD_BLOCK: 'BUNDLE_BAD_BLOCK',
	BUNDLE_NO_KEY: 'BUNDLE_NO_KEY',
	BUNDLE_MANY_KEYS: 'BUNDLE_MANY_KEYS',
	BUNDLE_NO_CERTIFICATE: 'BUNDLE_NO_CERTIFICATE',
	BAD_CERTIFICATE: 'BAD_CERTIFICATE',
	CA_NO_PEM: 'CA_NO_PEM',
	CA_BAD_BLOCK: 'CA_BAD_BLOCK',
	PASSPHRASE_MISSING: 'PASSPHRASE_MISSING',
	PASSPHRASE_WRONG: 'PASSPHRASE_WRONG',
	KEY_UNREADABLE: 'KEY_UNREADABLE',
	/** The scheme is known but cannot be decrypted here (RC4, AES-GCM, an unknown OID): not a passphrase problem. */
	KEY_ENCRYPTION_UNSUPPORTED: 'KEY_ENCRYPTION_UNSUPPORTED',
	/** A PBKDF2 or PKCS#12 key derivation declares more iterations than the caps of lib/tls/cost.ts. */
	KDF_ITERATIONS_TOO_HIGH: 'KDF_ITERATIONS_TOO_HIGH',
	/** An scrypt key derivation declares more work (N·r·p) than the cap of lib/tls/cost.ts. */
	KDF_COST_TOO_HIGH: 'KDF_COST_TOO_HIGH',
	PKCS12_INVALID: 'PKCS12_INVALID',
	KEY_CERT_MISMATCH: 'KEY_CERT_MISMATCH',
	/** The key matches the certificate but cannot sign (damaged RSA private values). */
	KEY_UNUSABLE: 'KEY_UNUSABLE',
	CERTIFICATE_EXPIRED: 'CERTIFICATE_EXPIRED',
	CERTIFICATE_NOT_YET_VALID: 'CERTIFICATE_NOT_YET_VALID',
	NO_VALID_CERTIFICATE: 'NO_VALID_CERTIFICATE',
	SECURE_CONTEXT_FAILED: 'SECURE_CONTEXT_FAILED',
	/** OpenSSL's security level refuses the key size (RSA/DSA under 2048 bits on Node 24). */
	KEY_TOO_SMALL: 'KEY_TOO_SMALL',
	/** OpenSSL's security level refuses a certificate signature digest (MD5, SHA-1 on Node 24). */
	CERTIFICATE_DIGEST_TOO_WEAK: 'CERTIFICATE_DIGEST_TOO_WEAK',
	/** Source "Files on the n8n server" (lib/tls/files.ts): the path and what was expected, never the content. */
	FILE_NOT_FOUND: 'FILE_NOT_FOUND',
	FILE_NOT_ALLOWED: 'FILE_NOT_ALLOWED',
	FILE_NOT_READABLE: 'FILE_NOT_READABLE',
	FILE_NOT_REGULAR: 'FILE_NOT_REGULAR',
	FILE_TOO_LARGE: 'FILE_TOO_LARGE',
	FILE_PATH_MISSING: 'FILE_PATH_MISSING',
	FILE_PATHS_AMBIGUOUS: 'FILE_PATHS_AMBIGUOUS',
	FILE_PATH_NOT_ABSOLUTE: 'FILE_PATH_NOT_ABSOLUTE',
	/** Create Key and CSR needs the Next Passphrase to encrypt the new key. */
	NEXT_PASSPHRASE_REQUIRED: 'NEXT_PASSPHRASE_REQUIRED',
} as const;

export type MaterialCode = (typeof MATERIAL_CODES)[keyof typeof MATERIAL_CODES];

/** The certificate bundle, passphrase or CA certificates cannot be used. */
export class MaterialError extends MtlsError {
	declare readonly code: MaterialCode;

	constructor(code: MaterialCode, message: string, options?: MtlsErrorOptions) {
		super(code, message, options);
		this.name = 'MaterialError';
	}
}

/** A request parameter is invalid; `field` names the parameter. */
export class RequestSpecError extends MtlsError {
	constructor(code: string, message: string, options?: MtlsErrorOptions) {
		super(code, message, options);
		this.name = 'RequestSpecError';
	}
}

/** The request could not be completed: connection, TLS, redirect or timeout. */
export class TransportError extends MtlsError {
	constructor(code: string, message: string, options?: MtlsErrorOptions) {
		super(code, message, options);
		this.name = 'TransportError';
	}
}
