/**
 * RSS growth of a large upload through the node (issue 12, point 11): an item whose binary data
 * lives in n8n's binary store (it has an id) is sent as "n8n Binary File" and as a multipart file,
 * to a local server that requires a client certificate and counts the bytes without keeping them.
 * The node streams from `getBinaryStream`; "buffer" mode shows what holding the file costs.
 *
 *   node --expose-gc .test-build/bench/upload.js [sizeMB=1024] [stream|buffer]
 *
 * The server runs in a child process, so the RSS measured is the client's (the node's) alone.
 * "raw undici" sends the same multipart bytes with undici itself (our TLS connector, a piped
 * stream, none of send() or the encoder): what undici and TLS cost, against which the node's own
 * figures are read. Peaks of arrayBuffers (Buffers not yet collected) and of the V8 heap in use
 * tell copies from heap growth.
 *
 * BENCH_ONLY=binary (or multipart, raw) measures one body type alone, in a fresh process;
 * BENCH_SOURCE=file reads the file from a temporary file on disk, as n8n's filesystem store does
 * (`fs.createReadStream`, fresh 64 kB chunks), instead of one 64 kB buffer repeated;
 * BENCH_GC=1 collects garbage every 200 ms: growth that remains is memory held, or garbage made
 * within 200 ms (at 200-400 MB/s, tens of MB).
 *
 * A measurement for the record, not a test.
 */
import { fork } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';

import type { IBinaryData, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { createAgent } from '../lib/http/agent';
import { loadMaterial } from '../lib/tls/material';
import { executeRequests } from '../nodes/MtlsHttpRequest/execute';
import { repeatedBytes } from '../test/fixtures/bytes';
import { createStandardPki } from '../test/fixtures/pki';

const MB = 1024 * 1024;
const size = Number(process.argv[2] ?? 1024) * MB;
const mode = process.argv[3] === 'buffer' ? 'buffer' : 'stream';

/** The child: an mTLS server that counts what it receives and keeps nothing. */
function serve(): void {
	const { key, cert, ca } = JSON.parse(process.env.BENCH_TLS ?? '{}') as Record<string, string>;
	const server = createServer({ key, cert, ca, requestCert: true, rejectUnauthorized: true }, (req, res) => {
		let received = 0;
		req.on('data', (chunk: Buffer) => (received += chunk.length));
		req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ received })));
	});
	server.listen(0, '127.0.0.1', () => process.send?.((server.address() as AddressInfo).port));
	process.on('disconnect', () => process.exit(0));
}

/** A temporary file of `bytes` bytes, written 1 MB at a time. */
function writeTemporaryFile(bytes: number): { path: string; remove: () => void } {
	const dir = mkdtempSync(join(tmpdir(), 'mtls-upload-'));
	const path = join(dir, 'large.bin');
	const chunk = Buffer.alloc(MB, 0x61);
	writeFileSync(path, '');
	for (let written = 0; written < bytes; written += MB) writeFileSync(path, chunk.subarray(0, Math.min(MB, bytes - written)), { flag: 'a' });
	return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

interface Peaks {
	rss: number;
	arrayBuffers: number;
	heapUsed: number;
}

/** Peak growth over what `run` started with, sampled every 20 ms. */
async function measure(run: () => Promise<number>): Promise<{ received: number; seconds: number; before: Peaks; growth: Peaks }> {
	global.gc?.();
	const snapshot = (): Peaks => {
		const { rss, arrayBuffers, heapUsed } = process.memoryUsage();
		return { rss, arrayBuffers, heapUsed };
	};
	const before = snapshot();
	const peak = { ...before };
	const sample = () => {
		const now = snapshot();
		for (const key of Object.keys(peak) as Array<keyof Peaks>) peak[key] = Math.max(peak[key], now[key]);
	};
	let ticks = 0;
	const sampler = setInterval(() => {
		if (process.env.BENCH_GC === '1' && ++ticks % 10 === 0) global.gc?.();
		sample();
	}, 20);
	const started = Date.now();
	const received = await run();
	clearInterval(sampler);
	sample();
	return {
		received, seconds: (Date.now() - started) / 1000, before,
		growth: { rss: peak.rss - before.rss, arrayBuffers: peak.arrayBuffers - before.arrayBuffers, heapUsed: peak.heapUsed - before.heapUsed },
	};
}

async function main(): Promise<void> {
	const pki = createStandardPki();
	const child = fork(__filename, ['--server'], { env: { ...process.env, BENCH_TLS: JSON.stringify({ key: pki.server.keyPem, cert: pki.server.certPem, ca: pki.ca.certPem }) } });
	const port = await new Promise<number>((resolve) => child.once('message', (message) => resolve(Number(message))));
	const origin = `https://localhost:${port}`;
	const file = process.env.BENCH_SOURCE === 'file' ? writeTemporaryFile(size) : undefined;
	const source = (): Readable => (file ? createReadStream(file.path) : repeatedBytes(size));
	const credentials = { certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: pki.ca.certPem };

	const binary: IBinaryData = { id: 'filesystem-v2:bench', data: 'filesystem-v2', mimeType: 'application/octet-stream', fileName: 'large.bin' };
	const items: INodeExecutionData[] = [{ json: {}, binary: { file: binary } }];
	const context = (parameters: Record<string, unknown>) => ({
		getInputData: () => items,
		getNodeParameter: (name: string, _item: number, fallback?: unknown) => {
			let value: unknown = parameters;
			for (const part of name.split('.')) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
			return value === undefined ? fallback : value;
		},
		getNode: () => ({ id: '1', name: 'bench', type: 'n8n-nodes-mtls.mtlsHttpRequest', typeVersion: 1, position: [0, 0], parameters }),
		getCredentials: async () => credentials,
		continueOnFail: () => false,
		helpers: {
			assertBinaryData: () => binary,
			getBinaryMetadata: async () => ({ fileSize: size }),
			getBinaryStream: async () => source(),
			// What a node that holds the file would do.
			getBinaryDataBuffer: async () => Buffer.alloc(size, 0x61),
		},
	}) as unknown as IExecuteFunctions;
	const throughNode = (body: Record<string, unknown>) => async () => {
		const [[item]] = await executeRequests(context({ method: 'POST', url: `${origin}/upload`, sendBody: true, ...body }));
		return Number(item.json.received);
	};
	const rawUndici = async () => {
		const agent = createAgent(loadMaterial(credentials));
		const boundary = '--------------------------0123456789abcdef01234567';
		const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="large.bin"\r\n` +
			'Content-Type: application/octet-stream\r\n\r\n');
		const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
		const body = new PassThrough();
		const file = source();
		body.write(head);
		file.pipe(body, { end: false }).on('error', (error) => body.destroy(error));
		file.on('end', () => body.end(tail));
		try {
			const response = await agent.request({
				origin, path: '/upload', method: 'POST', body,
				headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + size + tail.length) },
			});
			return Number((await response.body.json() as { received: number }).received);
		} finally {
			await agent.close();
		}
	};

	const bodies: Array<{ key: string; label: string; run: () => Promise<number> }> = [
		{ key: 'binary', label: 'n8n Binary File', run: throughNode({ contentType: 'binaryData', inputDataFieldName: 'file' }) },
		{ key: 'multipart', label: 'Form-Data file', run: throughNode({ contentType: 'multipart-form-data',
			bodyParameters: { parameters: [{ parameterType: 'formBinaryData', name: 'file', inputDataFieldName: 'file' }] } }) },
		...(mode === 'stream' ? [{ key: 'raw', label: 'raw undici, Form-Data', run: rawUndici }] : []),
	];
	console.log(`upload of ${size / MB} MB, ${mode}, from ${file ? 'a file on disk' : 'one 64 kB buffer repeated'}, Node ${process.version}`);
	const only = process.env.BENCH_ONLY;
	for (const { label, run } of bodies.filter(({ key }) => !only || key === only)) {
		if (mode === 'buffer') binary.id = undefined;
		if (mode === 'buffer') binary.data = Buffer.alloc(size, 0x61).toString('base64');
		const { received, seconds, before, growth } = await measure(run);
		const mb = (bytes: number) => Math.round(bytes / MB);
		console.log(`${label.padEnd(21)} server received ${mb(received)} MB in ${seconds.toFixed(1)} s; RSS before ${mb(before.rss)} MB, ` +
			`growth ${mb(growth.rss)} MB (peak growth of arrayBuffers ${mb(growth.arrayBuffers)} MB, ` +
			`of the V8 heap in use ${mb(growth.heapUsed)} MB)`);
	}
	child.disconnect();
	file?.remove();
	pki.pki.cleanup();
}

if (process.argv[2] === '--server') serve();
else void main();
