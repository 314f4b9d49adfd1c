import type { ClientAuthMethod } from './settings';

/** What the user needs to fix a refused token request. */
export interface RefusalContext {
	method: ClientAuthMethod;
	clientId: string;
	/** Subject DN of the client certificate, as partners register it for tls_client_auth. */
	subject: string;
	/** x5t#S256 of the client certificate. */
	thumbprint: string;
	/** RFC 7638 thumbprint of the signing key, for private_key_jwt. */
	keyId?: string;
	scope?: string;
	audience?: string;
}

type Fix = (context: RefusalContext) => string;

/** How the client identified itself, in words the partner's onboarding team uses. */
const REGISTRATION: Record<ClientAuthMethod, Fix> = {
	tls_client_auth: (c) => `the authorization server does not know this certificate for client "${c.clientId}": `
		+ `register its subject DN "${c.subject}" (or its thumbprint x5t#S256 "${c.thumbprint}") for that client at the partner, `
		+ 'and check the Client ID.',
	self_signed_tls_client_auth: (c) => `the authorization server does not know this certificate for client "${c.clientId}": `
		+ `register the certificate (thumbprint x5t#S256 "${c.thumbprint}") in the client's JWKS at the partner, and check the Client ID.`,
	private_key_jwt: (c) => `the authorization server did not accept the signed client assertion of client "${c.clientId}": `
		+ `register the public key of this certificate (kid "${c.keyId ?? ''}", certificate x5t#S256 "${c.thumbprint}") `
		+ 'in the client\'s JWKS, and check the Client ID and this machine\'s clock.',
	client_secret_basic: (c) => `the authorization server did not accept client "${c.clientId}" with this secret: `
		+ 'check "Client ID" and "Client Secret" (some servers expect client_secret_post instead of client_secret_basic).',
	client_secret_post: (c) => `the authorization server did not accept client "${c.clientId}" with this secret: `
		+ 'check "Client ID" and "Client Secret" (some servers expect client_secret_basic instead of client_secret_post).',
};

/**
 * The fix for each RFC 6749 §5.2 error (and RFC 8707's invalid_target). Partners word
 * `error_description` freely; the code is what we can rely on.
 */
const FIXES: Record<string, Fix> = {
	invalid_client: (c) => `Client authentication failed: ${REGISTRATION[c.method](c)}`,
	unauthorized_client: (c) => `Client "${c.clientId}" may not use the client credentials grant: ask the partner to enable it.`,
	invalid_scope: (c) => `The scope "${c.scope ?? ''}" is not allowed for this client: correct the "Scope" field `
		+ 'to what the partner registered (space-separated).',
	invalid_grant: () => 'The authorization server refused the grant: ask the partner whether client credentials are enabled '
		+ 'for this client and environment.',
	unsupported_grant_type: () => 'This endpoint does not offer the client credentials grant: check the Token URL (or Issuer URL).',
	invalid_request: () => 'The token request misses a parameter the partner needs or repeats one: '
		+ 'compare "Extra Token Parameters" with the partner\'s documentation.',
	invalid_target: (c) => `The audience/resource "${c.audience ?? ''}" is unknown to the authorization server: correct the "Audience" field.`,
};

/** The fix to show for an `error` code; unknown codes point at the partner's description. */
export function fixFor(error: string | undefined, context: RefusalContext): string {
	const fix = error ? FIXES[error] : undefined;
	if (fix) return fix(context);
	return 'The partner\'s description above says what went wrong; check the Token URL and the client\'s registration with the partner.';
}

/** A description from the partner, safe to show: one line, bounded. */
export function cleanDescription(text: unknown): string | undefined {
	if (typeof text !== 'string' || !text.trim()) return undefined;
	const line = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
	return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
