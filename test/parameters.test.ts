import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { RequestSpecError } from '../lib/errors';
import { BinaryReader, encodeQuery, ParamReader, readRequest, readSettings } from '../nodes/MtlsHttpRequest/parameters';

/** Parameters of one item as n8n hands them over, after expressions are resolved. */
function reader(values: Record<string, unknown>): ParamReader {
	return <T>(name: string, fallback?: T) => {
		// n8n resolves dotted paths such as "options.timeout" into the collection.
		let value: unknown = values;
		for (const part of name.split('.')) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
		// Like n8n: a missing parameter without a fallback is an error.
		if (value === undefined && fallback === undefined) throw new Error(`Could not get parameter "${name}"`);
		return (value === undefined ? fallback : value) as T;
	};
}

const base = { method: 'GET', url: 'https://api.partner.example/v1/accounts' };

describe('readRequest', () => {
	test('query parameters from fields and from JSON are appended to the URL', async () => {
		const fromFields = await readRequest(reader({ ...base, sendQuery: true, queryParameters: { parameters: [{ name: 'page', value: '2' }, { name: 'q', value: 'a b' }] } }));
		assert.equal(fromFields.url.href, 'https://api.partner.example/v1/accounts?page=2&q=a+b');
		const fromJson = await readRequest(reader({ ...base, sendQuery: true, specifyQuery: 'json', jsonQuery: '{"ids":[1,2],"all":true}' }));
		assert.equal(decodeURIComponent(fromJson.url.search), '?ids[]=1&ids[]=2&all=true');
	});

	test('headers are lowercased by default and kept as typed when lowercaseHeaders is off', async () => {
		const headers = { sendHeaders: true, headerParameters: { parameters: [{ name: 'X-Request-Id', value: 'abc' }] } };
		assert.deepEqual((await readRequest(reader({ ...base, ...headers }))).headers, { 'x-request-id': 'abc' });
		assert.deepEqual((await readRequest(reader({ ...base, ...headers, options: { lowercaseHeaders: false } }))).headers, { 'X-Request-Id': 'abc' });
	});

	test('a query parameter or header whose expression yields undefined is left out, as n8n does; "" is sent empty', async () => {
		const request = await readRequest(reader({
			...base,
			sendQuery: true,
			queryParameters: { parameters: [{ name: 'cursor', value: undefined }, { name: 'q', value: '' }, { name: 'tag', value: null }, { name: 'page', value: 2 }] },
			sendHeaders: true,
			headerParameters: { parameters: [{ name: 'X-Cursor', value: undefined }, { name: 'X-Tenant', value: null }, { name: 'X-Empty', value: '' }, { name: 'X-Id', value: 'abc' }] },
		}));
		assert.equal(request.url.search, '?q=&tag=&page=2');
		assert.deepEqual(request.headers, { 'x-empty': '', 'x-id': 'abc' });
		const fromJson = await readRequest(reader({ ...base, sendHeaders: true, specifyHeaders: 'json', jsonHeaders: '{"x-a": null, "x-b": "1"}' }));
		assert.deepEqual(fromJson.headers, { 'x-b': '1' });
	});

	test('JSON body from fields, from JSON text and from an expression object', async () => {
		const fields = await readRequest(reader({ ...base, method: 'POST', sendBody: true, bodyParameters: { parameters: [{ name: 'amount', value: '10' }] } }));
		assert.equal(fields.body, '{"amount":"10"}');
		assert.equal(fields.headers['content-type'], 'application/json');
		const text = await readRequest(reader({ ...base, method: 'POST', sendBody: true, specifyBody: 'json', jsonBody: '{"a": [1, 2]}' }));
		assert.equal(text.body, '{"a":[1,2]}');
		const object = await readRequest(reader({ ...base, method: 'POST', sendBody: true, specifyBody: 'json', jsonBody: { b: true } }));
		assert.equal(object.body, '{"b":true}');
	});

	test('form-urlencoded and raw bodies set their content type unless a header does', async () => {
		const form = await readRequest(reader({ ...base, method: 'POST', sendBody: true, contentType: 'form-urlencoded', bodyParameters: { parameters: [{ name: 'x', value: '1&2' }] } }));
		assert.equal(form.body, 'x=1%262');
		assert.equal(form.headers['content-type'], 'application/x-www-form-urlencoded');
		const raw = await readRequest(reader({ ...base, method: 'POST', sendBody: true, contentType: 'raw', rawContentType: 'text/xml', body: '<a/>', sendHeaders: true, headerParameters: { parameters: [{ name: 'Content-Type', value: 'application/soap+xml' }] } }));
		assert.equal(raw.body, '<a/>');
		assert.deepEqual(raw.headers, { 'content-type': 'application/soap+xml' });
	});

	test('redirect and timeout options keep the HTTP Request node defaults', async () => {
		const request = await readRequest(reader(base));
		assert.deepEqual(request.redirect, { follow: true, max: 21, allowCrossOrigin: false });
		assert.equal(request.timeout, undefined);
		const custom = await readRequest(reader({ ...base, options: { timeout: 500, redirect: { redirect: { followRedirects: false, maxRedirects: 3, allowCrossOriginRedirects: true } } } }));
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
		test(`rejects ${name} with ${code} naming "${field}"`, async () => {
			await assert.rejects(readRequest(reader(values)), (error: unknown) => {
				assert.ok(error instanceof RequestSpecError);
				assert.equal(error.code, code);
				assert.equal(error.field, field);
				return true;
			});
		});
	}

	test('the JSON error does not quote the body, which may hold account data', async () => {
		const secret = 'DE89370400440532013000';
		await assert.rejects(readRequest(reader({ ...base, method: 'POST', sendBody: true, specifyBody: 'json', jsonBody: `{"iban": "${secret}",}` })), (error: unknown) => {
			assert.ok(error instanceof RequestSpecError);
			assert.ok(!`${error.message} ${error.description}`.includes(secret));
			return true;
		});
	});
});

describe('query arrays, multipart and binary bodies', () => {
	const binary: BinaryReader = {
		read: async (field) => {
			if (field !== 'invoice') throw new Error(`unexpected field ${field}`);
			return { data: Buffer.from('%PDF-1.7'), fileName: 'invoice.pdf', mimeType: 'application/pdf' };
		},
	};

	test('repeated names and arrays follow "Array Format in Query Parameters" (brackets by default)', async () => {
		const pairs = { sendQuery: true, queryParameters: { parameters: [{ name: 'id', value: '1' }, { name: 'id', value: '2' }, { name: 'q', value: 'x' }] } };
		const query = async (format?: string) => decodeURIComponent((await readRequest(reader({ ...base, ...pairs, options: format ? { queryParameterArrays: format } : {} }))).url.search);
		assert.equal(await query(), '?id[]=1&id[]=2&q=x');
		assert.equal(await query('repeat'), '?id=1&id=2&q=x');
		assert.equal(await query('indices'), '?id[0]=1&id[1]=2&q=x');
		assert.deepEqual(encodeQuery([{ name: 'filter', value: { status: 'open', tags: ['a', 'b'] } }], 'brackets'), [['filter[status]', 'open'], ['filter[tags][]', 'a'], ['filter[tags][]', 'b']]);
	});

	test('multipart body: text fields and n8n binary files, in order, without a typed-in content type', async () => {
		const request = await readRequest(reader({
			...base, method: 'POST', sendBody: true, contentType: 'multipart-form-data',
			sendHeaders: true, headerParameters: { parameters: [{ name: 'Content-Type', value: 'multipart/form-data' }] },
			bodyParameters: { parameters: [{ parameterType: 'formData', name: 'reference', value: 'INV-1' }, { parameterType: 'formBinaryData', name: 'file', inputDataFieldName: 'invoice' }] },
		}), binary);
		assert.deepEqual(request.body, { parts: [{ name: 'reference', value: 'INV-1' }, { name: 'file', data: Buffer.from('%PDF-1.7'), fileName: 'invoice.pdf', mimeType: 'application/pdf' }] });
		assert.deepEqual(request.headers, {});
	});

	test('binary body: the file as it is, with its MIME type', async () => {
		const request = await readRequest(reader({ ...base, method: 'PUT', sendBody: true, contentType: 'binaryData', inputDataFieldName: 'invoice' }), binary);
		assert.deepEqual(request.body, Buffer.from('%PDF-1.7'));
		assert.equal(request.headers['content-type'], 'application/pdf');
	});

	test('a binary body without a field name is a field-named error', async () => {
		await assert.rejects(readRequest(reader({ ...base, method: 'PUT', sendBody: true, contentType: 'binaryData' }), binary), { code: 'BINARY_FIELD_MISSING', field: 'inputDataFieldName' });
	});
});

describe('readSettings', () => {
	test('batching off means one batch of all items; 0 means 1', async () => {
		assert.equal(readSettings(reader({}), 7).batchSize, 7);
		assert.equal(readSettings(reader({ options: { batching: { batch: { batchSize: 0, batchInterval: 5 } } } }), 7).batchSize, 1);
		assert.equal(readSettings(reader({ options: { batching: { batch: { batchSize: 3 } } } }), 7).batchSize, 3);
	});

	test('response settings default like the HTTP Request node', async () => {
		assert.deepEqual(readSettings(reader({}), 1).response, { fullResponse: false, neverError: false, responseFormat: 'autodetect', outputPropertyName: 'data' });
	});
});
