import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { HttpRequest } from '../lib/http/send';
import { Evaluate, evaluatorFor, Page, paginate, PaginationConfig, readPagination } from '../nodes/MtlsHttpRequest/pagination';

const first: HttpRequest = { method: 'GET', url: new URL('https://api.partner.example/items?limit=2'), headers: {}, redirect: { follow: true, max: 21, allowCrossOrigin: false } };

/** Stands in for n8n's expression engine on the few expressions these tests use. */
const evaluate: Evaluate = (value, keys) => {
	const expressions: Record<string, unknown> = {
		'={{ $pageCount + 1 }}': keys.$pageCount + 1,
		'={{ $response.body.next }}': (keys.$response as { body?: { next?: string } }).body?.next,
		'={{ $response.body.done }}': (keys.$response as { body?: { done?: boolean } }).body?.done,
		'={{ 150 }}': 150,
		'={{ 2 }}': 2,
		'={{ "soon" }}': 'soon',
	};
	return value in expressions ? expressions[value] : value;
};

function pages(bodies: unknown[]): { fetch: (request: HttpRequest) => Promise<Page>; seen: HttpRequest[] } {
	const seen: HttpRequest[] = [];
	return {
		seen,
		fetch: async (request) => {
			const body = bodies[seen.length] ?? [];
			seen.push(request);
			return { response: { body, headers: {}, statusCode: 200 }, items: (Array.isArray(body) ? body : [body]).map((json) => ({ json: json as never })), digest: JSON.stringify(body) };
		},
	};
}

const config = (overrides: Partial<PaginationConfig>): PaginationConfig => ({
	mode: 'updateAParameterInEachRequest', nextURL: '', parameters: [], completeWhen: 'responseIsEmpty', statusCodes: [], completeExpression: '', requestInterval: 0, ...overrides,
});
const noFailure = () => undefined;

describe('pagination', () => {
	test('update a parameter: page=1,2,3 until an empty page', async () => {
		const { fetch, seen } = pages([[{ id: 1 }, { id: 2 }], [{ id: 3 }], []]);
		const items = await paginate(first, config({ parameters: [{ type: 'qs', name: 'page', value: '={{ $pageCount + 1 }}' }] }), fetch, evaluate, noFailure);
		assert.deepEqual(items.map((item) => item.json), [{ id: 1 }, { id: 2 }, { id: 3 }]);
		assert.deepEqual(seen.map((request) => request.url.search), ['?limit=2&page=1', '?limit=2&page=2', '?limit=2&page=3']);
	});

	test('response contains next URL: relative links resolved, stops by expression', async () => {
		const { fetch, seen } = pages([{ id: 1, next: '/items?cursor=b' }, { id: 2, next: '/items?cursor=c' }, { id: 3, done: true }]);
		const items = await paginate(first, config({ mode: 'responseContainsNextURL', nextURL: '={{ $response.body.next }}', completeWhen: 'other', completeExpression: '={{ $response.body.done }}' }), fetch, evaluate, noFailure);
		assert.equal(items.length, 3);
		assert.deepEqual(seen.map((request) => request.url.href), ['https://api.partner.example/items?limit=2', 'https://api.partner.example/items?cursor=b', 'https://api.partner.example/items?cursor=c']);
	});

	test('a page whose status completes pagination is output; an error page that fails is not', async () => {
		const statuses = [200, 404];
		const bodies: unknown[] = [[{ id: 1 }], { message: 'no more pages' }];
		let index = 0;
		const fetch = async (): Promise<Page> => {
			const body = bodies[index];
			const statusCode = statuses[index++];
			return { response: { body, headers: {}, statusCode }, items: (Array.isArray(body) ? body : [body]).map((json) => ({ json: json as never })), digest: String(index) };
		};
		const failOn404 = (page: Page) => (page.response.statusCode >= 400 ? new Error('404') : undefined);
		const parameters = [{ type: 'qs' as const, name: 'page', value: '={{ $pageCount + 1 }}' }];
		const items = await paginate(first, config({ parameters, completeWhen: 'receiveSpecificStatusCodes', statusCodes: [404] }), fetch, evaluate, failOn404);
		assert.deepEqual(items.map((item) => item.json), [{ id: 1 }, { message: 'no more pages' }]);
		index = 0;
		await assert.rejects(paginate(first, config({ parameters, completeWhen: 'receiveSpecificStatusCodes', statusCodes: [410] }), fetch, evaluate, failOn404), /404/);
	});

	test('Max Pages stops early', async () => {
		const { fetch, seen } = pages([[1], [2], [3], [4]]);
		await paginate(first, config({ parameters: [{ type: 'qs', name: 'page', value: '={{ $pageCount + 1 }}' }], maxRequests: 2 }), fetch, evaluate, noFailure);
		assert.equal(seen.length, 2);
	});

	test('a next URL on another origin is refused: the certificate would go there', async () => {
		const { fetch, seen } = pages([{ next: 'https://elsewhere.example/items?page=2' }, []]);
		await assert.rejects(paginate(first, config({ mode: 'responseContainsNextURL', nextURL: '={{ $response.body.next }}' }), fetch, evaluate, noFailure), { code: 'PAGINATION_CROSS_ORIGIN' });
		assert.equal(seen.length, 1);
	});

	test('the same page over and over stops with PAGINATION_STUCK', async () => {
		const { fetch } = pages(Array.from({ length: 10 }, () => [{ same: true }]));
		await assert.rejects(paginate(first, config({ parameters: [{ type: 'qs', name: 'page', value: '1' }] }), fetch, evaluate, noFailure), { code: 'PAGINATION_STUCK' });
	});

	test('body parameters merge into a JSON body', async () => {
		const { fetch, seen } = pages([[1], []]);
		await paginate({ ...first, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"filter":"open"}' }, config({ parameters: [{ type: 'body', name: 'offset', value: '={{ $pageCount + 1 }}' }] }), fetch, evaluate, noFailure);
		assert.deepEqual(seen.map((request) => JSON.parse(String(request.body))), [{ filter: 'open', offset: 1 }, { filter: 'open', offset: 2 }]);
	});

	test('options are validated with field-named errors', () => {
		assert.equal(readPagination({ paginationMode: 'off' }), undefined);
		assert.throws(() => readPagination({ paginationMode: 'updateAParameterInEachRequest', parameters: { parameters: [{ type: 'qs', name: '', value: '' }] } }), { code: 'PAGINATION_PARAMETER_MISSING', field: 'options.pagination' });
		assert.throws(() => readPagination({ paginationMode: 'responseContainsNextURL', nextURL: '' }), { code: 'PAGINATION_NEXT_URL_MISSING' });
		assert.throws(() => readPagination({ paginationMode: 'responseContainsNextURL', nextURL: '=x', paginationCompleteWhen: 'other', completeExpression: 'true' }), { code: 'PAGINATION_COMPLETE_EXPRESSION_INVALID' });
		assert.deepEqual(readPagination({ paginationMode: 'responseContainsNextURL', nextURL: '=x', paginationCompleteWhen: 'receiveSpecificStatusCodes', statusCodesWhenComplete: '404, 204' })?.statusCodes, [404, 204]);
	});
});

describe('pagination: n8n semantics', () => {
	const cursor = config({ parameters: [{ type: 'qs', name: 'cursor', value: '={{ $response.body.next }}' }, { type: 'headers', name: 'x-cursor', value: '={{ $response.body.next }}' }] });

	test('a parameter whose expression yields undefined is left out, as n8n does (first cursor request)', async () => {
		const { fetch, seen } = pages([{ next: 'b', items: [1] }, { next: 'c', items: [2] }, []]);
		await paginate(first, cursor, fetch, evaluate, noFailure);
		assert.deepEqual(seen.map((request) => request.url.search), ['?limit=2', '?limit=2&cursor=b', '?limit=2&cursor=c']);
		assert.deepEqual(seen.map((request) => request.headers['x-cursor']), [undefined, 'b', 'c']);
	});

	test('a body parameter whose expression yields undefined is left out of a form body', async () => {
		const { fetch, seen } = pages([{ next: 'b' }, []]);
		const form = { ...first, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'q=open' };
		await paginate(form, config({ parameters: [{ type: 'body', name: 'cursor', value: '={{ $response.body.next }}' }] }), fetch, evaluate, noFailure);
		assert.deepEqual(seen.map((request) => request.body), ['q=open', 'q=open&cursor=b']);
	});

	/** Pages with a status; an error page fails like fetchPage's HttpStatusError when `neverError` is off. */
	function statusPages(list: Array<{ status: number; body: unknown }>, neverError: boolean) {
		const seen: HttpRequest[] = [];
		const fetch = async (request: HttpRequest): Promise<Page & { error?: Error }> => {
			const { status, body } = list[Math.min(seen.length, list.length - 1)];
			seen.push(request);
			const error = status >= 400 && !neverError ? Object.assign(new Error(`status ${status}`), { code: 'HTTP_STATUS' }) : undefined;
			return { response: { body, headers: {}, statusCode: status }, items: error ? [] : [{ json: { status } }], digest: String(seen.length), error };
		};
		return { seen, fetch, failOnStatus: (page: Page & { error?: Error }) => page.error };
	}
	const other = config({ mode: 'responseContainsNextURL', nextURL: '={{ $response.body.next }}', completeWhen: 'other', completeExpression: '={{ $response.body.done }}' });

	test('"Complete When: Other": an error page whose expression says done fails the item', async () => {
		const { fetch, seen, failOnStatus } = statusPages([{ status: 200, body: { next: '/p2' } }, { status: 500, body: { done: true, error: 'db down' } }], false);
		await assert.rejects(paginate(first, other, fetch, evaluate, failOnStatus), { code: 'HTTP_STATUS', message: 'status 500' });
		assert.equal(seen.length, 2);
	});

	test('"Complete When: Other" with Never Error: the error page ends pagination and is kept', async () => {
		const { fetch, failOnStatus } = statusPages([{ status: 200, body: { next: '/p2' } }, { status: 500, body: { done: true } }], true);
		const items = await paginate(first, other, fetch, evaluate, failOnStatus);
		assert.deepEqual(items.map((item) => item.json.status), [200, 500]);
	});

	test('"Response Is Empty": an error page with an empty body ends pagination without failing, as in n8n', async () => {
		const { fetch, failOnStatus } = statusPages([{ status: 200, body: [1] }, { status: 404, body: '' }], false);
		const items = await paginate(first, config({ parameters: [{ type: 'qs', name: 'page', value: '={{ $pageCount + 1 }}' }] }), fetch, evaluate, failOnStatus);
		assert.equal(items.length, 1);
	});

	test('an interval given as an expression is waited between requests', async () => {
		const times: number[] = [];
		const { fetch } = pages([[1], [2], []]);
		const timed = async (request: HttpRequest) => {
			times.push(performance.now());
			return fetch(request);
		};
		await paginate(first, config({ parameters: [{ type: 'qs', name: 'page', value: '={{ $pageCount + 1 }}' }], requestInterval: '={{ 150 }}' }), timed, evaluate, noFailure);
		assert.equal(times.length, 3);
		for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] >= 140, `gap ${Math.round(times[i] - times[i - 1])} ms, expected about 150 ms`);
	});

	test('Max Pages given as an expression is honoured; an interval that is not a number is refused', async () => {
		const { fetch, seen } = pages([[1], [2], [3], [4]]);
		const paged = { parameters: [{ type: 'qs' as const, name: 'page', value: '={{ $pageCount + 1 }}' }] };
		await paginate(first, config({ ...paged, maxRequests: '={{ 2 }}' }), fetch, evaluate, noFailure);
		assert.equal(seen.length, 2);
		await assert.rejects(paginate(first, config({ ...paged, requestInterval: '={{ "soon" }}' }), pages([[1], []]).fetch, evaluate, noFailure), { code: 'PAGINATION_NUMBER_INVALID', field: 'options.pagination' });
	});

	test('readPagination keeps an interval expression for evaluation page by page', () => {
		const raw = { paginationMode: 'updateAParameterInEachRequest', parameters: { parameters: [{ type: 'qs', name: 'page', value: '={{ $pageCount + 1 }}' }] } };
		assert.equal(readPagination({ ...raw, requestInterval: '={{ $response.headers["retry-after"] * 1000 }}' })?.requestInterval, '={{ $response.headers["retry-after"] * 1000 }}');
		assert.equal(readPagination({ ...raw, requestInterval: 250 })?.requestInterval, 250);
		assert.equal(readPagination({ ...raw, limitPagesFetched: true, maxRequests: '={{ 3 }}' })?.maxRequests, '={{ 3 }}');
		assert.throws(() => readPagination({ ...raw, requestInterval: 'soon' }), { code: 'PAGINATION_NUMBER_INVALID', field: 'options.pagination' });
	});
});

describe('pagination expressions in n8n (evaluatorFor)', () => {
	/**
	 * A stand-in for IExecuteFunctions that records the texts handed to evaluateExpression and
	 * resolves the one expression shape used here from the live item, as n8n's `$json` does.
	 */
	function recordingContext(json: Record<string, unknown>) {
		const calls: Array<{ text: string; visibleKeys: string[]; serialized: string }> = [];
		const ctx = {
			getInputData: () => [{ json }],
			evaluateExpression: (text: string) => {
				calls.push({ text, visibleKeys: Object.keys(json), serialized: JSON.stringify(json) });
				const match = /^\{\{ \$json\.(\w+)\.\$response\.body\.next \}\}$/.exec(text);
				if (!match) return text;
				const keys = json[match[1]] as { $response: { body?: { next?: string } } };
				return keys.$response.body?.next;
			},
		};
		return { ctx: ctx as unknown as Parameters<typeof evaluatorFor>[0], calls };
	}

	test('every page is evaluated with the same text, which holds no page data', async () => {
		const json = { id: 7 };
		const { ctx, calls } = recordingContext(json);
		// Page-sized bodies with what broke the old literal: U+2028/U+2029 and "}}".
		const filler = `${'x'.repeat(256 * 1024)}\u2028\u2029}} {{`;
		const { fetch, seen } = pages([{ next: '/items?cursor=b', filler }, { next: '/items?cursor=c', filler }, { filler }]);
		const mode = config({ mode: 'responseContainsNextURL', nextURL: '={{ $response.body.next }}', completeWhen: 'receiveSpecificStatusCodes', statusCodes: [404], maxRequests: 3 });
		await paginate(first, mode, fetch, evaluatorFor(ctx, 0), noFailure);
		assert.equal(calls.length, 2, 'the Next URL of pages 1 and 2');
		assert.equal(calls[0].text, calls[1].text, 'one text for every page');
		for (const { text, visibleKeys, serialized } of calls) {
			assert.ok(text.length < 200, `the text stays small: ${text.length} characters`);
			assert.ok(!text.includes('xxxx') && !text.includes('\u2028'), 'no page data in the text');
			assert.deepEqual(visibleKeys, ['id'], 'the values are invisible to Object.keys during the evaluation');
			assert.equal(serialized, '{"id":7}', 'and to JSON');
		}
		assert.deepEqual(Object.getOwnPropertyNames(json), ['id'], 'nothing is left on the item');
		assert.deepEqual(seen.map((request) => request.url.search), ['?limit=2', '?cursor=b', '?cursor=c']);
	});

	test('only $response, $pageCount and $request as variables inside {{ }} are rewritten', () => {
		const { ctx, calls } = recordingContext({});
		const evaluate = evaluatorFor(ctx, 0);
		const keys = { $response: {}, $pageCount: 0, $request: { method: 'GET', url: '', headers: {} } };
		evaluate('=$response {{ $response.body.next }} {{ $pageCount + $json.$request + $requestId + ($request.url) }}', keys);
		const [{ text }] = calls;
		const holder = /\$json\.(__mtlsPage[0-9a-f]{16})\./.exec(text)?.[1];
		assert.ok(holder, text);
		assert.equal(text, `$response {{ $json.${holder}.$response.body.next }} {{ $json.${holder}.$pageCount + $json.$request + $requestId + ($json.${holder}.$request.url) }}`);
		assert.equal(evaluate('plain text', keys), 'plain text', 'a value that is no expression is returned as is');
	});
});
