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

/** The certificate bundle, passphrase or CA certificates cannot be used. */
export class MaterialError extends MtlsError {
	constructor(code: string, message: string, options?: MtlsErrorOptions) {
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
