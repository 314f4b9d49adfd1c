import { createHash, X509Certificate } from 'node:crypto';

import { OAuthError } from './errors';

/**
 * The certificate thumbprint of RFC 8705 §3.1 (`x5t#S256`): SHA-256 of the DER certificate,
 * base64url without padding. Partners register it for self_signed_tls_client_auth, and it is what
 * a certificate-bound token carries in `cnf`.
 */
export function certificateThumbprint(certificate: X509Certificate): string {
	return createHash('sha256').update(certificate.raw).digest('base64url');
}

/** The claims of a JWS compact token, or undefined for an opaque (or encrypted) token. */
export function readJwtClaims(token: string): Record<string, unknown> | undefined {
	const parts = token.split('.');
	if (parts.length !== 3) return undefined;
	try {
		const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as { alg?: unknown };
		if (typeof header?.alg !== 'string') return undefined;
		const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
		return claims && typeof claims === 'object' && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
	} catch {
		// Three dot-separated parts that are not JSON: an opaque token that happens to contain dots.
		return undefined;
	}
}

/** What the token says about its binding: true (matches), false (a JWT without `cnf`), null (opaque). */
export type Binding = boolean | null;

/**
 * Checks a JWT access token's `cnf.x5t#S256` against the certificate presented. The client does
 * not verify the token's signature (it is the resource server's to check); this only stops a token
 * that cannot work from being sent to the API.
 *
 * @throws OAuthError OAUTH_TOKEN_NOT_BOUND when the token is bound to another certificate
 */
export function checkBinding(token: string, thumbprint: string): Binding {
	const claims = readJwtClaims(token);
	if (!claims) return null;
	const cnf = claims.cnf as Record<string, unknown> | undefined;
	const bound = cnf && typeof cnf === 'object' ? cnf['x5t#S256'] : undefined;
	if (bound === undefined) return false;
	if (bound === thumbprint) return true;
	throw new OAuthError('OAUTH_TOKEN_NOT_BOUND', 'The authorization server bound the access token to another certificate than this credential\'s', {
		description: `The token's cnf x5t#S256 is "${String(bound)}", the client certificate's is "${thumbprint}". `
			+ 'The API would reject it, so it was not sent. A proxy in front of the token endpoint may be forwarding another certificate, '
			+ 'or the token endpoint is reached without this certificate: check the Token URL (use the mTLS endpoint alias) '
			+ 'and ask the partner which certificate they saw.',
	});
}
