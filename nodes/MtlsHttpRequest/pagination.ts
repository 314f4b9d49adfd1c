import { createHash, randomBytes } from 'node:crypto';
import { sleep } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { RequestSpecError, TransportError } from '../../lib/errors';
import { setQueryParameter } from '../../lib/http/query';
import { displayUrl, HttpRequest } from '../../lib/http/send';

/** Options → Pagination, as the HTTP Request node (V3) reads it: raw, expressions unresolved. */
export interface PaginationConfig {
	mode: 'updateAParameterInEachRequest' | 'responseContainsNextURL';
	nextURL: string;
	parameters: Array<{ type: 'qs' | 'headers' | 'body'; name: string; value: string }>;
	completeWhen: 'responseIsEmpty' | 'receiveSpecificStatusCodes' | 'other';
	statusCodes: number[];
	completeExpression: string;
	/** A number, or an expression resolved after each page as n8n does (it may use $response). */
	maxRequests?: number | string;
	/** Milliseconds between requests: a number, or an expression resolved after each page. */
	requestInterval: number | string;
}

/** What pagination expressions see of a page, as in n8n: `$response`. */
export interface PageResponse {
	body: unknown;
	headers: Record<string, string | string[]>;
	statusCode: number;
}

export interface Page {
	response: PageResponse;
	items: INodeExecutionData[];
	/** Identifies the page's content, to stop when the server keeps sending the same page. */
	digest: string;
}

export interface PaginationKeys {
	$response: PageResponse | Record<string, never>;
	$pageCount: number;
	$request: { method: string; url: string; headers: Record<string, string> };
}

/** Resolves a raw parameter value (an "={{ … }}" expression or a literal) with the pagination keys. */
export type Evaluate = (value: string, keys: PaginationKeys) => unknown;

const IDENTICAL_PAGES_LIMIT = 3;

/**
 * Pagination expressions see $response, $pageCount and $request, as in n8n's HTTP Request node.
 * n8n hands those to its engine as additional keys (helpers.requestWithAuthenticationPaginated);
 * evaluateExpression takes none. Writing their values into the expression text made every page a
 * new, page-sized text that n8n parses on the main thread and caches by its text (never freed; a
 * U+2028 in a page broke the parse). Instead the three names are rewritten to read from `$json`,
 * which is the live input item in both engines: the legacy one reads it through the data proxy, the
 * vm one (n8n 2.x) fetches only the paths the expression touches. So the text is the same for every
 * page and parsed once, and the values travel as data. They sit on the item as a non-enumerable
 * property under a per-process random name for one synchronous evaluation only: Object.keys, JSON
 * and the node's output never see it, and no other evaluation can run in between.
 */
export function evaluatorFor(ctx: Pick<IExecuteFunctions, 'getInputData' | 'evaluateExpression'>, itemIndex: number): Evaluate {
	const json = ctx.getInputData()[itemIndex].json;
	const texts = new Map<string, string>();
	return (value, keys) => {
		if (typeof value !== 'string' || !value.startsWith('=')) return value;
		let expression = texts.get(value);
		if (expression === undefined) {
			// evaluateExpression adds the leading "=" itself.
			expression = value.slice(1).replace(EXPRESSION_BLOCK, (block) => block.replace(PAGINATION_NAMES, (name) => `$json.${PAGE_HOLDER}.${name}`));
			texts.set(value, expression);
		}
		// A copy: an expression that assigns to $pageCount must not change the loop's count.
		Object.defineProperty(json, PAGE_HOLDER, { value: { ...keys }, configurable: true, enumerable: false, writable: false });
		try {
			return ctx.evaluateExpression(expression, itemIndex);
		} finally {
			delete (json as Record<string, unknown>)[PAGE_HOLDER];
		}
	};
}

const PAGE_HOLDER = `__mtlsPage${randomBytes(8).toString('hex')}`;
/** The `{{ … }}` blocks of an expression; text outside them is literal. */
const EXPRESSION_BLOCK = /\{\{[\s\S]*?\}\}/g;
/** $response, $pageCount and $request as variables, not as a property (`a.$request`) or part of a longer name. */
const PAGINATION_NAMES = /(?<![\w$.])\$(?:response|pageCount|request)(?![\w$])/g;

/**
 * @throws RequestSpecError naming the pagination field to fix
 */
export function readPagination(raw: IDataObject | null | undefined): PaginationConfig | undefined {
	const mode = raw?.paginationMode ?? 'off';
	if (!raw || mode === 'off') return undefined;
	if (mode !== 'updateAParameterInEachRequest' && mode !== 'responseContainsNextURL') {
		throw new RequestSpecError('PAGINATION_MODE_INVALID', `The "Pagination Mode" ${JSON.stringify(mode)} is not supported`, { field: 'options.pagination' });
	}
	const parameters = ((raw.parameters as IDataObject | undefined)?.parameters as PaginationConfig['parameters'] | undefined) ?? [];
	if (mode === 'updateAParameterInEachRequest') {
		if (!parameters.some((parameter) => parameter.name && parameter.value !== '')) {
			throw new RequestSpecError('PAGINATION_PARAMETER_MISSING', 'Pagination "Update a Parameter in Each Request" needs at least one parameter with a name and a value', {
				field: 'options.pagination',
				description: 'For example: Type Query, Name page, Value {{ $pageCount + 1 }}.',
			});
		}
		parameters.forEach((parameter, index) => {
			if (!parameter.name || parameter.value === '' || !['qs', 'headers', 'body'].includes(parameter.type)) {
				throw new RequestSpecError('PAGINATION_PARAMETER_INVALID', `Pagination parameter ${index + 1} needs a type (Body, Header or Query), a name and a value`, {
					field: 'options.pagination',
					description: 'A parameter without a value would request the same page forever.',
				});
			}
		});
	}
	const nextURL = String(raw.nextURL ?? '');
	if (mode === 'responseContainsNextURL' && !nextURL.trim()) {
		throw new RequestSpecError('PAGINATION_NEXT_URL_MISSING', 'Pagination "Response Contains Next URL" needs a "Next URL"', {
			field: 'options.pagination',
			description: 'For example {{ $response.body.next }}.',
		});
	}
	const completeWhen = (raw.paginationCompleteWhen as PaginationConfig['completeWhen']) ?? 'responseIsEmpty';
	const completeExpression = String(raw.completeExpression ?? '').trim();
	if (completeWhen === 'other' && !completeExpression.startsWith('=')) {
		throw new RequestSpecError('PAGINATION_COMPLETE_EXPRESSION_INVALID', 'The pagination "Complete Expression" must be an expression', {
			field: 'options.pagination',
			description: 'Switch the field to expression mode, e.g. {{ $response.body.hasMore === false }}.',
		});
	}
	return {
		mode,
		nextURL,
		parameters,
		completeWhen,
		statusCodes: String(raw.statusCodesWhenComplete ?? '').split(',').map((code) => parseInt(code.trim(), 10)).filter(Number.isFinite),
		completeExpression,
		maxRequests: raw.limitPagesFetched ? readNumber(raw.maxRequests ?? 100, MAX_PAGES) : undefined,
		requestInterval: readNumber(raw.requestInterval ?? 0, INTERVAL),
	};
}

const MAX_PAGES = 'Max Pages';
const INTERVAL = 'Interval Between Requests (Ms)';

/**
 * Pagination is read with raw expressions: an "=…" value is kept, as n8n resolves it after each
 * page (it may use $response); a plain value is checked now.
 *
 * @throws RequestSpecError when a plain value is not a number of zero or more
 */
function readNumber(value: unknown, label: string): number | string {
	return typeof value === 'string' && value.startsWith('=') ? value : checkNumber(value, label);
}

/**
 * @throws RequestSpecError when the option does not resolve to a number of zero or more
 */
function resolveNumber(value: number | string | undefined, label: string, evaluate: Evaluate, keys: PaginationKeys): number {
	if (typeof value !== 'string') return value ?? 0;
	return checkNumber(evaluate(value, keys), label);
}

function checkNumber(value: unknown, label: string): number {
	const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
	if (typeof number !== 'number' || !Number.isFinite(number) || number < 0) {
		throw new RequestSpecError('PAGINATION_NUMBER_INVALID', `The pagination "${label}" is ${JSON.stringify(String(value)).slice(0, 80)}, not a number of zero or more`, {
			field: 'options.pagination',
			description: `Enter a number, or an expression that returns one, in "${label}".`,
		});
	}
	return number;
}

/**
 * Fetches pages until the completion rule says stop, all through the caller's one Agent, and
 * returns every page's items in order.
 *
 * @throws TransportError when a page leaves the origin or the server repeats the same page
 */
export async function paginate(first: HttpRequest, config: PaginationConfig, fetchPage: (request: HttpRequest) => Promise<Page>, evaluate: Evaluate, failOnStatus: (page: Page) => Error | undefined): Promise<INodeExecutionData[]> {
	const items: INodeExecutionData[] = [];
	const keys: PaginationKeys = { $response: {}, $pageCount: 0, $request: describe(first) };
	let previousDigest = '';
	let identical = 0;
	for (;;) {
		const request = nextRequest(first, config, evaluate, keys);
		keys.$request = describe(request);
		const page = await fetchPage(request);
		const failure = failOnStatus(page);
		// An error page is output only when its status is what completes pagination, as in n8n.
		if (!failure || config.completeWhen === 'receiveSpecificStatusCodes') items.push(...page.items);
		identical = page.digest === previousDigest ? identical + 1 : 0;
		previousDigest = page.digest;
		if (identical >= IDENTICAL_PAGES_LIMIT) {
			throw new TransportError('PAGINATION_STUCK', `The server returned the same page ${identical + 1} times in a row; pagination stopped`, {
				description: 'Check "Pagination Complete When" and the parameter that should change between requests.',
			});
		}
		keys.$response = page.response;
		keys.$pageCount++;
		const maxRequests = resolveNumber(config.maxRequests, MAX_PAGES, evaluate, keys);
		if (maxRequests && keys.$pageCount >= maxRequests) break;
		// As in n8n's HTTP Request node: with "Complete When: Other" an error page fails the item even
		// when the expression says done (without Never Error). Checked first, so an expression that
		// expects a success body reports the HTTP error rather than its own.
		if (failure && config.completeWhen === 'other') throw failure;
		if (!shouldContinue(config, page.response, evaluate, keys)) break;
		if (failure) throw failure;
		const interval = resolveNumber(config.requestInterval, INTERVAL, evaluate, keys);
		if (interval > 0) await sleep(interval);
	}
	return items;
}

function shouldContinue(config: PaginationConfig, response: PageResponse, evaluate: Evaluate, keys: PaginationKeys): boolean {
	if (config.completeWhen === 'receiveSpecificStatusCodes') return !config.statusCodes.includes(response.statusCode);
	if (config.completeWhen === 'responseIsEmpty') return Array.isArray(response.body) ? response.body.length > 0 : Boolean(response.body);
	return !evaluate(config.completeExpression, keys);
}

function nextRequest(first: HttpRequest, config: PaginationConfig, evaluate: Evaluate, keys: PaginationKeys): HttpRequest {
	if (config.mode === 'responseContainsNextURL') {
		if (keys.$pageCount === 0) return first;
		return { ...first, url: resolveNextUrl(first, evaluate(config.nextURL, keys)) };
	}
	const url = new URL(first.url.href);
	const headers = { ...first.headers };
	let bodyFields: Record<string, unknown> | undefined;
	for (const parameter of config.parameters) {
		const value = evaluate(parameter.value, keys);
		// n8n leaves a parameter out when its expression yields undefined (the first page of a cursor).
		if (value === undefined) continue;
		// Like n8n's query encoding (null is "name=") and its HTTP client (a null header is not sent).
		if (parameter.type === 'body') (bodyFields ??= {})[parameter.name] = value;
		else if (parameter.type === 'qs') setQueryParameter(url, parameter.name, value === null ? '' : String(value));
		else if (value !== null) headers[parameter.name] = String(value);
	}
	return { ...first, url, headers, body: bodyFields ? mergeBody(first, bodyFields) : first.body };
}

function resolveNextUrl(first: HttpRequest, value: unknown): URL {
	let url: URL;
	try {
		url = new URL(String(value ?? ''), first.url);
	} catch (error) {
		throw new RequestSpecError('PAGINATION_NEXT_URL_INVALID', `The pagination "Next URL" evaluated to ${JSON.stringify(String(value).slice(0, 200))}, which is not a URL`, {
			field: 'options.pagination',
			description: 'Make sure the expression points at the next page\'s address in the response, e.g. {{ $response.body.links.next }}.',
			cause: error,
		});
	}
	if (url.origin !== first.url.origin && !first.redirect.allowCrossOrigin) {
		throw new TransportError('PAGINATION_CROSS_ORIGIN', `The pagination "Next URL" points to another origin (${url.origin}); it was not requested`, {
			description: first.redirect.crossOriginLocked ??
				`Requesting ${displayUrl(url)} would present the client certificate to that host. Turn on Redirects → "Allow Cross-Origin" if you trust it.`,
		});
	}
	return url;
}

function mergeBody(first: HttpRequest, fields: Record<string, unknown>): HttpRequest['body'] {
	const type = Object.entries(first.headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '';
	if (typeof first.body === 'string' && type.includes('application/x-www-form-urlencoded')) {
		const form = new URLSearchParams(first.body);
		for (const [name, value] of Object.entries(fields)) form.set(name, String(value));
		return form.toString();
	}
	if (first.body === undefined || (typeof first.body === 'string' && type.includes('json'))) {
		const base = first.body ? (JSON.parse(first.body) as Record<string, unknown>) : {};
		return JSON.stringify({ ...base, ...fields });
	}
	throw new RequestSpecError('PAGINATION_BODY_UNSUPPORTED', 'Pagination parameters of type Body work with JSON and Form URL Encoded bodies only', { field: 'options.pagination' });
}

function describe(request: HttpRequest): PaginationKeys['$request'] {
	return { method: request.method, url: displayUrl(request.url), headers: request.headers };
}

/** A stable digest of a page: its ETag when it has one, else its bytes. */
export function digestOf(headers: Record<string, string | string[]>, body: Buffer): string {
	const etag = headers.etag;
	return typeof etag === 'string' ? `etag:${etag}` : createHash('sha256').update(body).digest('base64');
}
