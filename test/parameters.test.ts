import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { RequestSpecError } from '../lib/errors';
import { ParamReader, readRequest, readSettings } from '../nodes/MtlsHttpRequest/parameters';

/** Parameters of one item as n8n hands them over, after expressions are resolved. */
function reader(values: Record<string, unknown>): ParamReader {
	return <T>(name: string, fallback?: T) => (name in values ? values[name] : fallback) as T;
}

const base = { method: 'GET', url: 'https://api.partner.example/v1/accounts' };

describe('readRequest', () => {
	test('query parameters from fields and from JSON are appended to the URL', () => {
		const fromFields = readRequest(reader({ ...base, sendQuery: true, queryParameters: { parameters: [{ name: 'page', value: '2' }, { name: 'q', value: 'a b' }] } }));
		assert.equal(fromFields.url.href, 'https://api.partner.example/v1/accounts?page=2&q=a+b');
		const fromJson = readRequest(reader({ ...base, sendQuery: true, specifyQuery: 'json', jsonQuery: '{"ids":[1,2],"all":true}' }));
		assert.equal(fromJson.url.search, '?ids=1&ids=2&all=true');
	});

	test('headers are lowercased by default and kept as typed when lowercaseHeaders is off', () => {
		const headers = { sendHeaders: true, headerParameters: { parameters: [{ name: 'X-Request-Id', value: 'abc' }] } };
		assert.deepEqual(readRequest(reader({ ...base, ...headers })).headers, { 'x-request-id': 'abc' });
		assert.deepEqual(readRequest(reader({ ...base, ...headers, options: { lowercaseHeaders: false } })).headers, { 'X-Request-Id': 'abc' });
	});

	test('JSON body from fields, from JSON text and from an expression object', () => {
		const fields = readRequest(reader({ ...base, method: 'POST', sendBody: true, bodyParameters: { parameters: [{ name: 'amount', value: '10' }] } }));
		assert.equal(fields.body, '{"amount":"10"}');
		assert.equal(fields.headers['content-type'], 'application/json');
		const text = readRequest(reader({ ...base, method: 'POST', sendBody: true, specifyBody: 'json', jsonBody: '{"a": [1, 2]}' }));
		assert.equal(text.body, '{"a":[1,2]}');
		const object = readRequest(reader({ ...base, method: 'POST', sendBody: true, specifyBody: 'json', jsonBody: { b: true } }));
		assert.equal(object.body, '{"b":true}');
	});

	test('form-urlencoded and raw bodies set their content type unless a header does', () => {
		const form = readRequest(reader({ ...base, method: 'POST', sendBody: true, contentType: 'form-urlencoded', bodyParameters: { parameters: [{ name: 'x', value: '1&2' }] } }));
		assert.equal(form.body, 'x=1%262');
		assert.equal(form.headers['content-type'], 'application/x-www-form-urlencoded');
		const raw = readRequest(reader({ ...base, method: 'POST', sendBody: true, contentType: 'raw', rawContentType: 'text/xml', body: '<a/>', sendHeaders: true, headerParameters: { parameters: [{ name: 'Content-Type', value: 'application/soap+xml' }] } }));
		assert.equal(raw.body, '<a/>');
		assert.deepEqual(raw.headers, { 'content-type': 'application/soap+xml' });
	});

	test('redirect and timeout options keep the HTTP Request node defaults', () => {
		const request = readRequest(reader(base));
		assert.deepEqual(request.redirect, { follow: true, max: 21, allowCrossOrigin: false });
		assert.equal(request.timeout, undefined);
		const custom = readRequest(reader({ ...base, options: { timeout: 500, redirect: { redirect: { followRedirects: false, maxRedirects: 3, allowCrossOriginRedirects: true } } } }));
		assert.deepEqual(custom.redirect, { follow: false, max: 3, allowCrossOrigin: true });
		assert.equal(custom.timeout, 500);
	});

	const invalid: Array<[string, Record<string, unknown>, string, string]> = [
		['empty URL', { ...base, url: '  ' }, 'URL_MISSING', 'url'],
		['not a URL', { ...base, url: 'partner api' }, 'URL_INVALID', 'url'],
		['line break in URL', { ...base, url: 'https://a.example/\r\nHost: b' }, 'URL_INVALID', 'url'],
		['unknown method', { ...base, method: 'BREW' }, 'METHOD_INVALID', 'method'],
		['JSON body that is not JSON', { ...base, method: 'POST', sendBody: true, specifyBody: 'json', jsonBody: '{"iban": "DE89 3704", }' }, 'JSON_INVALID', 'jsonBody'],
		['JSON query that is an array', { ...base, sendQuery: true, specifyQuery: 'json', jsonQuery: '[1]' }, 'JSON_NOT_OBJECT', 'jsonQuery'],
		['header value with CR/LF', { ...base, sendHeaders: true, headerParameters: { parameters: [{ name: 'x-a', value: 'v\r\nx-injected: 1' }] } }, 'HEADER_VALUE_INVALID', 'headerParameters'],
		['header name with a colon', { ...base, sendHeaders: true, headerParameters: { parameters: [{ name: 'x:a', value: 'v' }] } }, 'HEADER_NAME_INVALID', 'headerParameters'],
	];
	for (const [name, values, code, field] of invalid) {
		test(`rejects ${name} with ${code} naming "${field}"`, () => {
			assert.throws(() => readRequest(reader(values)), (error: unknown) => {
				assert.ok(error instanceof RequestSpecError);
				assert.equal(error.code, code);
				assert.equal(error.field, field);
				return true;
			});
		});
	}

	test('the JSON error does not quote the body, which may hold account data', () => {
		const secret = 'DE89370400440532013000';
		assert.throws(() => readRequest(reader({ ...base, method: 'POST', sendBody: true, specifyBody: 'json', jsonBody: `{"iban": "${secret}",}` })), (error: unknown) => {
			assert.ok(error instanceof RequestSpecError);
			assert.ok(!`${error.message} ${error.description}`.includes(secret));
			return true;
		});
	});
});

describe('readSettings', () => {
	test('batching off means one batch of all items; 0 means 1', () => {
		assert.equal(readSettings(reader({}), 7).batchSize, 7);
		assert.equal(readSettings(reader({ options: { batching: { batch: { batchSize: 0, batchInterval: 5 } } } }), 7).batchSize, 1);
		assert.equal(readSettings(reader({ options: { batching: { batch: { batchSize: 3 } } } }), 7).batchSize, 3);
	});

	test('response settings default like the HTTP Request node', () => {
		assert.deepEqual(readSettings(reader({}), 1).response, { fullResponse: false, neverError: false, responseFormat: 'autodetect', outputPropertyName: 'data' });
	});
});
