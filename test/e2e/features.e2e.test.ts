/**
 * More of the package inside a real n8n 2.40, in one execute-batch run: a legacy PKCS#12 bundle, a
 * key that does not match its certificate, multipart uploads and file downloads through n8n's binary
 * data, and Certificate Info. (The shipped expiry monitor runs in trigger.e2e.test.ts: its trigger
 * polls only in a running n8n.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { createStandardPki, encryptKey, openssl, type Issued, type StandardPki } from '../fixtures/pki';
import { type MtlsServer, startPartners } from '../fixtures/mtlsServer';
import {
	prepareN8n, tearDown, linearWorkflow, mtlsNode, MTLS_CREDENTIAL_TYPE, MTLS_NODE_TYPE, outputOf, findFreePort, stopProcess,
	type BatchResult, type CredentialJson, type N8n, type NodeJson, type OutputItem, type WorkflowJson, type WorkflowRun,
} from './n8n';

const IDS = {
	p12: 'mtlsE2eP12Legacy1',
	mismatch: 'mtlsE2eMismatch01',
	upload: 'mtlsE2eUpload001',
	download: 'mtlsE2eDownload01',
	serverInfo: 'mtlsE2eSrvInfo001',
};
const SERVER_NAMES = ['p12', 'mismatch', 'upload', 'download', 'serverInfo'] as const;
const P12_PASSWORD = 'p12-Export-pw 42';
const TIMEOUT = { timeout: 5 * 60_000 };

/** Bytes that survive no text decoding: NUL, 0x80 to 0xff, a lone CR. */
const UPLOAD_BYTES = Buffer.concat([Buffer.from('%PDF-1.4\r'), Buffer.from([0x00, 0x80, 0xc3, 0x28, 0xfe, 0xff]), Buffer.from('\n%%EOF')]);
const PDF_BYTES = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 256)), Buffer.from('\n%%EOF\n')]);
const CSV_TEXT = 'datum;betrag\n2024-03-01;12,50 €\n';
const CSV_NAME = 'Auszug März.csv';

let pki: StandardPki;
let n8n: N8n;
let servers: Record<(typeof SERVER_NAMES)[number], MtlsServer>;
const credentials = {} as Record<'good' | 'p12' | 'mismatch', CredentialJson>;
let p12Client: Issued;
let p12Base64: string;
/** TCP connections to the Certificate Info server, whether or not its TLS handshake completed. */
let infoConnections = 0;
const infoClientErrors: string[] = [];
let batch: Promise<BatchResult & { startedAt: number; finishedAt: number }> | undefined;

before(async () => {
	pki = createStandardPki();
	servers = await startPartners(pki, SERVER_NAMES);
	routeUpload(servers.upload);
	routeDownloads(servers.download);
	servers.serverInfo.server.on('connection', () => infoConnections++);
	servers.serverInfo.server.on('tlsClientError', (error: NodeJS.ErrnoException) => infoClientErrors.push(error.code ?? error.message));

	p12Client = pki.pki.issue(pki.ca, { cn: 'client-p12.example', keyType: 'rsa' });
	p12Base64 = legacyPkcs12(p12Client, P12_PASSWORD).toString('base64');
	const stranger = pki.pki.issue(pki.ca, { cn: 'client-stranger.example' });
	const withCa = (data: Record<string, string>) => ({ ...data, caCertificates: pki.ca.certPem });
	credentials.good = credential('mtlsCredGood0002', 'Partner (EC)', withCa({ certificateBundle: pki.bundleEc, passphrase: pki.passphrase }));
	credentials.p12 = credential('mtlsCredP12Lgcy1', 'Partner (legacy .p12)', withCa({ certificateBundle: p12Base64, passphrase: P12_PASSWORD }));
	// The key of client-ec.example with the certificate of another client of the same CA.
	credentials.mismatch = credential('mtlsCredMismtch1', 'Partner (wrong certificate)', withCa({
		certificateBundle: encryptKey(pki.clientEc.keyPem, pki.passphrase) + stranger.certPem,
		passphrase: pki.passphrase,
	}));


	n8n = await prepareN8n(Object.values(credentials), workflows());
}, TIMEOUT);

after(() => tearDown(servers, n8n, pki));

function credential(id: string, name: string, data: Record<string, string>): CredentialJson {
	return { id, name, type: MTLS_CREDENTIAL_TYPE, data };
}

/** A .p12 in the RC2-40/3DES form of OpenSSL 1.x (`-legacy`), with the CA inside, as old tooling exports it. */
function legacyPkcs12(client: Issued, password: string): Buffer {
	const dir = join(pki.pki.dir, 'p12');
	mkdirSync(dir, { recursive: true });
	writeFileSync(join(dir, 'key.pem'), client.keyPem);
	writeFileSync(join(dir, 'cert.pem'), client.certPem);
	writeFileSync(join(dir, 'ca.pem'), pki.ca.certPem);
	openssl(['pkcs12', '-export', '-legacy', '-inkey', join(dir, 'key.pem'), '-in', join(dir, 'cert.pem'), '-certfile', join(dir, 'ca.pem'),
		'-name', client.name, '-passout', 'env:MTLS_P12_PASSWORD', '-out', join(dir, 'client.p12')], undefined, { MTLS_P12_PASSWORD: password });
	return readFileSync(join(dir, 'client.p12'));
}

/** Raw request bodies, which the fixture only keeps as UTF-8 text. */
function rawBodies(server: MtlsServer): (req: IncomingMessage) => Buffer {
	const chunks = new WeakMap<IncomingMessage, Buffer[]>();
	server.server.on('request', (req: IncomingMessage) => {
		const own: Buffer[] = [];
		chunks.set(req, own);
		req.on('data', (chunk: Buffer) => own.push(chunk));
	});
	return (req) => Buffer.concat(chunks.get(req) ?? []);
}

/** POST /upload parses multipart/form-data the way the WHATWG Fetch API does and echoes every part. */
function routeUpload(server: MtlsServer): void {
	const bodyOf = rawBodies(server);
	const answer = async (req: IncomingMessage, res: ServerResponse) => {
		const form = await new Response(bodyOf(req), { headers: { 'content-type': String(req.headers['content-type']) } }).formData();
		const parts = await Promise.all([...form.entries()].map(async ([name, value]) => typeof value === 'string'
			? { name, value }
			: { name, fileName: value.name, type: value.type, base64: Buffer.from(await value.arrayBuffer()).toString('base64') }));
		res.setHeader('content-type', 'application/json');
		res.end(JSON.stringify({ parts }));
	};
	server.route('/upload', (req, res) => {
		answer(req, res).catch((error: Error) => {
			res.statusCode = 400;
			res.end(`not multipart/form-data: ${error.message}`);
		});
	});
}

function routeDownloads(server: MtlsServer): void {
	server.route('/statements/latest', (_req, res) => {
		res.setHeader('content-type', 'application/pdf');
		res.setHeader('content-disposition', 'attachment; filename="statement-2024-03.pdf"');
		res.end(PDF_BYTES);
	});
	server.route('/exports/current', (_req, res) => {
		res.setHeader('content-type', 'text/csv; charset=utf-8');
		res.setHeader('content-disposition', `attachment; filename="export.csv"; filename*=UTF-8''${encodeURIComponent(CSV_NAME)}`);
		res.end(CSV_TEXT);
	});
}

/** One item whose binary field `data` is `bytes`, made by n8n's Set and Convert to File nodes. */
function fileItem(bytes: Buffer, fileName: string, mimeType: string): NodeJson[] {
	return [
		{ name: 'Content', type: 'n8n-nodes-base.set', typeVersion: 3.4, parameters: { mode: 'raw', jsonOutput: JSON.stringify({ content: bytes.toString('base64') }) } },
		{ name: 'To File', type: 'n8n-nodes-base.convertToFile', typeVersion: 1.1,
			parameters: { operation: 'toBinary', sourceProperty: 'content', binaryPropertyName: 'data', options: { fileName, mimeType } } },
	];
}

function workflows(): WorkflowJson[] {
	const { p12, mismatch, upload, download, serverInfo } = servers;
	return [
		linearWorkflow(IDS.p12, 'e2e: legacy PKCS#12', [mtlsNode('mTLS', credentials.p12, { method: 'GET', url: `${p12.origin}/accounts` })]),
		linearWorkflow(IDS.mismatch, 'e2e: key of another certificate', [mtlsNode('mTLS', credentials.mismatch, { method: 'GET', url: `${mismatch.origin}/never` })]),
		linearWorkflow(IDS.upload, 'e2e: multipart upload', [
			...fileItem(UPLOAD_BYTES, 'invoice INV-1.pdf', 'application/pdf'),
			mtlsNode('mTLS', credentials.good, {
				method: 'POST',
				url: `${upload.origin}/upload`,
				sendBody: true,
				contentType: 'multipart-form-data',
				bodyParameters: { parameters: [
					{ parameterType: 'formData', name: 'reference', value: 'INV-1' },
					{ parameterType: 'formBinaryData', name: 'file', inputDataFieldName: 'data' },
				] },
			}),
		]),
		linearWorkflow(IDS.download, 'e2e: file responses', [
			mtlsNode('PDF', credentials.good, { method: 'GET', url: `${download.origin}/statements/latest` }),
			mtlsNode('CSV', credentials.good, {
				method: 'GET',
				url: `${download.origin}/exports/current`,
				options: { response: { response: { responseFormat: 'file', outputPropertyName: 'report' } } },
			}),
		]),
		linearWorkflow(IDS.serverInfo, 'e2e: Certificate Info with a server', [
			mtlsNode('Certificate Info', credentials.good, { operation: 'certificateInfo', serverUrl: serverInfo.origin, expiryWarningDays: 30 }),
		]),
	];
}

/** Every workflow of this file in one n8n process, started by whichever test needs it first. */
function runAll() {
	batch ??= (async () => {
		const startedAt = Date.now();
		const result = await n8n.runWorkflows(Object.values(IDS));
		return { ...result, startedAt, finishedAt: Date.now() };
	})();
	return batch;
}

async function runOf(id: string): Promise<WorkflowRun & { log: string }> {
	const { runs, log } = await runAll();
	return { ...runs[id], log };
}

/** A node's items, or a failure that shows what n8n printed. */
async function itemsOf(id: string, node: string, branch = 0): Promise<OutputItem[]> {
	const run = await runOf(id);
	try {
		outputOf(run, node);
		return run.outputs[node][branch] ?? [];
	} catch (error) {
		throw new Error(`${(error as Error).message}\n--- n8n output ---\n${run.log.slice(-6000)}`);
	}
}

/** Passphrases, PEM armour, and lines of every bundle (key lines included) this file imports. */
function secrets(): string[] {
	const pemLines = Object.values(credentials).flatMap(({ data }) => data.certificateBundle.split('\n').filter((line) => line.length > 40));
	return [pki.passphrase, P12_PASSWORD, '-----BEGIN', p12Base64.slice(100, 160), ...pemLines];
}

function assertNoSecrets(text: string): void {
	for (const secret of secrets()) {
		assert.ok(!text.includes(secret), `n8n's output must not contain ${JSON.stringify(secret.slice(0, 12))}…`);
	}
}

test('legacy PKCS#12 (RC2-40/3DES): read with node-forge, the server authenticates its client', TIMEOUT, async () => {
	// The premise: this OpenSSL refuses the file, so only the node's own reader can make it work.
	assert.throws(() => createSecureContext({ pfx: Buffer.from(p12Base64, 'base64'), passphrase: P12_PASSWORD }));
	const items = await itemsOf(IDS.p12, 'mTLS');
	assert.equal(items.length, 1);
	assert.equal(items[0].json.authorized, true);
	assert.equal(items[0].json.peerSubject, 'client-p12.example');
	assert.deepEqual(servers.p12.requests.map(({ url, peerSubject }) => ({ url, peerSubject })), [{ url: '/accounts', peerSubject: 'client-p12.example' }]);
});

test('key of another certificate: the execution fails before connecting, without secrets', TIMEOUT, async () => {
	const run = await runOf(IDS.mismatch);
	assert.equal(run.status, 'error', `expected a failed execution, got ${run.status}\n${run.log.slice(-4000)}`);
	const text = `${run.error}\n${run.log}`;
	// n8n's CLI summary shows the error's description; it names the certificate and the code.
	assert.match(text, /must be issued together.*KEY_CERT_MISMATCH/s, `n8n's output names the mismatch\n${text.slice(-4000)}`);
	assert.match(text, /client-stranger\.example/);
	assertNoSecrets(text);
	assert.equal(servers.mismatch.handshakes(), 0);
	assert.equal(servers.mismatch.requests.length, 0);
});

test('multipart/form-data: a text field and an n8n binary file reach the server intact', TIMEOUT, async () => {
	const items = await itemsOf(IDS.upload, 'mTLS');
	assert.equal(items.length, 1);
	assert.deepEqual(items[0].json.parts, [
		{ name: 'reference', value: 'INV-1' },
		{ name: 'file', fileName: 'invoice INV-1.pdf', type: 'application/pdf', base64: UPLOAD_BYTES.toString('base64') },
	]);
	const [seen] = servers.upload.requests;
	assert.equal(servers.upload.requests.length, 1);
	assert.equal(seen.method, 'POST');
	assert.equal(seen.peerSubject, 'client-ec.example');
	assert.match(String(seen.headers['content-type']), /^multipart\/form-data; boundary=/);
});

test('file responses: streamed into n8n binary data with name and type from the headers', TIMEOUT, async () => {
	const [pdf] = await itemsOf(IDS.download, 'PDF');
	const pdfFile = pdf?.binary?.data;
	assert.ok(pdfFile, `autodetect made a file of application/pdf: ${JSON.stringify(pdf)}`);
	assert.equal(pdfFile.fileName, 'statement-2024-03.pdf');
	assert.equal(pdfFile.mimeType, 'application/pdf');
	assert.equal(pdfFile.bytes, PDF_BYTES.length);
	assert.ok(n8n.readBinary(pdfFile).equals(PDF_BYTES), 'the stored PDF has the bytes the server sent');

	const [csv] = await itemsOf(IDS.download, 'CSV');
	const csvFile = csv?.binary?.report;
	assert.ok(csvFile, `Response Format "File" put the body into binary field "report": ${JSON.stringify(csv)}`);
	// As in the HTTP Request node, the file joins the input item: the PDF it received stays beside it.
	assert.deepEqual(Object.keys(csv.binary ?? {}).sort(), ['data', 'report']);
	assert.equal(csvFile.fileName, CSV_NAME, 'filename* (RFC 6266) wins over filename');
	assert.equal(csvFile.mimeType, 'text/csv');
	assert.equal(n8n.readBinary(csvFile).toString('utf8'), CSV_TEXT);
	assert.deepEqual(servers.download.requests.map(({ url }) => url), ['/statements/latest', '/exports/current']);
});

test('Certificate Info with a Server URL: the partner server is reported as trusted, nothing is sent', TIMEOUT, async () => {
	const items = await itemsOf(IDS.serverInfo, 'Certificate Info');
	const server = items.filter(({ json }) => json.source === 'server');
	// The server sends its certificate only; Node completes the verified chain with the trusted CA.
	assert.deepEqual(server.map(({ json }) => json.role), ['server certificate', 'server chain certificate'], JSON.stringify(items.map(({ json }) => [json.source, json.role])));
	const [{ json }, { json: root }] = server;
	assert.equal(root.fingerprint256, new X509Certificate(pki.ca.certPem).fingerprint256);
	const certificate = new X509Certificate(pki.server.certPem);
	const pin = createHash('sha256').update(certificate.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
	assert.equal(json.role, 'server certificate');
	assert.equal(json.trusted, true);
	assert.equal(json.trustError, null);
	assert.equal(json.server, new URL(servers.serverInfo.origin).host);
	assert.equal(json.fingerprint256, certificate.fingerprint256);
	assert.equal(json.publicKeyPin, `sha256//${pin}`);
	assert.equal(json.expiresSoon, false);
	assert.ok(items.some(({ json: row }) => row.role === 'client certificate' && String(row.subject).includes('CN=client-ec.example')));
	assert.equal(infoConnections, 1, 'the node connected once');
	assert.equal(servers.serverInfo.requests.length, 0, 'no HTTP request after the handshake');
});

test('Certificate Info with a Server URL: the server is read without the client certificate', TIMEOUT, async () => {
	await runAll();
	// The server requires a certificate: under TLS 1.3 the node's handshake completes, then the server ends it.
	assert.deepEqual(infoClientErrors, ['ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE'], 'the server got no client certificate');
	assert.equal(servers.serverInfo.handshakes(), 0);
});

test('no workflow of the batch prints a key, passphrase or PEM', TIMEOUT, async () => {
	const { log, runs } = await runAll();
	assertNoSecrets(`${log}\n${Object.values(runs).map(({ error }) => error ?? '').join('\n')}`);
});

test('the editor\'s output-schema URLs answer from the installed package (Certificate Info with its keys)', TIMEOUT, async () => {
	await runAll(); // one n8n process at a time on the instance's database
	const port = await findFreePort();
	const child = await n8n.start({ port });
	try {
		const base = `http://127.0.0.1:${port}`;
		// Start-up takes a while (migrations, community packages); poll until n8n says it is ready.
		let ready = false;
		while (!ready && child.exitCode === null) {
			ready = await fetch(`${base}/healthz/readiness`).then((response) => response.ok, () => false);
			if (!ready) await new Promise((resolve) => setTimeout(resolve, 500));
		}
		assert.ok(ready, `n8n exited with ${child.exitCode} before it was ready`);
		const schemaOf = async (operation: string) => {
			const response = await fetch(`${base}/schemas/${MTLS_NODE_TYPE}/1.0.0/${operation}.json`);
			assert.equal(response.status, 200, `${operation}.json`);
			return (await response.json()) as { type: string; properties: Record<string, unknown> };
		};
		const info = await schemaOf('certificateInfo');
		assert.equal(info.type, 'object');
		assert.deepEqual(Object.keys(info.properties).slice(0, 3), ['source', 'role', 'inUse']);
		// The Request operation's keys are the partner API's: an object schema with no properties,
		// which the editor takes as "nothing to preview" (as for the HTTP Request node) instead of a 404.
		assert.deepEqual((await schemaOf('request')).properties, {});
	} finally {
		await stopProcess(child);
	}
});
