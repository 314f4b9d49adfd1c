/** Bodies both ways: multipart uploads, compressed and large responses, streamed not buffered. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Readable, Writable } from 'node:stream';
import type { IExecuteFunctions } from 'n8n-workflow';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pipeline } from 'node:stream/promises';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';

import { createAgent } from '../lib/http/agent';
import { HttpRequest, limitSize, open, readBody, send } from '../lib/http/send';
import { loadMaterial } from '../lib/tls/material';
import { toBinaryItem } from '../nodes/MtlsHttpRequest/response';
import { createStandardPki, StandardPki } from './fixtures/pki';
import { MtlsServer, startMtlsServer } from './fixtures/mtlsServer';

const MB = 1024 * 1024;

type BinaryHelpers = Pick<IExecuteFunctions['helpers'], 'prepareBinaryData'>;

describe('request and response bodies', () => {
	let pki: StandardPki;
	let server: MtlsServer;
	let agent: ReturnType<typeof createAgent>;
	const request = (path: string, extra: Partial<HttpRequest> = {}): HttpRequest => ({
		method: 'GET', url: new URL(`${server.origin}${path}`), headers: {}, redirect: { follow: true, max: 5, allowCrossOrigin: false }, ...extra,
	});

	before(async () => {
		pki = createStandardPki();
		server = await startMtlsServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.ca.certPem });
		agent = createAgent(loadMaterial({ certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: pki.ca.certPem }));
		const json = Buffer.from(JSON.stringify({ balance: 42, currency: 'EUR' }));
		const codings: Record<string, (data: Buffer) => Buffer> = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync };
		for (const [coding, compress] of Object.entries(codings)) {
			server.route(`/${coding}`, (req, res) => {
				assert.match(String(req.headers['accept-encoding']), new RegExp(coding));
				res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': coding });
				res.end(req.method === 'HEAD' ? undefined : compress(json));
			});
		}
		server.route('/large', (_req, res) => {
			const size = 200 * MB;
			res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
			const chunk = Buffer.alloc(MB, 7);
			let sent = 0;
			const write = () => {
				while (sent < size) {
					sent += chunk.length;
					if (!res.write(chunk)) return void res.once('drain', write);
				}
				res.end();
			};
			write();
		});
		for (const path of ['/files/100%.pdf', '/files/r%E9sum%E9.pdf', '/files/statement.pdf']) {
			server.route(path, (_req, res) => res.writeHead(200, { 'content-type': 'application/pdf' }).end(Buffer.alloc(MB, 1)));
		}
		server.route('/multipart', async (req, res, seen) => {
			const form = await new Response(seen.body, { headers: { 'content-type': String(req.headers['content-type']) } }).formData();
			const file = form.get('file') as File;
			res.setHeader('content-type', 'application/json');
			res.end(JSON.stringify({ reference: form.get('reference'), fileName: file.name, fileType: file.type, fileText: await file.text() }));
		});
	});
	after(async () => {
		await agent.close();
		await server.close();
		pki.pki.cleanup();
	});

	for (const coding of ['gzip', 'deflate', 'br']) {
		test(`a ${coding} response is decoded`, async () => {
			const response = await send(agent, request(`/${coding}`));
			assert.deepEqual(JSON.parse(response.body.toString()), { balance: 42, currency: 'EUR' });
		});
	}

	test('HEAD with a content coding and no body works', async () => {
		const response = await send(agent, request('/gzip', { method: 'HEAD' }));
		assert.equal(response.statusCode, 200);
		assert.equal(response.body.length, 0);
	});

	test('a multipart upload arrives with its text field and its file', async () => {
		const response = await send(agent, request('/multipart', {
			method: 'POST',
			body: { parts: [{ name: 'reference', value: 'INV-7' }, { name: 'file', data: Buffer.from('col1,col2\n1,2\n'), fileName: 'report.csv', mimeType: 'text/csv' }] },
		}));
		assert.deepEqual(JSON.parse(response.body.toString()), { reference: 'INV-7', fileName: 'report.csv', fileType: 'text/csv', fileText: 'col1,col2\n1,2\n' });
	});

	test('a body over the in-memory cap fails with RESPONSE_TOO_LARGE', async () => {
		await assert.rejects(send(agent, request('/large'), 5 * MB), { code: 'RESPONSE_TOO_LARGE' });
	});

	test('a 200 MB response streams through without being held in memory', async () => {
		// Retained memory, sampled after a full GC every 20 MB: heap and Buffers that are still
		// referenced. RSS is printed too but not asserted: V8 keeps freed pages reserved and RSS
		// swings by tens of MB on its own, above all on Node 24.
		setFlagsFromString('--expose-gc');
		const gc = runInNewContext('gc') as () => void;
		const retained = () => {
			gc();
			const usage = process.memoryUsage();
			return usage.heapUsed + usage.arrayBuffers;
		};
		const before = { retained: retained(), rss: process.memoryUsage().rss };
		let peak = before.retained;
		let peakRss = before.rss;
		let received = 0;
		const response = await open(agent, request('/large'));
		await pipeline(limitSize(response, 300 * MB), new Writable({
			write(chunk: Buffer, _encoding, callback) {
				const sample = Math.floor((received + chunk.length) / (20 * MB)) > Math.floor(received / (20 * MB));
				received += chunk.length;
				if (sample) peak = Math.max(peak, retained());
				peakRss = Math.max(peakRss, process.memoryUsage().rss);
				callback();
			},
		}));
		assert.equal(received, 200 * MB);
		console.log(`200 MB streamed: retained memory grew ${((peak - before.retained) / MB).toFixed(1)} MB at most, RSS ${Math.round((peakRss - before.rss) / MB)} MB`);
		assert.ok(peak - before.retained < 50 * MB, `retained memory grew by ${Math.round((peak - before.retained) / MB)} MB`);
	});

	test('a streamed file over its cap fails with RESPONSE_TOO_LARGE', async () => {
		const response = await open(agent, request('/large'));
		await assert.rejects(pipeline(limitSize(response, 10 * MB), new Writable({ write: (_chunk, _encoding, callback) => callback() })), { code: 'RESPONSE_TOO_LARGE' });
	});

	describe('file responses whose URL holds a "%" (the item and the Agent\'s close both finish)', () => {
		const settings = { fullResponse: false, neverError: false, responseFormat: 'file' as const, outputPropertyName: 'data' };
		/** n8n's binary data store, reduced to what it does with the stream: read it to the end, or fail. */
		const store = (fail?: Error): BinaryHelpers => ({
			prepareBinaryData: async (data, fileName, mimeType) => {
				if (fail) throw fail;
				let size = 0;
				for await (const chunk of data as Readable) size += (chunk as Buffer).length;
				return { data: '', fileName, mimeType: mimeType ?? '', fileSize: String(size) };
			},
		});
		/** Whether close() finished; the timer only bounds a hang, it measures nothing. */
		const closes = async (dispatcher: ReturnType<typeof createAgent>) => {
			let timer: NodeJS.Timeout | undefined;
			const outcome = await Promise.race([dispatcher.close().then(() => 'closed'), new Promise((resolve) => (timer = setTimeout(() => resolve('still pending'), 5_000)))]);
			clearTimeout(timer);
			if (outcome !== 'closed') await dispatcher.destroy();
			return outcome;
		};

		for (const [path, name] of [['/files/100%.pdf', '100%.pdf'], ['/files/r%E9sum%E9.pdf', 'résumé.pdf']]) {
			test(`${path}: the item is "${name}" and close() completes`, async () => {
				const own = createAgent(loadMaterial({ certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: pki.ca.certPem }));
				let item: Awaited<ReturnType<typeof toBinaryItem>> | undefined;
				let failure: unknown;
				try {
					const response = await open(own, request(path));
					item = await toBinaryItem(store(), response, limitSize(response, 10 * MB), settings, 0);
				} catch (error) {
					failure = error;
				}
				assert.equal(await closes(own), 'closed');
				assert.equal(failure, undefined);
				assert.equal(item?.binary?.data.fileName, name);
				assert.equal(item?.binary?.data.fileSize, String(MB));
			});
		}

		test('the binary data store fails: the body is destroyed and close() completes', async () => {
			const own = createAgent(loadMaterial({ certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: pki.ca.certPem }));
			const response = await open(own, request('/files/statement.pdf'));
			await assert.rejects(toBinaryItem(store(new Error('no space left on device')), response, limitSize(response, 10 * MB), settings, 0), /no space left/);
			assert.equal(await closes(own), 'closed');
		});
	});

	test('readBody reads what open returned', async () => {
		const response = await open(agent, request('/gzip'));
		assert.equal(JSON.parse((await readBody(response)).toString()).balance, 42);
	});
});
