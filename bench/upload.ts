/**
 * RSS growth of a large upload through the node (issue 12, point 11): an item whose binary data
 * lives in n8n's binary store (it has an id) is sent as "n8n Binary File" and as a multipart file,
 * to a local server that requires a client certificate and counts the bytes without keeping them.
 * The node streams from `getBinaryStream`; "buffer" mode shows what holding the file costs.
 *
 *   node --expose-gc .test-build/bench/upload.js [sizeMB=1024] [stream|buffer]
 *
 * The server runs in a child process, so the RSS measured is the client's (the node's) alone.
 *
 * A measurement for the record, not a test.
 */
import { fork } from 'node:child_process';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';

import type { IBinaryData, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
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

async function main(): Promise<void> {
	const pki = createStandardPki();
	const child = fork(__filename, ['--server'], { env: { ...process.env, BENCH_TLS: JSON.stringify({ key: pki.server.keyPem, cert: pki.server.certPem, ca: pki.ca.certPem }) } });
	const port = await new Promise<number>((resolve) => child.once('message', (message) => resolve(Number(message))));
	const origin = `https://localhost:${port}`;

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
		getCredentials: async () => ({ certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: pki.ca.certPem }),
		continueOnFail: () => false,
		helpers: {
			assertBinaryData: () => binary,
			getBinaryMetadata: async () => ({ fileSize: size }),
			getBinaryStream: async () => repeatedBytes(size),
			// What a node that holds the file would do.
			getBinaryDataBuffer: async () => Buffer.alloc(size, 0x61),
		},
	}) as unknown as IExecuteFunctions;

	const bodies: Record<string, Record<string, unknown>> = {
		'n8n Binary File': { contentType: 'binaryData', inputDataFieldName: 'file' },
		'multipart file': { contentType: 'multipart-form-data', bodyParameters: { parameters: [{ parameterType: 'formBinaryData', name: 'file', inputDataFieldName: 'file' }] } },
	};
	console.log(`upload of ${size / MB} MB, ${mode}, Node ${process.version}`);
	// BENCH_ONLY=multipart (or binary) measures one body type alone, in a fresh process.
	const only = process.env.BENCH_ONLY;
	for (const [label, body] of Object.entries(bodies).filter(([label]) => !only || label.includes(only))) {
		if (mode === 'buffer') binary.id = undefined;
		if (mode === 'buffer') binary.data = Buffer.alloc(size, 0x61).toString('base64');
		global.gc?.();
		const before = process.memoryUsage().rss;
		let peak = before;
		let ticks = 0;
		const sampler = setInterval(() => {
			// BENCH_GC=1 collects garbage every 200 ms: growth that remains is memory held, not garbage not yet collected.
			if (process.env.BENCH_GC === '1' && ++ticks % 10 === 0) global.gc?.();
			peak = Math.max(peak, process.memoryUsage().rss);
		}, 20);
		const started = Date.now();
		const [[item]] = await executeRequests(context({ method: 'POST', url: `${origin}/upload`, sendBody: true, ...body }));
		clearInterval(sampler);
		peak = Math.max(peak, process.memoryUsage().rss);
		const seconds = (Date.now() - started) / 1000;
		console.log(`${label.padEnd(16)} server received ${Math.round(Number(item.json.received) / MB)} MB in ${seconds.toFixed(1)} s; ` +
			`RSS before ${Math.round(before / MB)} MB, peak ${Math.round(peak / MB)} MB, growth ${Math.round((peak - before) / MB)} MB`);
	}
	child.disconnect();
	pki.pki.cleanup();
}

if (process.argv[2] === '--server') serve();
else void main();
