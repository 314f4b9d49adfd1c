import { STATUS_CODES } from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Dispatcher } from 'undici';

import { RequestSpecError, TransportError } from '../errors';
import { toTransportError } from './failures';

export interface RedirectPolicy {
	follow: boolean;
	max: number;
	/** Follow redirects to another origin; the client certificate is then presented there too. */
	allowCrossOrigin: boolean;
}

export interface HttpRequest {
	method: string;
	url: URL;
	headers: Record<string, string>;
	body?: string | Buffer;
	/** Milliseconds to wait for the response headers, and between chunks of the body. */
	timeout?: number;
	redirect: RedirectPolicy;
	signal?: AbortSignal;
}

export interface HttpResponse {
	statusCode: number;
	statusMessage: string;
	headers: Record<string, string | string[]>;
	body: Buffer;
	/** Where the response came from, after redirects. */
	url: URL;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Headers that carry the caller's identity and must not follow a redirect to another origin. */
const ORIGIN_BOUND_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

/** The URL as it may appear in messages: without user name and password. */
export function displayUrl(url: URL): string {
	if (!url.username && !url.password) return url.href;
	const copy = new URL(url.href);
	copy.username = '';
	copy.password = '';
	return copy.href;
}

/**
 * Sends one request through the dispatcher and reads the whole response, following redirects
 * within the policy. The one caller of undici's request API.
 *
 * @throws RequestSpecError for a URL that is not https
 * @throws TransportError for connection, TLS, timeout and redirect failures
 */
export async function send(dispatcher: Dispatcher, request: HttpRequest): Promise<HttpResponse> {
	assertHttps(request.url, 'URL');
	let current = request;
	for (let redirects = 0; ; redirects++) {
		const response = await sendOnce(dispatcher, current);
		const location = response.headers.location;
		if (!current.redirect.follow || !REDIRECT_STATUSES.has(response.statusCode) || typeof location !== 'string') {
			return response;
		}
		if (redirects >= current.redirect.max) {
			throw new TransportError('TOO_MANY_REDIRECTS', `More than ${current.redirect.max} redirects, the last to ${displayUrl(current.url)}`, {
				description: 'The server keeps redirecting. Raise "Max Redirects" if that is expected, or check the URL.',
			});
		}
		current = nextRequest(current, response.statusCode, new URL(location, current.url), request.url);
	}
}

async function sendOnce(dispatcher: Dispatcher, request: HttpRequest): Promise<HttpResponse> {
	try {
		const response = await dispatcher.request({
			origin: request.url.origin,
			path: `${request.url.pathname}${request.url.search}`,
			method: request.method as Dispatcher.HttpMethod,
			headers: request.headers,
			body: request.body,
			headersTimeout: request.timeout,
			bodyTimeout: request.timeout,
			signal: request.signal,
		});
		const body = Buffer.from(await response.body.arrayBuffer());
		// undici returns the socket to its pool only after the body's end has been processed; a
		// request dispatched in the same tick would find it busy and open a second connection.
		await nextTurn();
		return {
			statusCode: response.statusCode,
			statusMessage: STATUS_CODES[response.statusCode] ?? '',
			headers: response.headers as Record<string, string | string[]>,
			body,
			url: request.url,
		};
	} catch (error) {
		throw toTransportError(error, request.url, { aborted: request.signal?.aborted });
	}
}

function nextRequest(previous: HttpRequest, status: number, target: URL, first: URL): HttpRequest {
	if (target.protocol !== 'https:') {
		throw new TransportError('REDIRECT_NOT_HTTPS', `The server redirected to ${displayUrl(target)}, which is not https; the redirect was not followed`, {
			description: 'A redirect from https to plain http would send the request unprotected. Ask the partner for the https address.',
		});
	}
	const crossOrigin = target.origin !== first.origin;
	if (crossOrigin && !previous.redirect.allowCrossOrigin) {
		throw new TransportError('REDIRECT_CROSS_ORIGIN', `The server redirected to another origin (${target.origin}); the redirect was not followed`, {
			description: 'Following it would present the client certificate to that host. If you trust it, turn on "Allow Cross-Origin Redirects" in the Redirects option, or call that URL directly.',
		});
	}
	const method = previous.method.toUpperCase();
	const toGet = status === 303 ? method !== 'HEAD' : (status === 301 || status === 302) && method === 'POST';
	const headers = { ...previous.headers };
	if (toGet) {
		for (const name of Object.keys(headers)) {
			if (/^content-/i.test(name)) delete headers[name];
		}
	}
	if (crossOrigin) {
		for (const name of Object.keys(headers)) {
			if (ORIGIN_BOUND_HEADERS.includes(name.toLowerCase())) delete headers[name];
		}
	}
	return { ...previous, url: target, method: toGet ? 'GET' : previous.method, body: toGet ? undefined : previous.body, headers };
}

function assertHttps(url: URL, field: string): void {
	if (url.protocol === 'https:') return;
	if (url.protocol === 'http:') {
		throw new RequestSpecError('URL_NOT_HTTPS', `The "${field}" uses http://; a client certificate is only sent over https://`, {
			field: 'url',
			description: `Change the URL to https://${url.host}${url.pathname}. If the partner API is plain http, use n8n's HTTP Request node instead: no certificate would be used.`,
		});
	}
	throw new RequestSpecError('URL_BAD_PROTOCOL', `The "${field}" must start with https:// (it starts with ${url.protocol}//)`, { field: 'url' });
}
