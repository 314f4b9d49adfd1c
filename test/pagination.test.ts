import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { HttpRequest } from '../lib/http/send';
import { Evaluate, Page, paginate, PaginationConfig, readPagination } from '../nodes/MtlsHttpRequest/pagination';

const first: HttpRequest = { method: 'GET', url: new URL('https://api.partner.example/items?limit=2'), headers: {}, redirect: { follow: true, max: 21, allowCrossOrigin: false } };

/** Stands in for n8n's expression engine on the few expressions these tests use. */
const evaluate: Evaluate = (value, keys) => {
	const expressions: Record<string, unknown> = {
		'={{ $pageCount + 1 }}': keys.$pageCount + 1,
		'={{ $response.body.next }}': (keys.$response as { body?: { next?: string } }).body?.next,
		'={{ $response.body.done }}': (keys.$response as { body?: { done?: boolean } }).body?.done,
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
