/**
 * How the node behaves inside a real n8n 2.40, in one execute-batch run: both pagination modes with
 * expressions on $pageCount and $response, n8n's Retry On Fail, continue-on-fail inside batches,
 * and Never Error with the full response. One server per workflow, so each case counts only its own
 * requests and handshakes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createStandardPki, type StandardPki } from '../fixtures/pki';
import { type MtlsServer, startPartners, queryOf, sendJson } from '../fixtures/mtlsServer';
import {
	numberItems,
	prepareN8n, tearDown, linearWorkflow, mtlsNode, partnerCredential, outputOf,
	type BatchResult, type CredentialJson, type N8n, type OutputItem, type WorkflowRun,
} from './n8n';

const IDS = {
	pageParameter: 'mtlsE2ePageParam1',
	nextUrl: 'mtlsE2eNextUrl001',
	retry: 'mtlsE2eRetry0001',
	batchFail: 'mtlsE2eBatchFail1',
	neverError: 'mtlsE2eNeverErr01',
	hints: 'mtlsE2eHints00001',
};
const SERVER_NAMES = ['pageParameter', 'nextUrl', 'retry', 'batchFail', 'neverError', 'hints'] as const;
const TIMEOUT = { timeout: 5 * 60_000 };

/** /items?page=N */
const PAGES: Record<string, unknown[]> = { 1: [{ id: 1 }, { id: 2 }], 2: [{ id: 3 }], 3: [] };
/** /cursor?c=N, the first page without c. */
const CURSOR_PAGES: Record<string, { data: unknown[]; next: string | null }> = {
	1: { data: [{ id: 'a' }], next: '/cursor?c=2' },
	2: { data: [{ id: 'b' }, { id: 'c' }], next: '/cursor?c=3' },
	3: { data: [{ id: 'd' }], next: null },
};
/** Input items (0-based) whose request the server answers with 500. */
const FAILING_ITEMS = [1, 4];
const NOT_FOUND_BODY = { error: 'no such account', account: 'DE00 0000' };

let pki: StandardPki;
let n8n: N8n;
let servers: Record<(typeof SERVER_NAMES)[number], MtlsServer>;
let goodCredential: CredentialJson;
let batch: Promise<BatchResult> | undefined;

before(async () => {
	pki = createStandardPki();
	servers = await startPartners(pki, SERVER_NAMES);
	routes();
	goodCredential = partnerCredential(pki, 'mtlsCredGood0003');
	n8n = await prepareN8n([goodCredential], workflows());
}, TIMEOUT);

after(() => tearDown(servers, n8n, pki));

function routes(): void {
	servers.pageParameter.route('/items', (_req, res, seen) => {
		const page = PAGES[queryOf(seen.url).get('page') ?? ''];
		if (page) sendJson(res, 200, page);
		else sendJson(res, 400, { error: `no page ${queryOf(seen.url).get('page')}` });
	});
	servers.nextUrl.route('/cursor', (_req, res, seen) => {
		const page = CURSOR_PAGES[queryOf(seen.url).get('c') ?? '1'];
		if (page) sendJson(res, 200, page);
		else sendJson(res, 400, { error: 'unknown cursor' });
	});
	let retryCalls = 0;
	servers.retry.route('/flaky', (_req, res) => {
		retryCalls++;
		if (retryCalls === 1) sendJson(res, 503, { error: 'warming up' });
		else sendJson(res, 200, { ok: true, call: retryCalls });
	});
	servers.batchFail.route('/ok', (_req, res, seen) => sendJson(res, 200, { n: Number(queryOf(seen.url).get('i')) }));
	servers.batchFail.route('/fail', (_req, res) => sendJson(res, 500, { error: 'internal' }));
	servers.neverError.route('/accounts/missing', (_req, res) => {
		res.setHeader('x-request-id', 'req-404-1');
		sendJson(res, 404, NOT_FOUND_BODY);
	});
}

function workflows() {
	const { pageParameter, nextUrl, retry, batchFail, neverError, hints } = servers;
	const failing = JSON.stringify(FAILING_ITEMS);
	return [
		linearWorkflow(IDS.pageParameter, 'e2e: pagination, update a parameter', [mtlsNode('mTLS', goodCredential, {
			method: 'GET',
			url: `${pageParameter.origin}/items`,
			options: { pagination: { pagination: {
				paginationMode: 'updateAParameterInEachRequest',
				parameters: { parameters: [{ type: 'qs', name: 'page', value: '={{ $pageCount + 1 }}' }] },
				paginationCompleteWhen: 'responseIsEmpty',
			} } },
		})]),
		linearWorkflow(IDS.nextUrl, 'e2e: pagination, response contains next URL', [mtlsNode('mTLS', goodCredential, {
			method: 'GET',
			url: `${nextUrl.origin}/cursor`,
			options: { pagination: { pagination: {
				paginationMode: 'responseContainsNextURL',
				nextURL: '={{ $response.body.next }}',
				paginationCompleteWhen: 'other',
				completeExpression: '={{ !$response.body.next }}',
			} } },
		})]),
		linearWorkflow(IDS.retry, 'e2e: retry on fail', [
			mtlsNode('mTLS', goodCredential, { method: 'GET', url: `${retry.origin}/flaky` }, { retryOnFail: true, maxTries: 3, waitBetweenTries: 0 }),
		]),
		linearWorkflow(IDS.batchFail, 'e2e: continue on fail in batches', [
			...numberItems(6),
			mtlsNode('mTLS', goodCredential, {
				method: 'GET',
				url: `={{ '${batchFail.origin}/' + (${failing}.includes($json.n - 1) ? 'fail' : 'ok') + '?i=' + ($json.n - 1) }}`,
				options: { batching: { batch: { batchSize: 3, batchInterval: 0 } } },
			}, { onError: 'continueRegularOutput' }),
		]),
		linearWorkflow(IDS.neverError, 'e2e: never error, full response', [mtlsNode('mTLS', goodCredential, {
			method: 'GET',
			url: `${neverError.origin}/accounts/missing`,
			options: { response: { response: { neverError: true, fullResponse: true } } },
		})]),
		// The test certificate is valid for a year: a 400-day threshold makes it "expiring".
		linearWorkflow(IDS.hints, 'e2e: execution hints', [mtlsNode('mTLS', goodCredential, {
			method: 'GET',
			url: `${hints.origin}/accounts`,
			options: { allowUnauthorizedCerts: true, expiryWarningDays: 400 },
		})]),
	];
}

/** Every workflow of this file in one n8n process, started by whichever test needs it first. */
function runAll(): Promise<BatchResult> {
	batch ??= n8n.runWorkflows(Object.values(IDS));
	return batch;
}

async function runOf(id: string): Promise<WorkflowRun & { log: string }> {
	const { runs, log } = await runAll();
	return { ...runs[id], log };
}

/** The mTLS node's items, or a failure that shows what n8n printed. */
async function mtlsOutput(id: string): Promise<OutputItem[]> {
	const run = await runOf(id);
	try {
		return outputOf(run, 'mTLS');
	} catch (error) {
		throw new Error(`${(error as Error).message}\n--- n8n output ---\n${run.log.slice(-6000)}`);
	}
}

function itemIndexes(items: OutputItem[]): number[] {
	return items.map(({ pairedItem }) => (Array.isArray(pairedItem) ? pairedItem[0]?.item : pairedItem?.item) as number);
}

test('pagination, update a parameter: page=1,2,3 until an empty page, over one TLS handshake', TIMEOUT, async () => {
	const items = await mtlsOutput(IDS.pageParameter);
	assert.deepEqual(items.map(({ json }) => json), [{ id: 1 }, { id: 2 }, { id: 3 }]);
	assert.deepEqual(itemIndexes(items), [0, 0, 0], 'every page belongs to the one input item');
	assert.deepEqual(servers.pageParameter.requests.map(({ url }) => url), ['/items?page=1', '/items?page=2', '/items?page=3']);
	assert.equal(servers.pageParameter.handshakes(), 1, 'all pages went over the same connection');
});

test('pagination, response contains next URL: follows $response.body.next until it is null', TIMEOUT, async () => {
	const items = await mtlsOutput(IDS.nextUrl);
	assert.deepEqual(items.map(({ json }) => json), [CURSOR_PAGES[1], CURSOR_PAGES[2], CURSOR_PAGES[3]], 'one item per page, the page body');
	assert.deepEqual(servers.nextUrl.requests.map(({ url }) => url), ['/cursor', '/cursor?c=2', '/cursor?c=3']);
	assert.ok(servers.nextUrl.requests.every(({ peerSubject }) => peerSubject === 'client-ec.example'), 'every page presented the client certificate');
});

test('Retry On Fail: a 503 is retried by n8n and the execution ends with the 200 body', TIMEOUT, async () => {
	const items = await mtlsOutput(IDS.retry);
	assert.deepEqual(items.map(({ json }) => json), [{ ok: true, call: 2 }]);
	assert.equal(servers.retry.requests.length, 2);
	assert.deepEqual(servers.retry.requests.map(({ url }) => url), ['/flaky', '/flaky']);
});

test('continue on fail in batches of 3: six items in input order, items 1 and 4 carry the 500', TIMEOUT, async () => {
	const items = await mtlsOutput(IDS.batchFail);
	assert.equal(items.length, 6, JSON.stringify(items));
	assert.deepEqual(itemIndexes(items), [0, 1, 2, 3, 4, 5]);
	for (const [index, { json }] of items.entries()) {
		if (FAILING_ITEMS.includes(index)) {
			const error = json.error as Record<string, unknown> | undefined;
			assert.ok(error, `item ${index} carries an error: ${JSON.stringify(json)}`);
			assert.equal(error.httpCode, '500', `item ${index}: ${JSON.stringify(error)}`);
			assert.deepEqual(Object.keys(json), ['error']);
		} else {
			assert.deepEqual(json, { n: index }, `item ${index}`);
		}
	}
	const seen = servers.batchFail.requests.map(({ url }) => url);
	assert.equal(seen.length, 6, `every item was sent despite the failures: ${seen}`);
	const indexesOf = (urls: string[]) => urls.map((url) => Number(queryOf(url).get('i'))).sort();
	assert.deepEqual(indexesOf(seen.slice(0, 3)), [0, 1, 2], `the second batch starts after the first: ${seen}`);
	assert.deepEqual(indexesOf(seen.slice(3)), [3, 4, 5]);
	assert.deepEqual(seen.filter((url) => url.startsWith('/fail')).sort(), ['/fail?i=1', '/fail?i=4']);
});

test('Never Error with Include Response Headers and Status: a 404 becomes one item', TIMEOUT, async () => {
	const run = await runOf(IDS.neverError);
	assert.equal(run.status, 'success', `${run.error}\n${run.log.slice(-4000)}`);
	const items = await mtlsOutput(IDS.neverError);
	assert.equal(items.length, 1);
	const { json } = items[0];
	assert.equal(json.statusCode, 404);
	assert.equal(json.statusMessage, 'Not Found');
	assert.deepEqual(json.body, NOT_FOUND_BODY);
	const headers = json.headers as Record<string, unknown>;
	assert.equal(headers['x-request-id'], 'req-404-1');
	assert.match(String(headers['content-type']), /^application\/json/);
	assert.equal(servers.neverError.requests.length, 1);
});

test('execution hints: insecure mode and a certificate expiring within the threshold are shown', TIMEOUT, async () => {
	const run = await runOf(IDS.hints);
	assert.equal(run.status, 'success', `${run.error}\n${run.log.slice(-4000)}`);
	const hints = run.hints.mTLS ?? [];
	assert.ok(hints.some((hint) => hint.includes('"Ignore SSL Issues (Insecure)" is on')), `hints: ${JSON.stringify(hints)}`);
	assert.ok(hints.some((hint) => /client certificate "client-ec\.example" expires on \d{4}-\d{2}-\d{2} \(36\d days left\)/.test(hint)), `hints: ${JSON.stringify(hints)}`);
	assert.equal(servers.hints.requests[0]?.peerSubject, 'client-ec.example', 'the client certificate is still presented');
});
