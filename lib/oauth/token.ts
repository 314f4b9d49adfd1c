import type { KeyObject } from 'node:crypto';
import type { Dispatcher } from 'undici';

import { HttpRequest, HttpResponse, send } from '../http/send';
import { jwkThumbprint, signClientAssertion } from './assertion';
import { OAuthError } from './errors';
import type { OAuthSettings } from './settings';
import { cleanDescription, fixFor, RefusalContext } from './tokenErrors';

/** A token response (RFC 6749 §5.1) reduced to what the node uses. */
export interface TokenResponse {
	accessToken: string;
	tokenType: 'Bearer';
	/** Seconds, as the server said; undefined when it did not. */
	expiresIn?: number;
	/** The scope granted, when the server said (it may differ from the one asked for). */
	scope?: string;
}

export interface TokenRequestContext {
	/** The token endpoint to call (from the settings or discovery). */
	endpoint: URL;
	/** Subject DN and x5t#S256 of the client certificate, for messages and the assertion header. */
	subject: string;
	thumbprint: string;
	/** Loads the private key for private_key_jwt, only when a request is made. */
	signingKey?: () => KeyObject;
	/** token_endpoint_auth_signing_alg_values_supported, when discovery told. */
	signingAlgorithms?: string[];
	/** Abort, outbound rules and timeout of the execution. */
	shared?: Pick<HttpRequest, 'signal' | 'egress' | 'timeout'>;
}

const TOKEN_BODY_BYTES = 256 * 1024;
/** Milliseconds to wait for the token endpoint when the execution sets no timeout; undici's own default is 5 minutes. */
const TOKEN_TIMEOUT_MS = 30_000;
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * The client credentials grant (RFC 6749 §4.4) over the execution's mTLS dispatcher, so the token
 * request uses the same certificate, CA, proxy, pins and outbound rules as the API calls.
 *
 * @throws OAuthError OAUTH_TOKEN_REQUEST_FAILED (with the RFC 6749 `error`) or OAUTH_TOKEN_RESPONSE_INVALID
 * @throws TransportError when the token endpoint cannot be reached
 */
export async function requestToken(dispatcher: Dispatcher, settings: OAuthSettings, context: TokenRequestContext): Promise<TokenResponse> {
	const form = new URLSearchParams({ grant_type: 'client_credentials' });
	const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
	let keyId: string | undefined;
	const method = settings.clientAuthMethod;
	if (method === 'client_secret_basic') {
		// RFC 6749 §2.3.1: both parts form-encoded before base64.
		const pair = `${formEncode(settings.clientId)}:${formEncode(settings.clientSecret ?? '')}`;
		headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
	} else {
		// RFC 8705 §2 requires client_id with the certificate methods; the others carry it too.
		form.set('client_id', settings.clientId);
	}
	if (method === 'client_secret_post') form.set('client_secret', settings.clientSecret ?? '');
	if (method === 'private_key_jwt') {
		if (!context.signingKey) throw new Error('private_key_jwt needs the signing key');
		const key = context.signingKey();
		keyId = jwkThumbprint(key);
		form.set('client_assertion_type', JWT_BEARER);
		form.set('client_assertion', signClientAssertion(key, {
			clientId: settings.clientId,
			audience: context.endpoint.href,
			certificateThumbprint: context.thumbprint,
			supportedAlgorithms: context.signingAlgorithms,
		}));
	}
	if (settings.scope) form.set('scope', settings.scope);
	if (settings.audience) form.append('resource', settings.audience);
	for (const { name, value } of settings.tokenParameters) form.append(name, value);
	const response = await send(dispatcher, {
		method: 'POST',
		url: context.endpoint,
		headers,
		body: form.toString(),
		redirect: { follow: false, max: 0, allowCrossOrigin: false },
		timeout: TOKEN_TIMEOUT_MS,
		...context.shared,
	}, TOKEN_BODY_BYTES);
	const refusal: RefusalContext = {
		method,
		clientId: settings.clientId,
		subject: context.subject,
		thumbprint: context.thumbprint,
		keyId,
		scope: settings.scope,
		audience: settings.audience,
	};
	if (response.statusCode !== 200) throw refused(response, context.endpoint, refusal);
	return readTokenResponse(response, context.endpoint);
}

function refused(response: HttpResponse, endpoint: URL, context: RefusalContext): OAuthError {
	const body = parseJson(response.body);
	const error = typeof body?.error === 'string' ? body.error : undefined;
	const description = cleanDescription(body?.error_description);
	const status = `HTTP ${response.statusCode}${response.statusMessage ? ` ${response.statusMessage}` : ''}`;
	const said = error ? `${error}${description ? `: ${description}` : ''}` : status;
	return new OAuthError('OAUTH_TOKEN_REQUEST_FAILED', `The token request to ${endpoint.host} was refused (${said})`, {
		oauthError: error,
		description: error ? fixFor(error, context) : `${endpoint.origin}${endpoint.pathname} did not answer with an OAuth error: check the Token URL.`,
	});
}

function readTokenResponse(response: HttpResponse, endpoint: URL): TokenResponse {
	const body = parseJson(response.body);
	const token = body?.access_token;
	if (typeof token !== 'string' || !token) {
		throw invalidResponse(endpoint, 'has no access_token', 'Check that the Token URL is the token endpoint, not another URL of the server.');
	}
	const type = String(body?.token_type ?? '');
	// RFC 6749 §7.1: the type is case-insensitive; only Bearer (RFC 6750) can be sent as is.
	if (type.toLowerCase() !== 'bearer') {
		const fix = 'This node sends Bearer tokens (certificate-bound per RFC 8705); DPoP or MAC tokens need another client. '
			+ 'Ask the partner for Bearer tokens for this client.';
		throw invalidResponse(endpoint, `issued a "${type || 'missing'}" token, not a Bearer token`, fix);
	}
	const expiresIn = Number(body?.expires_in);
	return {
		accessToken: token,
		tokenType: 'Bearer',
		expiresIn: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : undefined,
		scope: typeof body?.scope === 'string' ? body.scope : undefined,
	};
}

function invalidResponse(endpoint: URL, what: string, description: string): OAuthError {
	return new OAuthError('OAUTH_TOKEN_RESPONSE_INVALID', `The token response from ${endpoint.host} ${what}`, { description });
}

function parseJson(body: Buffer): Record<string, unknown> | undefined {
	try {
		const value = JSON.parse(body.toString('utf8')) as unknown;
		return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
	} catch {
		// A proxy's HTML error page or an empty body: reported by status.
		return undefined;
	}
}

function formEncode(text: string): string {
	return new URLSearchParams({ v: text }).toString().slice(2);
}
