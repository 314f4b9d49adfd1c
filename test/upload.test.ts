/**
 * Uploads streamed from a source (n8n's binary store): the multipart encoding byte for byte, each
 * file read without copies and only as fast as the socket takes it, and the source destroyed on
 * every way an upload can fail.
 */
import assert from 'node:assert/strict';
import { createServer, Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';

import { createAgent } from '../lib/http/agent';
import { encodeMultipart, MultipartBody, UploadStream } from '../lib/http/multipart';
import { HttpRequest, send } from '../lib/http/send';
import { loadMaterial } from '../lib/tls/material';
import { repeatedBytes } from './fixtures/bytes';
import { mtlsServerTls } from './fixtures/mtlsServer';
import { createStandardPki, StandardPki } from './fixtures/pki';
import { closedPort, startSilentServer } from './fixtures/servers';

const MB = 1024 * 1024;

/** An UploadStream that remembers every source it opened. */
function tracked(make: () => Readable, size?: number): UploadStream & { sources: Readable[] } {
	const sources: Readable[] = [];
	return { sources, size, open: () => {
		const source = make();
		sources.push(source);
		return source;
	} };
}

/** A source of the given chunks, pushed one per read. */
function chunks(...items: Array<Buffer | Uint8Array | string>): Readable {
	const queue = [...items];
	return new Readable({ read() {
		this.push(queue.length > 0 ? queue.shift() : null);
	} });
}

async function collect(body: AsyncIterable<unknown>): Promise<Buffer> {
	const parts: Buffer[] = [];
	for await (const chunk of body) parts.push(Buffer.from(chunk as Uint8Array));
	return Buffer.concat(parts);
}

function boundaryOf(contentType: string): string {
	return /boundary=(.+)$/.exec(contentType)?.[1] ?? '';
}

/** The head of one part, as RFC 7578 writes it. */
function head(boundary: string, name: string, file?: { name: string; type?: string }): string {
	const disposition = `--${boundary}\r\nContent-Disposition: form-data; name="${name}"`;
	if (!file) return `${disposition}\r\n\r\n`;
	return `${disposition}; filename="${file.name}"\r\nContent-Type: ${file.type ?? 'application/octet-stream'}\r\n\r\n`;
}

/** The same upload as an "n8n Binary File" body or as the one file of a Form-Data body. */
function bodyOf(kind: 'binary' | 'multipart', upload: UploadStream): HttpRequest['body'] {
	return kind === 'binary' ? upload : { parts: [{ name: 'f', fileName: 'f', data: upload }] };
}

describe('multipart encoding', () => {
	const text = (name: string, value: string) => ({ name, value });
	const cases: Array<{ name: string; body: () => MultipartBody; expected: (b: string) => string; length: boolean }> = [
		{
			name: 'text fields: UTF-8 value, a name with a quote, CR and LF escaped, an empty value',
			body: () => ({ parts: [text('note', 'Zoë'), text('a"b\r\nc', 'x'), text('empty', '')] }),
			expected: (b) => `${head(b, 'note')}Zoë\r\n${head(b, 'a%22b%0D%0Ac')}x\r\n${head(b, 'empty')}\r\n--${b}--\r\n`,
			length: true,
		},
		{
			name: 'a file held in memory, with its type',
			body: () => ({ parts: [{ name: 'file', fileName: 'report.csv', mimeType: 'text/csv', data: Buffer.from('a,b\n1,2\n') }] }),
			expected: (b) => `${head(b, 'file', { name: 'report.csv', type: 'text/csv' })}a,b\n1,2\n\r\n--${b}--\r\n`,
			length: true,
		},
		{
			name: 'streamed files of string, Uint8Array and Buffer chunks, and an empty one, without a type',
			body: () => ({ parts: [
				text('reference', 'INV-1'),
				{ name: 'file', fileName: 'r"1.txt', data: tracked(() => chunks('é-', Uint8Array.from([0x41, 0x42]), Buffer.from('-end')), 9) },
				{ name: 'empty', fileName: 'empty.bin', data: tracked(() => chunks(), 0) },
			] }),
			expected: (b) => `${head(b, 'reference')}INV-1\r\n${head(b, 'file', { name: 'r%221.txt' })}é-AB-end\r\n` +
				`${head(b, 'empty', { name: 'empty.bin' })}\r\n--${b}--\r\n`,
			length: true,
		},
		{
			name: 'a streamed file of unknown size: no length',
			body: () => ({ parts: [{ name: 'file', fileName: 'f.bin', data: tracked(() => chunks(Buffer.from('xyz'))) }] }),
			expected: (b) => `${head(b, 'file', { name: 'f.bin' })}xyz\r\n--${b}--\r\n`,
			length: false,
		},
	];
	for (const { name, body, expected, length } of cases) {
		test(name, async () => {
			const encoded = encodeMultipart(body());
			const bytes = await collect(encoded.body);
			assert.match(encoded.contentType, /^multipart\/form-data; boundary=-{26}[0-9a-f]{24}$/);
			assert.equal(bytes.toString('utf8'), expected(boundaryOf(encoded.contentType)));
			assert.equal(encoded.length, length ? bytes.length : undefined);
		});
	}

	test('a file reaches a reader under backpressure as the source\'s own buffers, not merged copies', async () => {
		// The reader works as undici's writeStream does: 'data' events, paused while its sink is full.
		const source = Buffer.alloc(64 * 1024, 0x61);
		const upload = { open: () => repeatedBytes(8 * MB, source), size: 8 * MB };
		const encoded = encodeMultipart({ parts: [{ name: 'file', fileName: 'f.bin', data: upload }] });
		let file = 0;
		let copied = 0;
		await pipeline(encoded.body, new Writable({
			highWaterMark: 16 * 1024,
			write(chunk: Buffer, _encoding, callback) {
				if (chunk.length >= 1024) {
					file += chunk.length;
					if (chunk.buffer !== source.buffer) copied += chunk.length;
				}
				setImmediate(callback);
			},
		}));
		assert.equal(file, 8 * MB);
		assert.equal(copied, 0, `${copied / MB} MB of the file were copies`);
	});

	test('a file is read only as fast as the body is: a reader that stops stops the source', async () => {
		let pulled = 0;
		const source = new Readable({ read() {
			pulled += 64 * 1024;
			this.push(Buffer.alloc(64 * 1024));
		} });
		const encoded = encodeMultipart({ parts: [{ name: 'file', fileName: 'endless.bin', data: { open: () => source } }] });
		let read = 0;
		encoded.body.on('data', (chunk: Buffer) => {
			read += chunk.length;
			if (read >= MB) encoded.body.pause();
		});
		while (read < MB) await nextTurn();
		for (let turn = 0; turn < 20; turn++) await nextTurn();
		encoded.body.destroy();
		assert.ok(pulled - read <= 4 * 64 * 1024, `the source was read ${Math.round((pulled - read) / 1024)} kB ahead`);
		assert.equal(source.destroyed, true);
	});

	test('files are opened when the body reaches them; destroying the body destroys the open one', async () => {
		const first = tracked(() => repeatedBytes(4 * MB), 4 * MB);
		const second = tracked(() => repeatedBytes(MB), MB);
		const encoded = encodeMultipart({ parts: [{ name: 'a', fileName: 'a', data: first }, { name: 'b', fileName: 'b', data: second }] });
		assert.equal(first.sources.length + second.sources.length, 0, 'nothing opened before the body is read');
		await new Promise<void>((resolve) => encoded.body.once('data', () => resolve()));
		while (first.sources.length === 0) await nextTurn();
		encoded.body.destroy();
		await nextTurn();
		assert.equal(first.sources[0].destroyed, true);
		assert.equal(second.sources.length, 0);
	});

	test('a source that fails fails the body with its error', async () => {
		const failing = new Readable({ read() {
			this.destroy(Object.assign(new Error('the binary data store is unavailable'), { code: 'EIO' }));
		} });
		const encoded = encodeMultipart({ parts: [{ name: 'file', fileName: 'f', data: { open: () => failing } }] });
		await assert.rejects(collect(encoded.body), { code: 'EIO' });
	});

	test('a source that opens with an error fails the body with it', async () => {
		const encoded = encodeMultipart({ parts: [{ name: 'file', fileName: 'f', data: { open: async () => {
			throw Object.assign(new Error('no such binary data'), { code: 'ENOENT' });
		} } }] });
		await assert.rejects(collect(encoded.body), { code: 'ENOENT' });
	});
});

describe('uploads over mTLS', () => {
	let pki: StandardPki;
	let server: Server;
	let origin: string;
	let agent: ReturnType<typeof createAgent>;
	/** What each request's handler does; `received` is the whole body for those that read it. */
	type Reply = (status: number, headers?: Record<string, string>, body?: string) => void;
	const handlers = new Map<string, (req: IncomingMessage, reply: Reply) => void>();
	const received: Buffer[] = [];
	let aborter = new AbortController();

	const request = (path: string, body: HttpRequest['body'], extra: Partial<HttpRequest> = {}): HttpRequest => ({
		method: 'POST', url: new URL(`${origin}${path}`), headers: {}, body,
		redirect: { follow: true, max: 5, allowCrossOrigin: false }, ...extra,
	});
	/** Reads the body, keeps it, answers 200 with its length. */
	const keep = (req: IncomingMessage, reply: Reply) => {
		const parts: Buffer[] = [];
		req.on('data', (chunk: Buffer) => parts.push(chunk));
		req.on('end', () => {
			received.push(Buffer.concat(parts));
			reply(200, { 'content-type': 'application/json' }, JSON.stringify({ length: req.headers['content-length'] ?? null }));
		});
	};

	before(async () => {
		pki = createStandardPki();
		server = createServer(mtlsServerTls({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.ca.certPem }), (req, res) => {
			const handler = handlers.get(new URL(req.url ?? '/', 'https://x').pathname) ?? keep;
			handler(req, (status, headers = {}, body = '') => res.writeHead(status, headers).end(body));
		});
		server.on('tlsClientError', () => undefined);
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		origin = `https://localhost:${(server.address() as AddressInfo).port}`;
		agent = createAgent(loadMaterial({ certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: pki.ca.certPem }));

		/** Reads 1 MB of the upload, then acts. */
		const afterOneMegabyte = (act: (req: IncomingMessage, reply: Reply) => void) => (req: IncomingMessage, reply: Reply) => {
			let seen = 0;
			req.on('data', (chunk: Buffer) => {
				if (seen < MB && (seen += chunk.length) >= MB) act(req, reply);
			});
		};
		handlers.set('/close-early', afterOneMegabyte((req) => req.socket.destroy()));
		handlers.set('/abort', afterOneMegabyte(() => aborter.abort()));
		// Stops reading and never answers: the socket's buffers fill, the upload stalls.
		handlers.set('/stall', afterOneMegabyte((req) => req.pause()));
		handlers.set('/refuse', afterOneMegabyte((req, reply) => {
			req.pause();
			reply(413, { 'content-type': 'text/plain' }, 'The upload is too large');
		}));
		handlers.set('/redirect', (req, reply) => {
			req.resume();
			req.on('end', () => reply(307, { location: '/again' }));
		});
	});
	after(async () => {
		await agent.close();
		server.closeAllConnections();
		await new Promise((resolve) => server.close(resolve));
		pki.pki.cleanup();
	});

	test('the server receives the multipart bytes the encoder makes, with their Content-Length', async () => {
		const file = Buffer.from(Array.from({ length: 300_000 }, (_, index) => index % 251));
		// Odd chunk sizes, so chunk edges fall anywhere in the body.
		const slices = (at: number[]) => () => chunks(...at.slice(1).map((end, index) => file.subarray(at[index], end)));
		const body: MultipartBody = { parts: [
			{ name: 'reference', value: 'INV-7' },
			{ name: 'file', fileName: 'data.bin', mimeType: 'application/pdf', data: tracked(slices([0, 1, 70_001, 70_002, 300_000]), file.length) },
		] };
		received.length = 0;
		const response = await send(agent, request('/keep', body));
		const sent = received[0];
		const boundary = sent.subarray(2, sent.indexOf('\r\n')).toString('latin1');
		const expected = Buffer.concat([
			Buffer.from(`${head(boundary, 'reference')}INV-7\r\n${head(boundary, 'file', { name: 'data.bin', type: 'application/pdf' })}`),
			file,
			Buffer.from(`\r\n--${boundary}--\r\n`),
		]);
		assert.ok(sent.equals(expected), 'the body the server received differs from the encoding');
		assert.equal(JSON.parse(response.body.toString()).length, String(expected.length));
	});

	test('a 307 sends a streamed body again from a newly opened source; the first one was read to its end', async () => {
		handlers.set('/again', keep);
		for (const kind of ['binary', 'multipart'] as const) {
			const upload = tracked(() => repeatedBytes(3 * MB), 3 * MB);
			received.length = 0;
			const response = await send(agent, request('/redirect', bodyOf(kind, upload)));
			assert.equal(response.statusCode, 200, kind);
			assert.equal(upload.sources.length, 2, kind);
			assert.ok(upload.sources.every((source) => source.readableEnded && source.destroyed), kind);
			assert.ok(received[0].length >= 3 * MB, kind);
		}
	});

	test('the server answers before it read the whole upload: the response is returned and the source destroyed', async () => {
		for (const kind of ['binary', 'multipart'] as const) {
			const upload = tracked(() => repeatedBytes(1024 * MB), 1024 * MB);
			const response = await send(agent, request('/refuse', bodyOf(kind, upload)));
			assert.equal(response.statusCode, 413, kind);
			// undici resets the connection once the response has ended, which destroys the body (by then, or a few turns later).
			for (let turn = 0; turn < 100 && !upload.sources[0].destroyed; turn++) await nextTurn();
			assert.equal(upload.sources.length, 1, kind);
			assert.equal(upload.sources[0].destroyed, true, kind);
		}
	});

	const failures: Array<{ name: string; path?: string; port?: () => Promise<number>; extra?: () => Partial<HttpRequest>; code: string }> = [
		{ name: 'the server closes the connection mid-upload', path: '/close-early', code: 'CONNECTION_CLOSED' },
		{ name: 'the caller aborts mid-upload', path: '/abort', code: 'ABORTED',
			extra: () => ({ signal: (aborter = new AbortController()).signal }) },
		{ name: 'the server stops reading and the timeout passes', path: '/stall', extra: () => ({ timeout: 500 }), code: 'RESPONSE_TIMEOUT' },
		{ name: 'the connection is refused (the body was never written)', port: closedPort, code: 'CONNECTION_REFUSED' },
		{ name: 'the timeout passes during the handshake (the body was never written)', port: async () => (silent = await startSilentServer()).port,
			extra: () => ({ timeout: 300 }), code: 'RESPONSE_TIMEOUT' },
	];
	let silent: Awaited<ReturnType<typeof startSilentServer>> | undefined;
	for (const failure of failures) {
		for (const kind of ['binary', 'multipart'] as const) {
			test(`${kind}: ${failure.name}: ${failure.code}, and every opened source is destroyed`, async () => {
				const upload = tracked(() => repeatedBytes(1024 * MB), 1024 * MB);
				const target = failure.port ? `https://localhost:${await failure.port()}/` : `${origin}${failure.path}`;
				try {
					const spec = { ...request('/', bodyOf(kind, upload)), url: new URL(target), ...failure.extra?.() };
					await assert.rejects(send(agent, spec), { code: failure.code });
					// undici destroys the body after the failure it reports, at the latest a turn later.
					await nextTurn();
					if (failure.path) assert.equal(upload.sources.length, 1, 'the upload had begun');
					assert.ok(upload.sources.every((source) => source.destroyed), 'a source was left open');
				} finally {
					await silent?.close();
					silent = undefined;
				}
			});
		}
	}
});
