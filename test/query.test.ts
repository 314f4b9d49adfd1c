import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { appendQuery, setQueryParameter } from '../lib/http/query';

describe('query strings keep what the user typed', () => {
	test('appending leaves a signed query byte for byte', () => {
		const url = new URL('https://api.partner.example/v1?fields=a,b:c&sig=x%20y+z');
		appendQuery(url, [['page', '2']]);
		assert.equal(url.search, '?fields=a,b:c&sig=x%20y+z&page=2');
	});

	test('pagination sets its parameter without re-encoding the others', () => {
		const url = new URL('https://api.partner.example/v1?fields=a,b:c&page=1&sig=x%20y+z');
		setQueryParameter(url, 'page', '2');
		assert.equal(url.search, '?fields=a,b:c&sig=x%20y+z&page=2');
		setQueryParameter(url, 'page', '3');
		assert.equal(url.search, '?fields=a,b:c&sig=x%20y+z&page=3');
	});

	test('an encoded name counts as the same parameter; a malformed escape is kept as typed', () => {
		const url = new URL('https://api.partner.example/v1?next%5Fcursor=a&bad=%E0%A4%A&q=1');
		setQueryParameter(url, 'next_cursor', 'b c');
		assert.equal(url.search, '?bad=%E0%A4%A&q=1&next_cursor=b%20c');
	});

	test('an empty query gets the parameter alone', () => {
		const url = new URL('https://api.partner.example/v1');
		setQueryParameter(url, 'cursor', '');
		assert.equal(url.search, '?cursor=');
	});
});
