import type { HttpRequest } from '../http/send';
import type { OAuthSession } from './session';

/** The part of a response the retry decision looks at. */
export interface ResponseHead {
	statusCode: number;
	headers: Record<string, string | string[] | undefined>;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const INVALID_TOKEN = /\bBearer\b[^]*?\berror\s*=\s*"?invalid_token\b/i;
const OWN_AUTHORIZATION = 'The request sets its own Authorization header, so the credential\'s OAuth access token was not used. '
	+ 'Remove the header to send the token.';

/** A 401 whose challenge says the token itself was refused (RFC 6750 §3.1). */
export function isInvalidTokenChallenge(response: ResponseHead): boolean {
	if (response.statusCode !== 401) return false;
	const challenge = response.headers['www-authenticate'];
	return (Array.isArray(challenge) ? challenge : [challenge ?? '']).some((value) => INVALID_TOKEN.test(value));
}

/**
 * Sends `request` with the session's Bearer token. When the API answers 401 invalid_token (the
 * token was revoked, or the server restarted and forgot it), the token is dropped, a new one is
 * obtained and the request is sent once more: only for idempotent methods (RFC 9110 §9.2.2) and
 * requests without a body, which cannot have done anything twice. A request that carries its own
 * Authorization header is sent as is.
 */
export async function sendWithToken<R extends ResponseHead>(
	session: OAuthSession,
	request: HttpRequest,
	open: (request: HttpRequest) => Promise<R>,
	discard: (response: R) => Promise<void>,
): Promise<R> {
	if (Object.keys(request.headers).some((name) => name.toLowerCase() === 'authorization')) {
		session.hints.add(OWN_AUTHORIZATION);
		return open(request);
	}
	const token = await session.token();
	const response = await open(withToken(request, token.authorization()));
	const repeatable = IDEMPOTENT.has(request.method.toUpperCase()) || request.body === undefined;
	if (!repeatable || !isInvalidTokenChallenge(response)) return response;
	await discard(response);
	await session.reject(token);
	const fresh = await session.token();
	return open(withToken(request, fresh.authorization()));
}

function withToken(request: HttpRequest, authorization: string): HttpRequest {
	return { ...request, headers: { ...request.headers, authorization } };
}
