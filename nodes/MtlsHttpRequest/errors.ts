import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import type { IDataObject, INode, JsonObject } from 'n8n-workflow';

import { MtlsError } from '../../lib/errors';
import { certificatePageError, certificatePageOf } from '../../lib/http/failures';
import { displayUrl } from '../../lib/http/send';
import type { HttpRequest, HttpResponse } from '../../lib/http/send';
import { decodeText } from './response';

type NodeError = NodeApiError | NodeOperationError;

/** Statuses that succeed; every other one fails the item unless "Never Error" is on, as in n8n. */
export function isSuccess(statusCode: number): boolean {
	return statusCode >= 200 && statusCode < 300;
}

/** n8n's HTTP Request node replaces a 429's message with this advice. */
export const TOO_MANY_REQUESTS_HINT = "Try spacing your requests out using the batching settings under 'Options'";

/**
 * A response outside 2xx, which fails the item unless "Never Error" is on. Its message is worded
 * as n8n's HTTP client words it (`404 - "<body>"`), which is what a continue-on-fail item of the
 * HTTP Request node carries.
 */
export class HttpStatusError extends Error {
	/** What the response means when it is more than a status: nginx's client certificate pages. */
	readonly meaning?: MtlsError;

	constructor(readonly response: HttpResponse) {
		super(response.statusCode === 429 ? TOO_MANY_REQUESTS_HINT : `${response.statusCode} - ${JSON.stringify(decodeText(response))}`);
		this.name = 'HttpStatusError';
		const page = certificatePageOf(response.statusCode, response.body.subarray(0, 4096).toString('latin1'));
		if (page) this.meaning = certificatePageError(page, response.url);
	}
}

/** The one place errors become n8n errors, each once, with the item it belongs to and the request it was. */
export function toNodeError(node: INode, error: unknown, itemIndex?: number, request?: HttpRequest): NodeError {
	const nodeError = wrap(node, error, itemIndex);
	if (request && !(error instanceof NodeApiError || error instanceof NodeOperationError)) nodeError.context.request = sanitizeRequest(request);
	return nodeError;
}

function wrap(node: INode, error: unknown, itemIndex?: number): NodeError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	if (error instanceof HttpStatusError) return statusError(node, error, itemIndex);
	if (error instanceof MtlsError) return new NodeOperationError(node, error.message, { description: describe(error), itemIndex });
	const message = error instanceof Error ? error.message : String(error);
	return new NodeOperationError(node, `Unexpected error: ${message}`, { itemIndex });
}

/**
 * A status error as the HTTP Request node reports it: n8n's NodeApiError reads the same fields of
 * the same shape as its HTTP client's error, so the message comes from n8n's status table ("The
 * resource you are requesting could not be found") and the description is the server's own message.
 */
function statusError(node: INode, error: HttpStatusError, itemIndex?: number): NodeApiError {
	const { response, meaning } = error;
	const httpCode = String(response.statusCode);
	if (meaning) return new NodeApiError(node, { message: error.message } as JsonObject, { message: meaning.message, description: describe(meaning), httpCode, itemIndex });
	if (response.statusCode >= 300 && response.statusCode < 400) {
		const location = response.headers.location;
		return new NodeApiError(node, { message: error.message } as JsonObject, {
			message: `The server answered with a redirect (HTTP ${response.statusCode})${typeof location === 'string' ? ` to ${location.slice(0, 300)}` : ''}`,
			description: '"Follow Redirects" is off, so a redirect fails the item, as in the HTTP Request node. Turn "Follow Redirects" on, ' +
				'or turn on "Never Error" (Options → Response) to receive the redirect response itself.',
			httpCode,
			itemIndex,
		});
	}
	const errorResponse = {
		message: error.message,
		statusCode: response.statusCode,
		status: response.statusCode,
		error: decodeText(response),
		response: { headers: response.headers, status: response.statusCode, statusText: response.statusMessage },
	};
	return new NodeApiError(node, errorResponse as unknown as JsonObject, { httpCode, itemIndex });
}

function describe(error: MtlsError): string {
	return [error.description, `Error code: ${error.code}`].filter(Boolean).join(' ');
}

/** The stable code of what failed an item, if it has one. */
export function codeOf(cause: unknown): string | undefined {
	if (cause instanceof MtlsError) return cause.code;
	return cause instanceof HttpStatusError ? cause.meaning?.code : undefined;
}

/** axios's code for a status error, which the HTTP Request node's continue-on-fail item carries. */
function axiosCodeOf(statusCode: number): string | undefined {
	return statusCode >= 500 ? 'ERR_BAD_RESPONSE' : statusCode >= 400 ? 'ERR_BAD_REQUEST' : undefined;
}

/**
 * What an item carries when "continue on fail" is on. A status error has the fields of the HTTP
 * Request node's item that users branch on (`message` as n8n's client words it, `status`, `code`),
 * plus the description (the server's message) and `httpCode`; other errors their message,
 * description and stable `code`.
 */
export function toErrorJson(error: NodeError, cause: unknown): IDataObject {
	if (cause instanceof HttpStatusError) {
		const status = cause.response.statusCode;
		return {
			error: {
				message: cause.meaning?.message ?? cause.message,
				description: error.description ?? undefined,
				status,
				code: codeOf(cause) ?? axiosCodeOf(status),
				httpCode: String(status),
			},
		};
	}
	return {
		error: {
			message: error.message,
			description: error.description ?? undefined,
			code: codeOf(cause),
			httpCode: error instanceof NodeApiError ? error.httpCode ?? undefined : undefined,
		},
	};
}

/** Headers whose values are secrets, as n8n's node hides them on the error (its list). */
const HIDDEN_HEADERS = new Set(['authorization', 'x-api-key', 'x-auth-token', 'cookie', 'proxy-authorization', 'sslclientcert']);
export const REDACTED = '**hidden**';
const BODY_SHOWN_CHARS = 2000;

/**
 * The request as the error shows it (n8n puts it on `context.request`): method, URL without
 * user info, headers with credentials hidden, and a text body; files are named, not copied.
 */
export function sanitizeRequest(request: HttpRequest): IDataObject {
	const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, HIDDEN_HEADERS.has(name.toLowerCase()) ? REDACTED : value]));
	const { body } = request;
	const shown = body === undefined ? undefined
		: typeof body === 'string' ? (body.length > BODY_SHOWN_CHARS ? `${body.slice(0, BODY_SHOWN_CHARS)}…` : body)
			: Buffer.isBuffer(body) || 'open' in body ? `Binary data (${Buffer.isBuffer(body) ? body.length : body.size ?? 'unknown'} bytes)`
				: body.parts.map((part) => ('value' in part ? `${part.name}=${part.value.slice(0, 200)}` : `${part.name}: file ${part.fileName}`)).join('; ');
	return {
		method: request.method,
		uri: displayUrl(request.url),
		headers,
		...(shown !== undefined ? { body: shown } : {}),
		...(request.timeout ? { timeout: request.timeout } : {}),
		followRedirect: request.redirect.follow,
		maxRedirects: request.redirect.max,
	};
}
