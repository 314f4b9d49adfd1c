/**
 * The comparison itself, without n8n: a difference no entry explains is unexpected, an entry that
 * explains nothing is stale, and only what legitimately varies between two runs is normalised.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { classify, diff, normaliseText, requestsOf, type Observation } from './compare';
import type { Arrival } from './echoServer';
import type { Intended } from './intended';

function observation(overrides: Partial<Observation> = {}): Observation {
	return { status: 'success', items: [{ json: { id: 1 }, pairedItem: { item: 0 } }], hints: [], requests: [], ...overrides };
}

function entry(id: string, cases: RegExp, paths: RegExp, extra: Partial<Intended> = {}): Intended {
	return { id, kind: 'intended', summary: id, reason: `${id} because of a reason long enough to be one`, cases, paths, readme: ['method'], ...extra };
}

test('a difference on no list is unexpected; one on the list is intended; none is same', () => {
	const h = observation();
	const m = observation({ items: [{ json: { id: 2 }, pairedItem: { item: 0 } }] });
	assert.deepEqual(diff('c1', h, m), [{ caseId: 'c1', path: 'items[0].json.id', h: '1', m: '2' }]);
	assert.equal(classify([{ caseId: 'c1', h, m }], []).cases[0].verdict, 'unexpected');
	const listed = classify([{ caseId: 'c1', h, m }], [entry('ids', /^c1$/, /\.id$/)]);
	assert.equal(listed.cases[0].verdict, 'intended');
	assert.deepEqual(listed.stale, []);
	assert.equal(classify([{ caseId: 'c1', h, m: h }], []).cases[0].verdict, 'same');
});

test('an entry for another case does not explain a difference, and is reported stale', () => {
	const h = observation({ status: 'error', error: 'a' });
	const m = observation({ status: 'error', error: 'b' });
	const report = classify([{ caseId: 'c1', h, m }], [entry('other', /^c2$/, /^error$/)]);
	assert.equal(report.cases[0].verdict, 'unexpected');
	assert.deepEqual(report.stale.map(({ id }) => id), ['other']);
});

test('a case differing only in connection handling counts as same', () => {
	const h = observation({ requests: [{ method: 'GET', target: '/x', headers: { connection: 'close' }, peer: 'cn' }] });
	const m = observation({ requests: [{ method: 'GET', target: '/x', headers: { connection: 'keep-alive' }, peer: 'cn' }] });
	const report = classify([{ caseId: 'c1', h, m }], [entry('keep-alive', /./, /headers\.connection$/, { connection: true })]);
	assert.equal(report.cases[0].verdict, 'same');
	assert.equal(classify([{ caseId: 'c1', h, m }], [entry('keep-alive', /./, /headers\.connection$/)]).cases[0].verdict, 'intended');
});

test('missing items, extra items and absent fields are differences', () => {
	const h = observation({ items: [] });
	const m = observation();
	assert.deepEqual(diff('c', h, m).map(({ path }) => path), ['items', 'items[0].json.id', 'items[0].pairedItem.item']);
	assert.deepEqual(diff('c', observation({ items: [{ json: { a: 1, b: 2 } }] }), observation({ items: [{ json: { a: 1 } }] })).map(({ path, m: ours }) => [path, ours]), [['items[0].json.b', undefined]]);
});

test('the side prefix, the port and HTTP dates are normalised; everything else is kept', () => {
	assert.equal(normaliseText('https://localhost:4431/h/q-1/echo?x=1 at Mon, 30 Nov 2026 23:00:00 GMT', 'q-1', 4431), 'https://localhost:PORT/~/q-1/echo?x=1 at <date>');
	assert.equal(normaliseText('/h/q-10/echo /m/q-1?a', 'q-1', 4431), '/h/q-10/echo /~/q-1?a', 'only the case\'s own prefix, as whole segments');
});

test('multipart bodies are compared by their parts, other bodies byte for byte', () => {
	const arrival = (side: 'h' | 'm', body: Buffer, contentType: string, parts?: Arrival['parts']): Arrival => ({
		side, caseId: 'b', method: 'POST', target: '/echo', headers: { 'content-type': contentType, 'content-length': String(body.length) }, body, parts, peer: 'cn',
	});
	const parts = [{ name: 'a', value: '1' }];
	const [h] = requestsOf([arrival('h', Buffer.from('--x1\r\n…'), 'multipart/form-data; boundary=x1', parts)], 'h', 'b', 1, false);
	const [m] = requestsOf([arrival('m', Buffer.from('--yy22\r\n……'), 'multipart/form-data; boundary=yy22', parts)], 'm', 'b', 1, false);
	assert.deepEqual(h, m);
	const [binary] = requestsOf([arrival('h', Buffer.from([0x00, 0xff, 0x80]), 'application/pdf')], 'h', 'b', 1, false);
	assert.equal(binary.body, 'base64:AP+A');
});
