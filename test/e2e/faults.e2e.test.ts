/**
 * Odd but legal answers inside a real n8n 2.40, in one execute-batch run: a file whose URL holds
 * a bare "%" (the item succeeds and the execution ends: the Agent closes), nginx refusing the
 * client certificate with its HTTP 400 page, and a redirect to a Location that is no URL. The
 * failing cases run with "continue on fail", so each item shows the code the user sees.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { createStandardPki, type StandardPki } from '../fixtures/pki';
import { startMtlsServer, type MtlsServer } from '../fixtures/mtlsServer';
import { nginxUnavailable, startNginx, type NginxServer } from '../fixtures/nginx';
import { prepareN8n, tearDown, linearWorkflow, mtlsNode, MTLS_CREDENTIAL_TYPE, outputOf, type BatchResult, type CredentialJson, type N8n, type OutputItem } from './n8n';

const IDS = {
	percentFile: 'mtlsE2ePercentFil',
	nginxRejects: 'mtlsE2eNginxRejct',
	badLocation: 'mtlsE2eBadLocatn1',
};
const TIMEOUT = { timeout: 5 * 60_000 };
const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(256 * 1024, 0x20)]);
const unavailable = nginxUnavailable();

let pki: StandardPki;
let n8n: N8n;
const servers = {} as { api: MtlsServer; nginx?: NginxServer };
let credential: CredentialJson;
let batch: Promise<BatchResult> | undefined;

before(async () => {
	pki = createStandardPki();
	servers.api = await startMtlsServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.ca.certPem });
	servers.api.route('/files/100%.pdf', (_req, res) => res.writeHead(200, { 'content-type': 'application/pdf' }).end(PDF));
	servers.api.route('/moved', (_req, res) => res.writeHead(302, { location: 'https://[api.partner.example/next' }).end());
	// nginx trusts another CA than the one that issued the client certificate.
	if (!unavailable) servers.nginx = await startNginx({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.otherCa.certPem });
	credential = {
		id: 'mtlsCredFaults001',
		name: 'Partner (EC)',
		type: MTLS_CREDENTIAL_TYPE,
		data: { certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: pki.ca.certPem },
	};
	const continueOnFail = { onError: 'continueRegularOutput' };
	n8n = await prepareN8n([credential], [
		linearWorkflow(IDS.percentFile, 'e2e: file URL with a bare %', [mtlsNode('mTLS', credential, {
			method: 'GET',
			url: `${servers.api.origin}/files/100%.pdf`,
			options: { response: { response: { responseFormat: 'file', outputPropertyName: 'statement' } } },
		})]),
		linearWorkflow(IDS.nginxRejects, 'e2e: nginx rejects the client certificate', [
			mtlsNode('mTLS', credential, { method: 'GET', url: `${servers.nginx?.origin ?? 'https://localhost:1'}/accounts` }, continueOnFail),
		]),
		linearWorkflow(IDS.badLocation, 'e2e: redirect to an invalid Location', [
			mtlsNode('mTLS', credential, { method: 'GET', url: `${servers.api.origin}/moved` }, continueOnFail),
		]),
	]);
}, TIMEOUT);

after(() => tearDown(servers as Record<string, { close(): Promise<void> }>, n8n, pki));

function runAll(): Promise<BatchResult> {
	batch ??= n8n.runWorkflows(Object.values(IDS));
	return batch;
}

async function mtlsOutput(id: string): Promise<OutputItem[]> {
	const { runs, log } = await runAll();
	try {
		return outputOf(runs[id], 'mTLS');
	} catch (error) {
		throw new Error(`${(error as Error).message}\n--- n8n output ---\n${log.slice(-6000)}`);
	}
}

function errorOf(items: OutputItem[]): Record<string, unknown> {
	assert.equal(items.length, 1, JSON.stringify(items));
	const error = items[0].json.error as Record<string, unknown> | undefined;
	assert.ok(error, `the item carries an error: ${JSON.stringify(items[0].json)}`);
	return error;
}

test('a file at /files/100%.pdf: the item succeeds as "100%.pdf" with the bytes, and the execution ends', TIMEOUT, async () => {
	const items = await mtlsOutput(IDS.percentFile);
	assert.equal(items.length, 1);
	const binary = items[0].binary?.statement;
	assert.ok(binary, JSON.stringify(items[0]));
	assert.equal(binary.fileName, '100%.pdf');
	assert.equal(binary.mimeType, 'application/pdf');
	assert.deepEqual(n8n.readBinary(binary), PDF);
});

test('nginx "400 The SSL certificate error": CLIENT_CERT_REJECTED in plain words, not the HTML page', { ...TIMEOUT, skip: unavailable }, async () => {
	const error = errorOf(await mtlsOutput(IDS.nginxRejects));
	assert.equal(error.code, 'CLIENT_CERT_REJECTED', JSON.stringify(error));
	assert.equal(error.httpCode, '400');
	assert.match(String(error.message), /rejected the client certificate \(HTTP 400 "The SSL certificate error"\)/);
	assert.match(String(error.description), /does not trust the CA/);
	assert.doesNotMatch(`${error.message} ${error.description}`, /<html/);
});

test('a redirect to a Location that is no URL: REDIRECT_LOCATION_INVALID', TIMEOUT, async () => {
	const error = errorOf(await mtlsOutput(IDS.badLocation));
	assert.equal(error.code, 'REDIRECT_LOCATION_INVALID', JSON.stringify(error));
	assert.match(String(error.message), /"Location" that is not a valid URL/);
});
