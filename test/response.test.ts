import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { RequestSpecError } from '../lib/errors';
import type { HttpResponse } from '../lib/http/send';
import type { ResponseSettings } from '../nodes/MtlsHttpRequest/parameters';
import { chooseFormat, decodePathSegment, fileNameOf, mimeTypeOf, toItems } from '../nodes/MtlsHttpRequest/response';

function response(body: string | Buffer, contentType?: string, statusCode = 200): HttpResponse {
	return {
		statusCode,
		statusMessage: statusCode === 200 ? 'OK' : 'Not Found',
		headers: contentType ? { 'content-type': contentType } : {},
		body: Buffer.isBuffer(body) ? body : Buffer.from(body),
		url: new URL('https://api.partner.example/'),
	};
}

const settings = (overrides: Partial<ResponseSettings> = {}): ResponseSettings => ({
	fullResponse: false, neverError: false, responseFormat: 'autodetect', outputPropertyName: 'data', ...overrides,
});

describe('toItems', () => {
	test('a JSON object becomes the item, an array one item per element, all paired', () => {
		assert.deepEqual(toItems(response('{"id":1}', 'application/json'), settings(), 3), [{ json: { id: 1 }, pairedItem: { item: 3 } }]);
		const items = toItems(response('[{"id":1},{"id":2}]', 'application/problem+json; charset=utf-8'), settings(), 0);
		assert.deepEqual(items.map((item) => item.json), [{ id: 1 }, { id: 2 }]);
		assert.ok(items.every((item) => (item.pairedItem as { item: number }).item === 0));
	});

	test('autodetect gives text for non-JSON content types, under outputPropertyName', () => {
		assert.deepEqual(toItems(response('<ok/>', 'text/xml'), settings({ outputPropertyName: 'xml' }), 0)[0].json, { xml: '<ok/>' });
	});

	test('a JSON primitive is put under outputPropertyName; an empty JSON body is {}', () => {
		assert.deepEqual(toItems(response('42', 'application/json'), settings(), 0)[0].json, { data: 42 });
		assert.deepEqual(toItems(response('', 'application/json'), settings(), 0)[0].json, {});
	});

	test('fullResponse gives body, headers, statusCode and statusMessage', () => {
		const [item] = toItems(response('{"a":1}', 'application/json', 404), settings({ fullResponse: true }), 0);
		assert.deepEqual(item.json, { body: { a: 1 }, headers: { 'content-type': 'application/json' }, statusCode: 404, statusMessage: 'Not Found' });
	});

	test('text is decoded with the charset of the content type', () => {
		const latin1 = Buffer.from([0x4d, 0xfc, 0x6c, 0x6c, 0x65, 0x72]);
		assert.deepEqual(toItems(response(latin1, 'text/plain; charset=iso-8859-1'), settings(), 0)[0].json, { data: 'Müller' });
	});

	test('forced JSON on a non-JSON body fails with a hint to use Text, unless neverError', () => {
		assert.throws(() => toItems(response('<html>', 'text/html'), settings({ responseFormat: 'json' }), 0), (error: unknown) => {
			assert.ok(error instanceof RequestSpecError);
			assert.equal(error.code, 'RESPONSE_NOT_JSON');
			assert.match(error.description ?? '', /Text/);
			return true;
		});
		assert.deepEqual(toItems(response('<html>', 'text/html'), settings({ responseFormat: 'json', neverError: true }), 0)[0].json, {});
	});
});

describe('format detection and file names', () => {
	const headers = (type: string, disposition?: string) => ({ headers: { 'content-type': type, ...(disposition ? { 'content-disposition': disposition } : {}) }, url: new URL('https://api.partner.example/statements/2026-11.pdf?x=1') });

	test('autodetect picks json, text or file from the content type, like the HTTP Request node', () => {
		assert.equal(chooseFormat('autodetect', headers('application/json; charset=utf-8')), 'json');
		assert.equal(chooseFormat('autodetect', headers('application/vnd.api+json')), 'json');
		assert.equal(chooseFormat('autodetect', headers('text/csv')), 'text');
		assert.equal(chooseFormat('autodetect', headers('application/xml')), 'text');
		assert.equal(chooseFormat('autodetect', headers('application/pdf')), 'file');
		assert.equal(chooseFormat('autodetect', headers('image/png')), 'file');
		assert.equal(chooseFormat('autodetect', headers('application/octet-stream')), 'file');
		assert.equal(chooseFormat('file', headers('application/json')), 'file');
	});

	test('file name from Content-Disposition (RFC 6266 filename* first), else the URL path', () => {
		assert.equal(fileNameOf(headers('application/pdf', "attachment; filename=\"a.pdf\"; filename*=UTF-8''Kontoauszug%20M%C3%A4rz.pdf")), 'Kontoauszug März.pdf');
		assert.equal(fileNameOf(headers('application/pdf', 'attachment; filename="statement.pdf"')), 'statement.pdf');
		assert.equal(fileNameOf(headers('application/pdf')), '2026-11.pdf');
		assert.equal(mimeTypeOf(headers('application/pdf; name=x')), 'application/pdf');
	});

	test('a file name from the URL path never throws: bare "%", ISO-8859-1 and UTF-8 percent-encoding', () => {
		const rows: Array<[string, string]> = [
			['/files/100%.pdf', '100%.pdf'],
			['/files/r%E9sum%E9.pdf', 'résumé.pdf'],
			['/files/Kontoauszug%20M%C3%A4rz.pdf', 'Kontoauszug März.pdf'],
			['/files/caf%C3%A9%20100%.pdf', 'café 100%.pdf'],
			['/files/%E9t%C3%A9.pdf', 'été.pdf'],
			['/files/50%2.pdf', '50%2.pdf'],
		];
		for (const [path, name] of rows) assert.equal(fileNameOf({ headers: {}, url: new URL(`https://api.partner.example${path}`) }), name, path);
		assert.equal(decodePathSegment('%'), '%');
	});
});

describe('parity with the HTTP Request node: text encodings and empty bodies (issue 12)', () => {
	const latin1 = Buffer.from('Grüße aus Köln', 'latin1');
	const cp1252 = Buffer.concat([Buffer.from('Preis: 10 '), Buffer.from([0x80])]);
	const cases: Array<[string, Buffer, string | undefined, string]> = [
		['Latin-1 text/plain without a charset', latin1, 'text/plain', 'Grüße aus Köln'],
		['windows-1252 bytes (the euro sign 0x80) without a charset', cp1252, 'text/plain', 'Preis: 10 €'],
		['UTF-8 without a charset', Buffer.from('Grüße ÄÖÜ'), 'text/plain', 'Grüße ÄÖÜ'],
		['Latin-1 declared as utf-8', latin1, 'text/plain; charset=utf-8', 'Grüße aus Köln'],
		['windows-1252 declared as iso-8859-1 (browsers and n8n read it so)', cp1252, 'text/plain; charset=ISO-8859-1', 'Preis: 10 €'],
		['an HTML page declaring its charset in <meta>', Buffer.concat([Buffer.from('<meta charset="iso-8859-7"><p>'), Buffer.from([0xe1, 0xe2])]), 'text/html', '<meta charset="iso-8859-7"><p>αβ'],
		['UTF-16LE with a BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('hé', 'utf16le')]), undefined, 'hé'],
		['Shift_JIS declared in the content type', Buffer.from([0x93, 0xfa, 0x96, 0x7b]), 'text/plain; charset="Shift_JIS"', '日本'],
	];
	for (const [name, body, type, expected] of cases) {
		test(name, () => {
			assert.equal(toItems(response(body, type), settings(), 0)[0].json.data, expected);
		});
	}

	test('n8n\'s detector (chardet) is asked for bytes that are not UTF-8 and declare nothing', () => {
		const gbk = Buffer.from([0xc4, 0xe3, 0xba, 0xc3]);
		assert.equal(toItems(response(gbk, 'text/plain'), settings(), 0, () => 'GB18030')[0].json.data, '你好');
		assert.equal(toItems(response(gbk, 'text/plain'), settings(), 0, () => { throw new Error('no'); })[0].json.data, 'ÄãºÃ');
	});

	test('an empty body is {} whatever the response format, as in n8n', () => {
		assert.deepEqual(toItems(response('', 'text/plain'), settings(), 0)[0].json, {});
		assert.deepEqual(toItems(response(''), settings(), 0)[0].json, {});
		assert.deepEqual(toItems(response('', 'application/json'), settings(), 0)[0].json, {});
		assert.deepEqual(toItems(response('', 'text/plain'), settings({ responseFormat: 'text' }), 0)[0].json, {});
		assert.deepEqual(toItems(response(''), settings({ fullResponse: true }), 0)[0].json, { headers: {}, statusCode: 200, statusMessage: 'OK' });
	});

	test('JSON null is {} (n8n replaces a null json), in an array too', () => {
		assert.deepEqual(toItems(response('null', 'application/json'), settings(), 0)[0].json, {});
		assert.deepEqual(toItems(response('[null,{"a":1}]', 'application/json'), settings(), 0).map((item) => item.json), [{}, { a: 1 }]);
	});
});
