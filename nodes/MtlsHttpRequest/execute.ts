import { sleep } from 'n8n-workflow';
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { createAgent, DEFAULT_CONNECTIONS_PER_ORIGIN } from '../../lib/http/agent';
import { closeAgent } from '../../lib/http/close';
import { toTransportError } from '../../lib/http/failures';
import { HttpRequest, limitSize, readBody } from '../../lib/http/send';
import type { TlsMaterial } from '../../lib/tls/material';
import { sharedSessions } from '../../lib/tls/sessions';
import { addHints, transportPolicyOf } from './context';
import { credentialNotices, loadCredential } from './credential';
import { HttpStatusError, isSuccess, toErrorJson, toNodeError } from './errors';
import { OAuthPlan, Open, opener, readOAuth, startOAuth } from './oauth';
import { BinaryReader, itemParameters, rawPagination, readRequest, readSettings, ExecutionSettings } from './parameters';
import { digestOf, evaluatorFor, Page, paginate } from './pagination';
import { chooseFormat, decodeText, EncodingDetector, parseJsonBody, toBinaryItem, toItems } from './response';
import { checkToolOrigin, fixedOriginOf, isToolUse, TOOL_CROSS_ORIGIN } from './toolUse';

/** An item's output, or what failed it and the request it was (shown, without secrets, on the error). */
type ItemResult = INodeExecutionData[] | { error: unknown; request?: HttpRequest };

/** Enough of an error response's body to show what the server said. */
const ERROR_BODY_BYTES = 1024 * 1024;

/**
 * One execution: parse the credential once, build one undici Agent, send every item's request
 * through it (keep-alive, one handshake per origin and connection), and always close it.
 */
export async function executeRequests(ctx: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = ctx.getInputData();
	let settings: ExecutionSettings;
	let material: TlsMaterial;
	let toolOrigin: string | undefined;
	let oauth: OAuthPlan | undefined;
	try {
		settings = readSettings(itemParameters(ctx, 0), items.length, rawPagination(ctx));
		if (isToolUse(ctx.getNode())) toolOrigin = fixedOriginOf(ctx.getNode().parameters.url);
		const selection = await loadCredential(ctx, settings.tls.versions);
		material = selection.material;
		// OAuth (issue 14): the credential's token settings, checked with the rest of the credential.
		oauth = await readOAuth(ctx, selection);
		addHints(ctx, credentialNotices(selection, settings.expiryWarningDays));
	} catch (error) {
		// The credential and these settings are the same for every item: fail fast, before any connection.
		if (!ctx.continueOnFail()) throw toNodeError(ctx.getNode(), error);
		return [items.map((_, itemIndex) => ({ json: toErrorJson(toNodeError(ctx.getNode(), error, itemIndex), error), pairedItem: { item: itemIndex } }))];
	}
	const signal = ctx.getExecutionCancelSignal?.();
	if (settings.tls.allowUnauthorized) {
		addHints(ctx, ['"Ignore SSL Issues (Insecure)" is on: the server\'s certificate is not verified, so the client certificate may be presented to an impostor. Add the partner\'s CA to the credential instead.']);
	}
	const policy = transportPolicyOf(ctx, settings);
	const egress = policy.egress;
	const agent = createAgent(material, {
		...policy, connectionsPerOrigin: DEFAULT_CONNECTIONS_PER_ORIGIN, sessions: sharedSessions, allowH2: settings.tls.allowH2, connectTimeout: settings.connectTimeout,
	});
	// Requests go out with the credential's OAuth token (when set); the token request uses this Agent too.
	const session = oauth && startOAuth(oauth, agent, { signal, egress });
	const openRequest = opener(agent, session);
	const results: ItemResult[] = new Array(items.length);
	try {
		const template = await requestTemplate(ctx);
		await runBatches(items.length, settings, DEFAULT_CONNECTIONS_PER_ORIGIN, async (itemIndex) => {
			results[itemIndex] = await runItem(ctx, openRequest, settings, itemIndex, { signal, egress }, template, toolOrigin);
			return !('error' in results[itemIndex]) || ctx.continueOnFail();
		});
	} finally {
		if (session) addHints(ctx, [...session.hints]);
		if (signal?.aborted) await agent.destroy();
		else await closeAgent(agent);
	}
	const output = collect(ctx, results);
	addSplitOutHint(ctx, output, toolOrigin !== undefined);
	return [output];
}

/** As the HTTP Request node: one item whose `data` is an array is better split into items. */
function addSplitOutHint(ctx: IExecuteFunctions, output: INodeExecutionData[], toolUse: boolean): void {
	if (toolUse || output.length !== 1 || !Array.isArray(output[0].json.data)) return;
	ctx.addExecutionHints?.({
		message: 'To split the contents of ‘data’ into separate items for easier processing, add a ‘Split Out’ node after this one',
		location: 'outputPane',
	});
}

async function runItem(
	ctx: IExecuteFunctions,
	openRequest: Open,
	settings: ExecutionSettings,
	itemIndex: number,
	shared: Pick<HttpRequest, 'signal' | 'egress'>,
	template?: HttpRequest,
	toolOrigin?: string,
): Promise<ItemResult> {
	let request: HttpRequest | undefined;
	try {
		const own = template ? { ...template, headers: { ...template.headers } } : await readRequest(itemParameters(ctx, itemIndex), binaryOf(ctx, itemIndex));
		request = { ...own, ...shared };
		if (toolOrigin) {
			// An agent's request stays on the origin the user typed: no redirect or Next URL leaves it.
			checkToolOrigin(request.url, toolOrigin);
			request.redirect = { ...request.redirect, allowCrossOrigin: false, crossOriginLocked: TOOL_CROSS_ORIGIN };
		}
		const fetch = (next: HttpRequest) => fetchPage(ctx, openRequest, settings, next, itemIndex);
		if (!settings.pagination) {
			const page = await fetch(request);
			const failure = statusFailure(page, settings);
			if (failure) throw failure;
			return page.items;
		}
		return await paginate(request, settings.pagination, fetch, evaluatorFor(ctx, itemIndex), (page) => statusFailure(page, settings));
	} catch (error) {
		return { error, request };
	}
}

/**
 * When no parameter is an expression and the body is not the item's binary data, every item
 * sends the same request: it is read once instead of once per item.
 */
async function requestTemplate(ctx: IExecuteFunctions): Promise<HttpRequest | undefined> {
	const parameters = ctx.getNode().parameters;
	if (hasExpression(parameters) || ['binaryData', 'multipart-form-data'].includes(String(parameters.contentType))) return undefined;
	try {
		return await readRequest(itemParameters(ctx, 0));
	} catch {
		// Reported per item, as every item would fail the same way.
		return undefined;
	}
}

function hasExpression(value: unknown): boolean {
	if (typeof value === 'string') return value.startsWith('=');
	if (value && typeof value === 'object') return Object.values(value).some(hasExpression);
	return false;
}

/**
 * A status outside 2xx fails the item unless "Never Error" is on, as in the HTTP Request node:
 * a redirect not followed ("Follow Redirects" off) included.
 */
function statusFailure(page: Page & { error?: HttpStatusError }, settings: ExecutionSettings): Error | undefined {
	return !isSuccess(page.response.statusCode) && !settings.response.neverError ? page.error : undefined;
}

/** One request and its response shaped into items; files stream into binary data. */
async function fetchPage(ctx: IExecuteFunctions, openRequest: Open, settings: ExecutionSettings, request: HttpRequest, itemIndex: number): Promise<Page & { error?: HttpStatusError }> {
	const response = await openRequest(request);
	const head = { headers: response.headers, statusCode: response.statusCode };
	if (!isSuccess(response.statusCode) && !settings.response.neverError) {
		const body = await readBody(response, ERROR_BODY_BYTES).catch(() => Buffer.alloc(0));
		const shaped = { ...response, body };
		const error = new HttpStatusError(shaped);
		if (!settings.pagination) return { response: { ...head, body: undefined }, items: [], digest: '', error };
		// Expressions read an error page's body as they read any page's, and a page that completes
		// pagination by its status is output like any other, as n8n's pagination does.
		const format = chooseFormat(settings.response.responseFormat, response);
		const items = format === 'file' ? [] : toItems(shaped, { ...settings.response, neverError: true }, itemIndex, detectorOf(ctx));
		return { response: { ...head, body: expressionBody(format, shaped) }, items, digest: digestOf(response.headers, body), error };
	}
	const format = chooseFormat(settings.response.responseFormat, response);
	if (format === 'file') {
		try {
			const input = ctx.getInputData()[itemIndex];
			const item = await toBinaryItem(ctx.helpers, response, limitSize(response, settings.maxFileBytes), settings.response, itemIndex, input);
			return { response: { ...head, body: {} }, items: [item], digest: String(response.headers.etag ?? Math.random()) };
		} catch (error) {
			throw toTransportError(error, response.url);
		}
	}
	const body = await readBody(response, settings.maxBodyBytes);
	const shaped = { ...response, body };
	const items = toItems(shaped, settings.response, itemIndex, detectorOf(ctx));
	// Only pagination looks at $response and repeated pages; a single request skips the work.
	if (!settings.pagination) return { response: { ...head, body: undefined }, items, digest: '' };
	return {
		response: { ...head, body: expressionBody(format, shaped) },
		items,
		digest: digestOf(response.headers, body),
	};
}

/** `$response.body` of a page: parsed JSON (lenient, as n8n's pagination parses it) or text. */
function expressionBody(format: string, response: Parameters<typeof decodeText>[0]): unknown {
	return format === 'json' ? parseJsonBody(decodeText(response), true) : decodeText(response);
}

/**
 * Runs items in batches of `batchSize` (all items in one batch when batching is off), at most
 * `limit` at once, waiting `batchInterval` between batches. Batches of one item without an
 * interval are simply one item after the other. Stops starting items once `run` returns false.
 */
async function runBatches(count: number, settings: ExecutionSettings, limit: number, run: (itemIndex: number) => Promise<boolean>): Promise<void> {
	let proceed = true;
	const pool = async (start: number, end: number, width: number) => {
		let next = start;
		const worker = async () => {
			while (proceed && next < end) {
				if (!(await run(next++))) proceed = false;
			}
		};
		await Promise.all(Array.from({ length: Math.max(1, Math.min(width, end - start)) }, worker));
	};
	if (settings.batchSize === 1 && settings.batchInterval <= 0) return pool(0, count, 1);
	for (let start = 0; start < count && proceed; start += settings.batchSize) {
		if (start > 0 && settings.batchInterval > 0) await sleep(settings.batchInterval);
		await pool(start, Math.min(start + settings.batchSize, count), limit);
	}
}

function collect(ctx: IExecuteFunctions, results: ItemResult[]): INodeExecutionData[] {
	const output: INodeExecutionData[] = [];
	for (const [itemIndex, result] of results.entries()) {
		if (result === undefined) continue;
		if (!('error' in result)) {
			output.push(...result);
			continue;
		}
		const nodeError = toNodeError(ctx.getNode(), result.error, itemIndex, result.request);
		if (!ctx.continueOnFail()) throw nodeError;
		output.push({ json: toErrorJson(nodeError, result.error), pairedItem: { item: itemIndex } });
	}
	return output;
}


/**
 * The item's binary fields, read through n8n's helpers: a file in n8n's binary data store (it has
 * an id) is streamed from there as the HTTP Request node does, so an upload is never held whole
 * in memory; data kept in the item itself (n8n's "default" mode) is already in memory.
 */
function binaryOf(ctx: IExecuteFunctions, itemIndex: number): BinaryReader {
	return {
		read: async (fieldName) => {
			const meta = ctx.helpers.assertBinaryData(itemIndex, fieldName);
			const { id } = meta;
			if (!id) return { data: Buffer.from(meta.data, 'base64'), fileName: meta.fileName, mimeType: meta.mimeType };
			const { fileSize } = await ctx.helpers.getBinaryMetadata(id);
			// A size the store does not know is no Content-Length: undici would fail on a mismatch.
			const size = Number.isSafeInteger(fileSize) && fileSize >= 0 ? fileSize : undefined;
			return { data: { open: async () => await ctx.helpers.getBinaryStream(id), size }, fileName: meta.fileName, mimeType: meta.mimeType };
		},
	};
}

/** n8n's encoding detector (chardet), for text bodies that are not UTF-8 and declare no charset. */
function detectorOf(ctx: IExecuteFunctions): EncodingDetector | undefined {
	const helpers = ctx.helpers as Partial<Pick<IExecuteFunctions['helpers'], 'detectBinaryEncoding'>>;
	return typeof helpers.detectBinaryEncoding === 'function' ? (bytes) => helpers.detectBinaryEncoding?.(bytes) : undefined;
}
