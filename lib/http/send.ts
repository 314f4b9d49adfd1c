import { STATUS_CODES } from 'node:http';
import { pipeline, Readable, Transform } from 'node:stream';
import { clearTimeout, setTimeout } from 'node:timers';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Dispatcher } from 'undici';

import { RequestSpecError, TransportError } from '../errors';
import { checkUrl, EgressFilter } from './egress';
import { toTransportError } from './failures';
import { encodeMultipart, MultipartBody, UploadStream } from './multipart';

export type { FilePart, MultipartBody, UploadStream } from './multipart';

export interface RedirectPolicy {
	follow: boolean;
	max: number;
	/** Follow redirects to another origin; the client certificate is then presented there too. */
	allowCrossOrigin: boolean;
	/** Why another origin is refused whatever the user's setting (tool use): told instead of the advice to allow it. */
	crossOriginLocked?: string;
}

export interface HttpRequest {
	method: string;
	url: URL;
	headers: Record<string, string>;
	body?: string | Buffer | MultipartBody | UploadStream;
	/** Milliseconds from sending (connecting included) to the response headers, and between chunks of the body. */
	timeout?: number;
	redirect: RedirectPolicy;
	signal?: AbortSignal;
	/** The n8n instance's outbound rules, checked for the URL and every redirect hop. */
	egress?: EgressFilter;
}

interface ResponseHead {
	statusCode: number;
	statusMessage: string;
	headers: Record<string, string | string[]>;
	/** Where the response came from, after redirects. */
	url: URL;
}

export interface HttpResponse extends ResponseHead {
	body: Buffer;
}

/** A response whose body has not been read yet; it is already decompressed. */
export interface StreamedResponse extends ResponseHead {
	body: Readable;
}

/** Default cap for a body read into memory (JSON and text). */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** The AbortSignal of each streamed body's request: an abort fails the body with the signal's reason, any value. */
const bodySignals = new WeakMap<Readable, AbortSignal>();
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
 * Sends one request and reads the whole (decompressed) response into memory, up to `maxBytes`.
 *
 * @throws RequestSpecError for a URL that is not https
 * @throws TransportError for connection, TLS, timeout, size and redirect failures
 */
export async function send(dispatcher: Dispatcher, request: HttpRequest, maxBytes = DEFAULT_MAX_BODY_BYTES): Promise<HttpResponse> {
	const response = await open(dispatcher, request);
	return { ...response, body: await readBody(response, maxBytes) };
}

/**
 * Sends one request through the dispatcher, following redirects within the policy, and returns
 * the response with its body as a stream. The one caller of undici's request API.
 *
 * @throws RequestSpecError for a URL that is not https
 * @throws TransportError for connection, TLS, timeout and redirect failures
 */
export async function open(dispatcher: Dispatcher, request: HttpRequest): Promise<StreamedResponse> {
	assertHttps(request.url, 'URL');
	checkHeaders(request.headers);
	await checkUrl(request.egress, request.url);
	let current = request;
	for (let redirects = 0; ; redirects++) {
		const response = await openWithRetry(dispatcher, current);
		const location = response.headers.location;
		if (!current.redirect.follow || !REDIRECT_STATUSES.has(response.statusCode) || typeof location !== 'string') {
			return response;
		}
		await discard(response);
		if (redirects >= current.redirect.max) {
			throw new TransportError('TOO_MANY_REDIRECTS', `More than ${current.redirect.max} redirects, the last to ${displayUrl(current.url)}`, {
				description: 'The server keeps redirecting. Raise "Max Redirects" if that is expected, or check the URL.',
			});
		}
		current = nextRequest(current, response.statusCode, redirectTarget(location, response), request.url);
		await checkUrl(request.egress, current.url, true);
	}
}

/** Methods that may be sent twice without changing the outcome (RFC 9110, section 9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/**
 * A keep-alive connection the server closed while idle fails the next request sent on it. Such a
 * request is sent once more on a new connection when repeating it is harmless; a POST or PATCH
 * is not, because it may have reached the server.
 */
async function openWithRetry(dispatcher: Dispatcher, request: HttpRequest): Promise<StreamedResponse> {
	try {
		return await openOnce(dispatcher, request);
	} catch (error) {
		const stale = error instanceof TransportError && error.code === 'CONNECTION_CLOSED' && !request.signal?.aborted;
		if (!stale || !IDEMPOTENT.has(request.method.toUpperCase())) throw error;
		return openOnce(dispatcher, request);
	}
}

/**
 * Reads a streamed body into memory.
 *
 * @throws TransportError RESPONSE_TOO_LARGE past `maxBytes`, or what failed mid-body
 */
export async function readBody(response: StreamedResponse, maxBytes = DEFAULT_MAX_BODY_BYTES): Promise<Buffer> {
	const chunks: Buffer[] = [];
	let size = 0;
	try {
		for await (const chunk of response.body) {
			size += (chunk as Buffer).length;
			if (size > maxBytes) {
				response.body.destroy();
				throw tooLarge(response.url, maxBytes);
			}
			chunks.push(chunk as Buffer);
		}
	} catch (error) {
		throw toTransportError(error, response.url, { aborted: bodySignals.get(response.body)?.aborted, inBody: true });
	}
	// undici returns the socket to its pool only after the body's end has been processed; a
	// request dispatched in the same tick would find it busy and open a second connection.
	await nextTurn();
	return Buffer.concat(chunks);
}

/** A stream that fails with RESPONSE_TOO_LARGE once more than `maxBytes` went through it. */
export function limitSize(response: StreamedResponse, maxBytes: number): Readable {
	let size = 0;
	const limiter = new Transform({
		transform(chunk: Buffer, _encoding, callback) {
			size += chunk.length;
			callback(size > maxBytes ? tooLarge(response.url, maxBytes) : null, chunk);
		},
	});
	return pipeline(response.body, limiter, () => undefined);
}

function tooLarge(url: URL, maxBytes: number): TransportError {
	return new TransportError('RESPONSE_TOO_LARGE', `The response from ${url.host} is larger than ${Math.round(maxBytes / 1024 / 1024)} MB`, {
		description: 'Raise "Max Response Size" in the options if that is expected, or use Response Format "File" so the body is streamed to binary data.',
	});
}

async function discard(response: StreamedResponse): Promise<void> {
	try {
		await readBody(response, 1024 * 1024);
	} catch {
		// A redirect's own body does not matter; a broken one only costs the connection.
	}
}

async function openOnce(dispatcher: Dispatcher, request: HttpRequest): Promise<StreamedResponse> {
	const deadline = request.timeout ? startDeadline(request.timeout) : undefined;
	let upload: UndiciBody | undefined;
	try {
		upload = await toUndiciBody(request.body, request.headers);
		const pending = dispatcher.request({
			origin: request.url.origin,
			path: `${request.url.pathname}${request.url.search}`,
			method: request.method as Dispatcher.HttpMethod,
			headers: { 'accept-encoding': 'gzip, deflate, br', ...request.headers, ...upload.headers },
			body: upload.body,
			headersTimeout: request.timeout,
			bodyTimeout: request.timeout,
			signal: deadline && request.signal ? AbortSignal.any([deadline.signal, request.signal]) : deadline?.signal ?? request.signal,
		});
		// undici applies an abort only once the request has a connection: while connecting, the race decides.
		pending.catch(() => undefined);
		const response = deadline ? await Promise.race([pending, deadline.expired]) : await pending;
		const headers = response.headers as Record<string, string | string[]>;
		// HEAD, 204 and 304 carry a content-coding header but no body to decode.
		const body = request.method === 'HEAD' || response.statusCode === 204 || response.statusCode === 304 ? response.body : decompress(response.body, headers['content-encoding']);
		if (request.signal) bodySignals.set(body, request.signal);
		return { statusCode: response.statusCode, statusMessage: STATUS_CODES[response.statusCode] ?? '', headers, body, url: request.url };
	} catch (error) {
		// undici destroys a stream body when it reports the failure; an abort while connecting (the
		// deadline, the caller's signal) it reports only once the connection is made or fails, up to
		// the connect timeout later: the file would stay open that long.
		if (typeof upload?.body === 'object' && !Buffer.isBuffer(upload.body)) upload.body.destroy();
		throw toTransportError(error, request.url, { aborted: request.signal?.aborted });
	} finally {
		deadline?.clear();
	}
}

/**
 * undici checks its headers timeout on a coarse clock (up to half a second late past one second)
 * and not while connecting; this timer covers connection, TLS handshake and waiting for the
 * headers, to the millisecond, as the HTTP Request node's Timeout does.
 */
function startDeadline(ms: number): { signal: AbortSignal; expired: Promise<never>; clear: () => void } {
	const controller = new AbortController();
	let expire: (reason: unknown) => void = () => undefined;
	const expired = new Promise<never>((_resolve, reject) => (expire = reject));
	const timer = setTimeout(() => {
		const reason = Object.assign(new Error(`No response within ${ms} ms`), { code: 'UND_ERR_HEADERS_TIMEOUT' });
		controller.abort(reason);
		expire(reason);
	}, ms);
	return { signal: controller.signal, expired, clear: () => clearTimeout(timer) };
}

interface UndiciBody {
	body?: string | Buffer | Readable;
	headers?: Record<string, string>;
}

/**
 * The body of one attempt: streams are opened anew and multipart is encoded anew, so a redirect
 * or a retry can send them again; files are streamed, never read whole into memory.
 */
async function toUndiciBody(body: HttpRequest['body'], headers: Record<string, string>): Promise<UndiciBody> {
	if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) return { body };
	const hasLength = Object.keys(headers).some((name) => name.toLowerCase() === 'content-length');
	if ('open' in body) {
		return { body: await body.open(), headers: body.size !== undefined && !hasLength ? { 'content-length': String(body.size) } : undefined };
	}
	const encoded = encodeMultipart(body);
	return {
		body: encoded.body,
		headers: { 'content-type': encoded.contentType, ...(encoded.length !== undefined && !hasLength ? { 'content-length': String(encoded.length) } : {}) },
	};
}

/** Undoes the content codings servers use (gzip, deflate, br); others pass through untouched. */
function decompress(body: Readable, encoding: string | string[] | undefined): Readable {
	const coding = String(Array.isArray(encoding) ? encoding.at(-1) : encoding ?? '').trim().toLowerCase();
	const decoder = coding === 'gzip' || coding === 'x-gzip' ? createGunzip() : coding === 'deflate' ? createInflate() : coding === 'br' ? createBrotliDecompress() : undefined;
	return decoder ? pipeline(body, decoder, () => undefined) : body;
}

/**
 * @throws TransportError REDIRECT_LOCATION_INVALID for a Location that is no URL
 */
function redirectTarget(location: string, response: StreamedResponse): URL {
	try {
		return new URL(location, response.url);
	} catch (error) {
		// The value is not shown: a broken URL cannot be stripped of a password it may carry.
		const message = `The server at ${response.url.host} redirected (HTTP ${response.statusCode}) to a "Location" that is not a valid URL; it was not followed`;
		throw new TransportError('REDIRECT_LOCATION_INVALID', message, {
			description: 'The partner\'s server sent a malformed redirect. Ask the partner for the right address, ' +
				'or turn off "Follow Redirects" to receive the redirect response itself, Location header included.',
			cause: error,
		});
	}
}

/** What undici would refuse in a header value (RFC 9110, section 5.5: field-vchar, SP and HTAB). */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Every header reaches this point, whatever set it (parameters, pagination expressions, a body's
 * content type), so the one check that names the header is here, before undici refuses it.
 *
 * @throws RequestSpecError HEADER_NAME_INVALID or HEADER_VALUE_INVALID naming the header
 */
function checkHeaders(headers: Record<string, string>): void {
	for (const [name, value] of Object.entries(headers)) checkHeader(name, String(value));
}

/**
 * The rule for one header, also applied where parameters are read so a bad one fails early.
 *
 * @throws RequestSpecError HEADER_NAME_INVALID or HEADER_VALUE_INVALID naming the header
 */
export function checkHeader(name: string, value: string): void {
	if (!FIELD_NAME.test(name)) {
		throw new RequestSpecError('HEADER_NAME_INVALID', `The header name ${JSON.stringify(name.slice(0, 80))} is not valid`, {
			field: 'headerParameters',
			description: 'Header names are letters, digits and -_.!#$%&\'*+^`|~, without spaces or colons.',
		});
	}
	if (FIELD_VALUE.test(value)) return;
	const what = /[\r\n]/.test(value) ? 'a line break (CR or LF)' : /[\x00-\x1f\x7f]/.test(value) ? 'a control character'
		: 'a character outside ISO-8859-1';
	throw new RequestSpecError('HEADER_VALUE_INVALID', `The value of the header "${name}" contains ${what}; it was not sent`, {
		field: 'headerParameters',
		description: 'A header value is one line of printable characters. Remove line breaks (often a trailing newline from an ' +
			'expression or a pagination value); percent-encode or Base64 other characters if the partner expects them.',
	});
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
			description: previous.redirect.crossOriginLocked ??
				'Following it would present the client certificate to that host. If you trust it, turn on "Allow Cross-Origin" in the Redirects option, or call that URL directly.',
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
