import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { RequestSpecError } from '../lib/errors';
import type { HttpRequest } from '../lib/http/send';
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

/** The headers a request carries besides the Accept and User-Agent every request gets. */
function ownHeaders(request: HttpRequest): Record<string, string> {
	return Object.fromEntries(Object.entries(request.headers).filter(([name]) => name !== 'accept' && name !== 'user-agent'));
}

describe('readRequest', () => {
	test('query parameters from fields and from JSON are appended to the URL', async () => {
		const fromFields = await readRequest(reader({ ...base, sendQuery: true, queryParameters: { parameters: [{ name: 'page', value: '2' }, { name: 'q', value: 'a b' }] } }));
		assert.equal(fromFields.url.href, 'https://api.partner.example/v1/accounts?page=2&q=a%20b');
		const fromJson = await readRequest(reader({ ...base, sendQuery: true, specifyQuery: 'json', jsonQuery: '{"ids":[1,2],"all":true}' }));
		// Without "Array Format in Query Parameters", n8n's client writes qs's default: indices.
		assert.equal(fromJson.url.search, '?ids%5B0%5D=1&ids%5B1%5D=2&all=true');
	});

	test('headers are lowercased by default and kept as typed when lowercaseHeaders is off', async () => {
		const headers = { sendHeaders: true, headerParameters: { parameters: [{ name: 'X-Request-Id', value: 'abc' }] } };
		assert.deepEqual(ownHeaders(await readRequest(reader({ ...base, ...headers }))), { 'x-request-id': 'abc' });
		assert.deepEqual(ownHeaders(await readRequest(reader({ ...base, ...headers, options: { lowercaseHeaders: false } }))), { 'X-Request-Id': 'abc' });
	});

	test('a query parameter or header whose expression yields undefined is left out, as n8n does; "" is sent empty', async () => {
		const request = await readRequest(reader({
			...base,
			sendQuery: true,
			queryParameters: { parameters: [{ name: 'cursor', value: undefined }, { name: 'q', value: '' }, { name: 'tag', value: null }, { name: 'page', value: 2 }] },
			sendHeaders: true,
			headerParameters: { parameters: [{ name: 'X-Cursor', value: undefined }, { name: 'X-Tenant', value: null }, { name: 'X-Empty', value: '' }, { name: 'X-Id', value: 'abc' }, { name: '', value: 'no name' }] },
		}));
		assert.equal(request.url.search, '?q=&tag=&page=2');
		assert.deepEqual(ownHeaders(request), { 'x-empty': '', 'x-id': 'abc' });
		const fromJson = await readRequest(reader({ ...base, sendHeaders: true, specifyHeaders: 'json', jsonHeaders: '{"x-a": null, "x-b": "1"}' }));
		assert.deepEqual(ownHeaders(fromJson), { 'x-b': '1' });
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
		assert.deepEqual(ownHeaders(raw), { 'content-type': 'application/soap+xml' });
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

describe('parity with the HTTP Request node (issue 12)', () => {
	test('JSON body fields with dotted or indexed names build nested objects and arrays (V4+, lodash set)', async () => {
		const request = await readRequest(reader({
			...base, method: 'POST', sendBody: true,
			bodyParameters: { parameters: [{ name: 'user.name', value: 'Ann' }, { name: 'list[0]', value: 'x' }, { name: 'a["b.c"]', value: 1 }, { name: 'plain', value: true }] },
		}));
		assert.deepEqual(JSON.parse(String(request.body)), { user: { name: 'Ann' }, list: ['x'], a: { 'b.c': 1 }, plain: true });
	});

	test('a JSON body field reaching the prototype is left out', async () => {
		const request = await readRequest(reader({ ...base, method: 'POST', sendBody: true, bodyParameters: { parameters: [{ name: '__proto__.polluted', value: 1 }, { name: 'ok', value: 1 }] } }));
		assert.equal(request.body, '{"ok":1}');
		assert.equal(({} as Record<string, unknown>).polluted, undefined);
	});

	test('Accept follows Response Format and User-Agent is n8n\'s, unless the user set them', async () => {
		const accept = async (format?: string) => (await readRequest(reader({ ...base, options: format ? { response: { response: { responseFormat: format } } } : {} }))).headers;
		assert.equal((await accept()).accept, 'application/json,text/html,application/xhtml+xml,application/xml,text/*;q=0.9, image/*;q=0.8, */*;q=0.7');
		assert.equal((await accept('json')).accept, 'application/json,text/*;q=0.99');
		assert.equal((await accept('text')).accept, 'application/json,text/html,application/xhtml+xml,application/xml,text/*;q=0.9, */*;q=0.1');
		assert.equal((await accept())['user-agent'], 'n8n');
		const own = await readRequest(reader({
			...base, sendHeaders: true, options: { lowercaseHeaders: false },
			headerParameters: { parameters: [{ name: 'Accept', value: 'application/xml' }, { name: 'User-Agent', value: 'partner-client/1' }] },
		}));
		assert.deepEqual(own.headers, { Accept: 'application/xml', 'User-Agent': 'partner-client/1' });
	});

	test('query parameters are appended to the query typed in the URL, which is not re-encoded', async () => {
		const signed = 'https://bucket.example/file?fields=a,b:c&X-Amz-Signature=ab%2Fcd&note=a%20b&plus=a+b';
		const request = await readRequest(reader({ ...base, url: signed, sendQuery: true, queryParameters: { parameters: [{ name: 'page', value: '2 3' }, { name: 'f', value: "it's (a*b)" }] } }));
		assert.equal(request.url.href, `${signed}&page=2%203&f=it%27s%20%28a%2Ab%29`);
		const bare = await readRequest(reader({ ...base, url: 'https://api.example/x?', sendQuery: true, queryParameters: { parameters: [{ name: 'a', value: '1' }] } }));
		assert.equal(bare.url.search, '?a=1');
	});

	test('repeated form field names are sent as tag[0]=a&tag[1]=b (HTTP Request 4.3+), encoded as qs does', async () => {
		const request = await readRequest(reader({
			...base, method: 'POST', sendBody: true, contentType: 'form-urlencoded',
			bodyParameters: { parameters: [{ name: 'tag', value: 'a' }, { name: 'tag', value: 'b' }, { name: 'q', value: 'x y~*' }] },
		}));
		assert.equal(request.body, 'tag%5B0%5D=a&tag%5B1%5D=b&q=x%20y~%2A');
	});
});

describe('query arrays, multipart and binary bodies', () => {
	const binary: BinaryReader = {
		read: async (field) => {
			if (field !== 'invoice') throw new Error(`unexpected field ${field}`);
			return { data: Buffer.from('%PDF-1.7'), fileName: 'invoice.pdf', mimeType: 'application/pdf' };
		},
	};

	test('repeated names and arrays follow "Array Format in Query Parameters" (indices without the option, as n8n)', async () => {
		const pairs = { sendQuery: true, queryParameters: { parameters: [{ name: 'id', value: '1' }, { name: 'id', value: '2' }, { name: 'q', value: 'x' }] } };
		const query = async (format?: string) => decodeURIComponent((await readRequest(reader({ ...base, ...pairs, options: format ? { queryParameterArrays: format } : {} }))).url.search);
		assert.equal(await query(), '?id[0]=1&id[1]=2&q=x');
		assert.equal(await query('brackets'), '?id[]=1&id[]=2&q=x');
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
		assert.deepEqual(ownHeaders(request), {});
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

	test('the connect phase takes the first item\'s Timeout (issue 12); unset, the Agent\'s default', async () => {
		assert.equal(readSettings(reader({ options: { timeout: 1500 } }), 1).connectTimeout, 1500);
		assert.equal(readSettings(reader({}), 1).connectTimeout, undefined);
	});

	test('response settings default like the HTTP Request node', async () => {
		assert.deepEqual(readSettings(reader({}), 1).response, { fullResponse: false, neverError: false, responseFormat: 'autodetect', outputPropertyName: 'data' });
	});
});
