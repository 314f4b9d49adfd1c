import { MtlsError, MtlsErrorOptions } from '../errors';

/**
 * Codes of the OAuth layer. Workflows match on them (`json.error.code` with continue-on-fail):
 * - OAUTH_TOKEN_REQUEST_FAILED: the token endpoint refused or failed (RFC 6749 §5.2 `error` in the message)
 * - OAUTH_TOKEN_NOT_BOUND: the token is bound to another certificate (RFC 8705 §3.1 `cnf`)
 * - OAUTH_DISCOVERY_FAILED: no usable metadata at the issuer (RFC 8414)
 * - OAUTH_SETTINGS_INVALID: a credential field is missing or malformed; `field` names it
 * - OAUTH_TOKEN_RESPONSE_INVALID: a 200 response that is not a usable Bearer token
 */
export type OAuthErrorCode =
	| 'OAUTH_TOKEN_REQUEST_FAILED'
	| 'OAUTH_TOKEN_NOT_BOUND'
	| 'OAUTH_DISCOVERY_FAILED'
	| 'OAUTH_SETTINGS_INVALID'
	| 'OAUTH_TOKEN_RESPONSE_INVALID';

/** Something about obtaining or using the access token; never carries the token, secret or key. */
export class OAuthError extends MtlsError {
	/** The RFC 6749 `error` value the authorization server returned, when it returned one. */
	readonly oauthError?: string;

	constructor(code: OAuthErrorCode, message: string, options: MtlsErrorOptions & { oauthError?: string } = {}) {
		super(code, message, options);
		this.name = 'OAuthError';
		this.oauthError = options.oauthError;
	}
}
