/**
 * The node's execution, item in and items out, against a real mTLS server: behaviour that users of
 * n8n's HTTP Request node rely on (issue 12). n8n's execution context is reduced to what the node
 * calls; the HTTP, TLS and the server are real.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { NodeApiError } from 'n8n-workflow';
import type { IBinaryData, IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { executeRequests } from '../nodes/MtlsHttpRequest/execute';
import { MtlsServer, startMtlsServer } from './fixtures/mtlsServer';
import { createStandardPki, StandardPki } from './fixtures/pki';
import { PlainServer, startSilentServer } from './fixtures/servers';
import { repeatedBytes } from './fixtures/bytes';

const MB = 1024 * 1024;

interface Run {
	output: INodeExecutionData[];
	hints: Array<{ message: string }>;
	bufferReads: number;
}

interface Stored {
	bytes: number;
	/** The file's content, produced chunk by chunk when streamed. */
	chunk: Buffer;
}

describe('the node as n8n runs it: parity with the HTTP Request node', () => {
	let pki: StandardPki;
	let server: MtlsServer;
	let silent: PlainServer;

	/** The store of n8n's binary data (filesystem mode): files by id, streamed. */
	const store = new Map<string, Stored>();

	function context(parameters: Record<string, unknown>, items: INodeExecutionData[] = [{ json: {} }], continueOnFail = false) {
		const hints: Array<{ message: string }> = [];
		let bufferReads = 0;
		const param = (name: string, _itemIndex: number, fallback?: unknown) => {
			let value: unknown = parameters;
			for (const part of name.split('.')) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
			if (value === undefined && fallback === undefined) throw new Error(`Could not get parameter "${name}"`);
			return value === undefined ? fallback : value;
		};
		const ctx = {
			getInputData: () => items,
			getNodeParameter: param,
			getNode: () => ({ id: '1', name: 'mTLS HTTP Request', type: 'n8n-nodes-mtls.mtlsHttpRequest', typeVersion: 1, position: [0, 0], parameters }),
			getCredentials: async () => ({ certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: pki.ca.certPem }),
			continueOnFail: () => continueOnFail,
			addExecutionHints: (...added: Array<{ message: string }>) => hints.push(...added),
			helpers: {
				prepareBinaryData: async (body: Readable, fileName?: string, mimeType?: string): Promise<IBinaryData> => {
					const chunks: Buffer[] = [];
					for await (const chunk of body) chunks.push(chunk as Buffer);
					return { data: Buffer.concat(chunks).toString('base64'), fileName, mimeType: mimeType ?? 'application/octet-stream' };
				},
				assertBinaryData: (itemIndex: number, field: string) => {
					const binary = items[itemIndex].binary?.[field];
					if (!binary) throw new Error(`no binary field ${field}`);
					return binary;
				},
				getBinaryDataBuffer: async () => {
					bufferReads++;
					throw new Error('the upload was read into memory');
				},
				getBinaryMetadata: async (id: string) => ({ fileSize: store.get(id)?.bytes ?? 0 }),
				getBinaryStream: async (id: string) => {
					const { bytes, chunk } = store.get(id) as Stored;
					return repeatedBytes(bytes, chunk);
				},
			},
		};
		return { ctx: ctx as unknown as IExecuteFunctions, hints, bufferReads: () => bufferReads };
	}

	async function run(parameters: Record<string, unknown>, items?: INodeExecutionData[], continueOnFail = false): Promise<Run> {
		const { ctx, hints, bufferReads } = context(parameters, items, continueOnFail);
		const [output] = await executeRequests(ctx);
		return { output, hints, bufferReads: bufferReads() };
	}

	async function failure(parameters: Record<string, unknown>, items?: INodeExecutionData[]): Promise<NodeApiError> {
		const { ctx } = context(parameters, items);
		try {
			await executeRequests(ctx);
		} catch (error) {
			return error as NodeApiError;
		}
		throw new Error('the execution did not fail');
	}

	const get = (path: string, extra: Record<string, unknown> = {}) => ({ method: 'GET', url: `${server.origin}${path}`, ...extra });

	before(async () => {
		pki = createStandardPki();
		server = await startMtlsServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.ca.certPem });
		silent = await startSilentServer();
		server.route('/statement.pdf', (_req, res) => res.writeHead(200, { 'content-type': 'application/pdf' }).end('%PDF-1.7 statement'));
		server.route('/no-content', (_req, res) => res.writeHead(204).end());
		server.route('/empty-text', (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end());
		server.route('/missing', (_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"no such account"}'));
		server.route('/busy', (_req, res) => res.writeHead(429, { 'content-type': 'text/plain' }).end('slow down'));
		server.route('/moved', (_req, res) => res.writeHead(302, { location: '/statement.pdf' }).end());
		server.route('/list', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[1,2,3]}'));
		server.route('/upload', (req, res, seen) => {
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ bytes: Buffer.byteLength(seen.body, 'latin1'), length: req.headers['content-length'] ?? null, type: req.headers['content-type'] }));
		});
		server.route('/multipart', async (req, res, seen) => {
			const form = await new Response(seen.body, { headers: { 'content-type': String(req.headers['content-type']) } }).formData();
			const file = form.get('file') as File;
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ reference: form.get('reference'), fileName: file.name, fileType: file.type, fileSize: file.size, length: req.headers['content-length'] ?? null }));
		});
	});
	after(async () => {
		await server.close();
		await silent.close();
		pki.pki.cleanup();
	});

	test('a file response keeps the input item\'s json and binaries and adds the file beside them', async () => {
		const original: IBinaryData = { data: Buffer.from('earlier').toString('base64'), mimeType: 'text/plain', fileName: 'earlier.txt' };
		const { output } = await run(get('/statement.pdf'), [{ json: { accountId: 7 }, binary: { original } }]);
		assert.equal(output.length, 1);
		assert.deepEqual(output[0].json, { accountId: 7 });
		assert.deepEqual(Object.keys(output[0].binary ?? {}).sort(), ['data', 'original']);
		assert.equal(output[0].binary?.original, original);
		assert.equal(Buffer.from(String(output[0].binary?.data.data), 'base64').toString(), '%PDF-1.7 statement');
		const full = await run(get('/statement.pdf', { options: { response: { response: { fullResponse: true } } } }), [{ json: { accountId: 7 } }]);
		assert.equal(full.output[0].json.statusCode, 200, 'Full Response: the response\'s head instead of the input json');
	});

	test('204 and an empty text body give {}', async () => {
		assert.deepEqual((await run(get('/no-content'))).output.map((item) => item.json), [{}]);
		assert.deepEqual((await run(get('/empty-text'))).output.map((item) => item.json), [{}]);
	});

	test('a 404 fails with n8n\'s message, the server\'s message as description and the request without secrets', async () => {
		const error = await failure(get('/missing', { sendHeaders: true, headerParameters: { parameters: [{ name: 'Authorization', value: 'Bearer s3cret-token' }] } }));
		assert.ok(error instanceof NodeApiError);
		assert.equal(error.message, 'The resource you are requesting could not be found');
		assert.equal(error.description, 'no such account');
		assert.equal(error.httpCode, '404');
		const request = error.context.request as IDataObject;
		assert.equal(request.method, 'GET');
		assert.equal(request.uri, `${server.origin}/missing`);
		assert.equal((request.headers as IDataObject).authorization, '**hidden**');
		assert.ok(!JSON.stringify(error.context).includes('s3cret-token'));
	});

	test('on continue-on-fail a status error carries status, code and n8n\'s message under the same names', async () => {
		const { output } = await run(get('/missing'), undefined, true);
		assert.deepEqual(output[0].json.error, {
			message: '404 - "{\\"message\\":\\"no such account\\"}"',
			description: 'no such account',
			status: 404,
			code: 'ERR_BAD_REQUEST',
			httpCode: '404',
		});
	});

	test('a 429 suggests batching, as the HTTP Request node does', async () => {
		const { output } = await run(get('/busy'), undefined, true);
		assert.equal((output[0].json.error as IDataObject).message, "Try spacing your requests out using the batching settings under 'Options'");
		const error = await failure(get('/busy'));
		assert.equal(error.message, 'The service is receiving too many requests from you');
		assert.equal(error.description, 'slow down');
	});

	test('with Follow Redirects off a redirect fails the item, unless Never Error is on', async () => {
		const off = { redirect: { redirect: { followRedirects: false } } };
		const error = await failure(get('/moved', { options: off }));
		assert.equal(error.httpCode, '302');
		assert.match(error.message, /redirect \(HTTP 302\) to \/statement\.pdf/);
		const { output } = await run(get('/moved', { options: { ...off, response: { response: { neverError: true, fullResponse: true } } } }));
		assert.equal(output[0].json.statusCode, 302);
		assert.equal((output[0].json.headers as IDataObject).location, '/statement.pdf');
	});

	test('one item with an array under data gets the "Split Out" hint', async () => {
		assert.match((await run(get('/list'))).hints.map((hint) => hint.message).join('\n'), /Split Out/);
		assert.doesNotMatch((await run(get('/statement.pdf'))).hints.map((hint) => hint.message).join('\n'), /Split Out/);
	});

	test('the Timeout option covers connecting and the TLS handshake', async () => {
		const error = await failure({ method: 'GET', url: `https://localhost:${silent.port}/`, options: { timeout: 300 } });
		assert.match(error.description ?? '', /Error code: (CONNECT|RESPONSE)_TIMEOUT/);
	});

	test('a binary body is streamed from n8n\'s binary store, never read into memory, with its Content-Length', async () => {
		store.set('upload-1', { bytes: 8 * MB + 3, chunk: Buffer.alloc(64 * 1024, 0x61) });
		const items = [{ json: {}, binary: { file: { id: 'upload-1', data: 'filesystem-v2', mimeType: 'application/pdf', fileName: 'big.pdf' } as IBinaryData } }];
		const { output, bufferReads } = await run({ method: 'PUT', url: `${server.origin}/upload`, sendBody: true, contentType: 'binaryData', inputDataFieldName: 'file' }, items);
		assert.equal(bufferReads, 0);
		assert.deepEqual(output[0].json, { bytes: 8 * MB + 3, length: String(8 * MB + 3), type: 'application/pdf' });
	});

	test('a multipart file is streamed from n8n\'s binary store, with a Content-Length', async () => {
		store.set('upload-2', { bytes: 2 * MB, chunk: Buffer.alloc(64 * 1024, 0x62) });
		const items = [{ json: {}, binary: { file: { id: 'upload-2', data: 'filesystem-v2', mimeType: 'text/csv' } as IBinaryData } }];
		const { output, bufferReads } = await run({
			method: 'POST', url: `${server.origin}/multipart`, sendBody: true, contentType: 'multipart-form-data',
			bodyParameters: { parameters: [{ parameterType: 'formData', name: 'reference', value: 'INV-9' }, { parameterType: 'formBinaryData', name: 'file', inputDataFieldName: 'file' }] },
		}, items);
		assert.equal(bufferReads, 0);
		const { length, ...seen } = output[0].json as IDataObject;
		assert.deepEqual(seen, { reference: 'INV-9', fileName: 'file', fileType: 'text/csv', fileSize: 2 * MB });
		assert.ok(Number(length) > 2 * MB, 'Content-Length of the whole body');
	});
});
