/**
 * Pagination as n8n's HTTP Request node does it, inside a real n8n 2.40: pages whose data holds
 * U+2028/U+2029 and "}}" (under the default vm expression engine and the legacy one), parameters
 * and headers whose expression yields undefined, error pages under "Complete When: Other" and
 * "Response Is Empty", and an interval given as an expression. One server per workflow, so each
 * case sees only its own requests.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createStandardPki, type StandardPki } from '../fixtures/pki';
import { type MtlsServer, startPartners, queryOf, sendJson } from '../fixtures/mtlsServer';
import {
	prepareN8n, tearDown, linearWorkflow, mtlsNode, partnerCredential, outputOf,
	type BatchResult, type CredentialJson, type N8n, type OutputItem, type WorkflowJson, type WorkflowRun,
} from './n8n';

const IDS = {
	unicode: 'mtlsE2ePgUnicode1',
	cursor: 'mtlsE2ePgCursor01',
	plainUndefined: 'mtlsE2ePgUndef001',
	otherError: 'mtlsE2ePgOtherErr',
	otherNeverError: 'mtlsE2ePgOtherNe1',
	emptyErrorPage: 'mtlsE2ePgEmpty404',
	interval: 'mtlsE2ePgInterval',
};
/** Run again under N8N_EXPRESSION_ENGINE=legacy, in a second n8n process. */
const LEGACY_IDS = { unicode: 'mtlsE2ePgUnicodeL', cursor: 'mtlsE2ePgCursorL1' };
type ServerName = keyof typeof IDS | 'unicodeLegacy' | 'cursorLegacy';
const SERVER_NAMES: ServerName[] = [...(Object.keys(IDS) as Array<keyof typeof IDS>), 'unicodeLegacy', 'cursorLegacy'];
const TIMEOUT = { timeout: 5 * 60_000 };
const INTERVAL_MS = 300;

/** Text that broke the old way of putting page data into the expression text. */
const TRICKY = 'line\u2028separator\u2029paragraph }} {{ $json }} \\u2028 "quoted"';
/** /feed?c=N, the first page without c. */
const FEED: Record<string, { data: Array<{ id: string; text: string }>; next: string | null }> = {
	1: { data: [{ id: 'a', text: TRICKY }], next: '/feed?c=2' },
	2: { data: [{ id: 'b', text: `${TRICKY} 2` }], next: '/feed?c=3' },
	3: { data: [{ id: 'c', text: 'plain' }], next: null },
};
/** /list?cursor=X, the first page without a cursor. */
const LIST: Record<string, { items: Array<{ id: number }>; next?: string }> = {
	'': { items: [{ id: 1 }], next: 'b' },
	b: { items: [{ id: 2 }], next: 'c' },
	c: { items: [{ id: 3 }] },
};

let pki: StandardPki;
let n8n: N8n;
let servers: Record<ServerName, MtlsServer>;
/** Arrival times of the interval workflow's requests, as the server saw them. */
const intervalArrivals: number[] = [];
let credential: CredentialJson;
let batches: Promise<{ vm: BatchResult; legacy: BatchResult }> | undefined;

before(async () => {
	pki = createStandardPki();
	servers = await startPartners(pki, SERVER_NAMES);
	routes();
	credential = partnerCredential(pki, 'mtlsCredGood0009');
	n8n = await prepareN8n([credential], workflows());
}, TIMEOUT);

after(() => tearDown(servers, n8n, pki));

function routes(): void {
	for (const server of [servers.unicode, servers.unicodeLegacy]) {
		server.route('/feed', (_req, res, seen) => {
			const page = FEED[queryOf(seen.url).get('c') ?? '1'];
			if (page) sendJson(res, 200, page);
			else sendJson(res, 400, { error: 'unknown page' });
		});
	}
	for (const server of [servers.cursor, servers.cursorLegacy]) {
		server.route('/list', (_req, res, seen) => {
			const page = LIST[queryOf(seen.url).get('cursor') ?? ''];
			if (page) sendJson(res, 200, page);
			else sendJson(res, 400, { error: `unknown cursor ${queryOf(seen.url).get('cursor')}` });
		});
	}
	for (const server of [servers.otherError, servers.otherNeverError]) {
		server.route('/ledger', (_req, res, seen) => {
			if (queryOf(seen.url).get('p') === '2') sendJson(res, 500, { error: 'ledger unavailable' });
			else sendJson(res, 200, { entries: [{ id: 1 }], next: '/ledger?p=2' });
		});
	}
	servers.emptyErrorPage.route('/items', (_req, res, seen) => {
		if (queryOf(seen.url).get('page') === '1') sendJson(res, 200, [{ id: 1 }, { id: 2 }]);
		else sendJson(res, 404, []);
	});
	servers.interval.route('/slow', (_req, res, seen) => {
		intervalArrivals.push(performance.now());
		const page = Number(queryOf(seen.url).get('page'));
		sendJson(res, 200, page < 3 ? [{ page }] : []);
	});
}

const nextUrlUntilNull = (origin: string): Record<string, unknown> => ({
	method: 'GET',
	url: `${origin}/feed`,
	options: { pagination: { pagination: {
		paginationMode: 'responseContainsNextURL',
		nextURL: '={{ $response.body.next }}',
		paginationCompleteWhen: 'other',
		completeExpression: '={{ $response.body.next === null }}',
	} } },
});

const cursorInQueryAndHeader = (origin: string): Record<string, unknown> => ({
	method: 'GET',
	url: `${origin}/list`,
	options: { pagination: { pagination: {
		paginationMode: 'updateAParameterInEachRequest',
		parameters: { parameters: [
			{ type: 'qs', name: 'cursor', value: '={{ $response.body.next }}' },
			{ type: 'headers', name: 'x-cursor', value: '={{ $response.body.next }}' },
		] },
		paginationCompleteWhen: 'other',
		completeExpression: '={{ !$response.body.next }}',
	} } },
});

const otherUntilDone = (origin: string, neverError: boolean): Record<string, unknown> => ({
	method: 'GET',
	url: `${origin}/ledger`,
	options: {
		response: { response: { neverError } },
		pagination: { pagination: {
			paginationMode: 'responseContainsNextURL',
			nextURL: '={{ $response.body.next }}',
			paginationCompleteWhen: 'other',
			// An error page has no next link either: it must not pass for the last page.
			completeExpression: '={{ !$response.body.next }}',
		} },
	},
});

function workflows(): WorkflowJson[] {
	const node = (parameters: Record<string, unknown>) => [mtlsNode('mTLS', credential, parameters)];
	return [
		linearWorkflow(IDS.unicode, 'e2e: pages with U+2028, U+2029 and }}', node(nextUrlUntilNull(servers.unicode.origin))),
		linearWorkflow(LEGACY_IDS.unicode, 'e2e: pages with U+2028, U+2029 and }} (legacy engine)', node(nextUrlUntilNull(servers.unicodeLegacy.origin))),
		linearWorkflow(IDS.cursor, 'e2e: cursor parameter, undefined on the first request', node(cursorInQueryAndHeader(servers.cursor.origin))),
		linearWorkflow(LEGACY_IDS.cursor, 'e2e: cursor parameter (legacy engine)', node(cursorInQueryAndHeader(servers.cursorLegacy.origin))),
		linearWorkflow(IDS.plainUndefined, 'e2e: undefined query parameter and header', node({
			method: 'GET',
			url: `${servers.plainUndefined.origin}/search`,
			sendQuery: true,
			queryParameters: { parameters: [{ name: 'cursor', value: '={{ $json.missing }}' }, { name: 'q', value: '' }, { name: 'limit', value: '={{ 5 }}' }] },
			sendHeaders: true,
			headerParameters: { parameters: [{ name: 'X-Cursor', value: '={{ $json.missing }}' }, { name: 'X-Empty', value: '' }, { name: 'X-Tenant', value: 'acme' }] },
		})),
		linearWorkflow(IDS.otherError, 'e2e: Complete When Other, error page says done', node(otherUntilDone(servers.otherError.origin, false))),
		linearWorkflow(IDS.otherNeverError, 'e2e: Complete When Other, error page says done, Never Error', node(otherUntilDone(servers.otherNeverError.origin, true))),
		linearWorkflow(IDS.emptyErrorPage, 'e2e: Response Is Empty, a 404 with an empty JSON array', node({
			method: 'GET',
			url: `${servers.emptyErrorPage.origin}/items`,
			options: { pagination: { pagination: {
				paginationMode: 'updateAParameterInEachRequest',
				parameters: { parameters: [{ type: 'qs', name: 'page', value: '={{ $pageCount + 1 }}' }] },
				paginationCompleteWhen: 'responseIsEmpty',
			} } },
		})),
		linearWorkflow(IDS.interval, 'e2e: interval as an expression', node({
			method: 'GET',
			url: `${servers.interval.origin}/slow`,
			options: { pagination: { pagination: {
				paginationMode: 'updateAParameterInEachRequest',
				parameters: { parameters: [{ type: 'qs', name: 'page', value: '={{ $pageCount + 1 }}' }] },
				paginationCompleteWhen: 'responseIsEmpty',
				requestInterval: `={{ ${INTERVAL_MS / 3} * 3 }}`,
			} } },
		})),
	];
}

/** Both n8n processes, one after the other, started by whichever test needs them first. */
function runAll(): Promise<{ vm: BatchResult; legacy: BatchResult }> {
	batches ??= (async () => ({
		vm: await n8n.runWorkflows(Object.values(IDS)),
		legacy: await n8n.runWorkflows(Object.values(LEGACY_IDS), { env: { N8N_EXPRESSION_ENGINE: 'legacy' } }),
	}))();
	return batches;
}

async function runOf(id: string): Promise<WorkflowRun & { log: string }> {
	const { vm, legacy } = await runAll();
	const batch = id in vm.runs ? vm : legacy;
	return { ...batch.runs[id], log: batch.log };
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

for (const [engine, id, server] of [['vm', IDS.unicode, 'unicode'], ['legacy', LEGACY_IDS.unicode, 'unicodeLegacy']] as const) {
	test(`pages holding U+2028, U+2029 and "}}" paginate like any other (${engine} engine)`, TIMEOUT, async () => {
		const items = await mtlsOutput(id);
		assert.deepEqual(items.map(({ json }) => json), [FEED[1], FEED[2], FEED[3]], 'one item per page, the data intact');
		assert.deepEqual(servers[server].requests.map(({ url }) => url), ['/feed', '/feed?c=2', '/feed?c=3']);
		for (const { json } of items) assert.deepEqual(Object.keys(json), ['data', 'next'], 'nothing of the pagination state leaks into the output');
	});
}

for (const [engine, id, server] of [['vm', IDS.cursor, 'cursor'], ['legacy', LEGACY_IDS.cursor, 'cursorLegacy']] as const) {
	test(`a pagination parameter whose expression yields undefined is left out of the first request (${engine} engine)`, TIMEOUT, async () => {
		const items = await mtlsOutput(id);
		assert.deepEqual(items.map(({ json }) => json.items), [[{ id: 1 }], [{ id: 2 }], [{ id: 3 }]]);
		const requests = servers[server].requests;
		assert.deepEqual(requests.map(({ url }) => url), ['/list', '/list?cursor=b', '/list?cursor=c'], 'no cursor=undefined');
		assert.deepEqual(requests.map(({ headers }) => headers['x-cursor']), [undefined, 'b', 'c'], 'no x-cursor: undefined');
	});
}

test('a query parameter or header whose expression yields undefined is not sent; an empty one is', TIMEOUT, async () => {
	await mtlsOutput(IDS.plainUndefined);
	const [seen] = servers.plainUndefined.requests;
	assert.equal(seen.url, '/search?q=&limit=5');
	assert.equal(seen.headers['x-cursor'], undefined);
	assert.equal(seen.headers['x-empty'], '');
	assert.equal(seen.headers['x-tenant'], 'acme');
});

test('"Complete When: Other": an error page whose expression says done fails the execution', TIMEOUT, async () => {
	const run = await runOf(IDS.otherError);
	assert.equal(run.status, 'error', `a 500 as the last page is no success\n${run.log.slice(-3000)}`);
	// n8n's message for a 500, as the HTTP Request node's error reads.
	assert.match(`${run.error}\n${run.log}`, /The service was not able to process your request/);
	assert.deepEqual(servers.otherError.requests.map(({ url }) => url), ['/ledger', '/ledger?p=2']);
});

test('"Complete When: Other" with Never Error: the error page ends pagination and is output', TIMEOUT, async () => {
	const items = await mtlsOutput(IDS.otherNeverError);
	assert.deepEqual(items.map(({ json }) => json), [{ entries: [{ id: 1 }], next: '/ledger?p=2' }, { error: 'ledger unavailable' }]);
});

test('"Response Is Empty": an error page reads as its parsed JSON body, so a 404 with [] ends pagination', TIMEOUT, async () => {
	const items = await mtlsOutput(IDS.emptyErrorPage);
	assert.deepEqual(items.map(({ json }) => json), [{ id: 1 }, { id: 2 }]);
	assert.deepEqual(servers.emptyErrorPage.requests.map(({ url }) => url), ['/items?page=1', '/items?page=2']);
});

test('an interval given as an expression spaces the requests', TIMEOUT, async () => {
	const items = await mtlsOutput(IDS.interval);
	assert.equal(items.length, 2);
	assert.equal(intervalArrivals.length, 3);
	const gaps = intervalArrivals.slice(1).map((at, i) => Math.round(at - intervalArrivals[i]));
	// Generous: timers may fire a little early against the server's clock, never much.
	for (const gap of gaps) assert.ok(gap >= INTERVAL_MS - 50, `gaps between requests ${gaps.join(', ')} ms, expected about ${INTERVAL_MS} ms`);
});
