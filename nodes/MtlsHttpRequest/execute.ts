import { sleep } from 'n8n-workflow';
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { createAgent, DEFAULT_CONNECTIONS_PER_ORIGIN } from '../../lib/http/agent';
import { toTransportError } from '../../lib/http/failures';
import { limitSize, open, readBody } from '../../lib/http/send';
import type { TlsMaterial } from '../../lib/tls/material';
import { sharedSessions } from '../../lib/tls/sessions';
import { credentialNotices, loadCredential } from './credential';
import { HttpStatusError, toErrorJson, toNodeError } from './errors';
import { BinaryReader, itemParameters, readRequest, readSettings, ExecutionSettings } from './parameters';
import { chooseFormat, toBinaryItem, toItems } from './response';

type ItemResult = INodeExecutionData[] | { error: unknown };

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
	try {
		settings = readSettings(itemParameters(ctx, 0), items.length);
		const selection = await loadCredential(ctx, settings.tls.versions);
		material = selection.material;
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
	const agent = createAgent(material, {
		connectionsPerOrigin: DEFAULT_CONNECTIONS_PER_ORIGIN,
		sessions: sharedSessions,
		serverName: settings.tls.serverName,
		allowUnauthorized: settings.tls.allowUnauthorized,
		pins: settings.tls.pins,
		allowH2: settings.tls.allowH2,
	});
	const results: ItemResult[] = new Array(items.length);
	try {
		await runBatches(items.length, settings, DEFAULT_CONNECTIONS_PER_ORIGIN, async (itemIndex) => {
			results[itemIndex] = await runItem(ctx, agent, settings, itemIndex, signal);
			return !('error' in results[itemIndex]) || ctx.continueOnFail();
		});
	} finally {
		if (signal?.aborted) await agent.destroy();
		else await agent.close();
	}
	return [collect(ctx, results)];
}

async function runItem(ctx: IExecuteFunctions, agent: Parameters<typeof open>[0], settings: ExecutionSettings, itemIndex: number, signal?: AbortSignal): Promise<ItemResult> {
	try {
		const request = await readRequest(itemParameters(ctx, itemIndex), binaryOf(ctx, itemIndex));
		const response = await open(agent, { ...request, signal });
		if (response.statusCode >= 400 && !settings.response.neverError) {
			throw new HttpStatusError({ ...response, body: await readBody(response, ERROR_BODY_BYTES).catch(() => Buffer.alloc(0)) });
		}
		const format = chooseFormat(settings.response.responseFormat, response);
		if (format === 'file') {
			try {
				return [await toBinaryItem(ctx.helpers, response, limitSize(response, settings.maxFileBytes), settings.response, itemIndex)];
			} catch (error) {
				throw toTransportError(error, response.url);
			}
		}
		const body = await readBody(response, settings.maxBodyBytes);
		return toItems({ ...response, body }, { ...settings.response, responseFormat: format }, itemIndex);
	} catch (error) {
		return { error };
	}
}

/**
 * Runs items in batches (all items in one batch when batching is off), at most `limit` at once,
 * waiting `batchInterval` between batches. Stops starting items once `run` returns false.
 */
async function runBatches(count: number, settings: ExecutionSettings, limit: number, run: (itemIndex: number) => Promise<boolean>): Promise<void> {
	let proceed = true;
	for (let start = 0; start < count && proceed; start += settings.batchSize) {
		if (start > 0 && settings.batchInterval > 0) await sleep(settings.batchInterval);
		const end = Math.min(start + settings.batchSize, count);
		let next = start;
		const worker = async () => {
			while (proceed && next < end) {
				const itemIndex = next++;
				if (!(await run(itemIndex))) proceed = false;
			}
		};
		await Promise.all(Array.from({ length: Math.min(limit, end - start) }, worker));
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
		const nodeError = toNodeError(ctx.getNode(), result.error, itemIndex);
		if (!ctx.continueOnFail()) throw nodeError;
		output.push({ json: toErrorJson(nodeError, result.error), pairedItem: { item: itemIndex } });
	}
	return output;
}

/** Execution hints appear above the output in the editor; older n8n versions have none. */
export function addHints(ctx: IExecuteFunctions, messages: string[]): void {
	if (messages.length === 0) return;
	ctx.addExecutionHints?.(...messages.map((message) => ({ message, type: 'warning' as const, location: 'outputPane' as const })));
}

/** The item's binary fields, read through n8n's helpers. */
function binaryOf(ctx: IExecuteFunctions, itemIndex: number): BinaryReader {
	return {
		read: async (fieldName) => {
			const meta = ctx.helpers.assertBinaryData(itemIndex, fieldName);
			return { data: await ctx.helpers.getBinaryDataBuffer(itemIndex, fieldName), fileName: meta.fileName, mimeType: meta.mimeType };
		},
	};
}
