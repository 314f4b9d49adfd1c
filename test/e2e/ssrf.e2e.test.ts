/**
 * n8n's SSRF protection in a running n8n 2.40: the credential's Test button (the REST call the
 * editor makes), a request and Certificate Info's server probe obey the same rules (issue 10, point 4). n8n hands a
 * credential test no egress filter, so the node rebuilds the rules from n8n's settings
 * (lib/http/ssrf.ts); this is the test that it reads the settings n8n itself reads. The same
 * instance is started twice: the default rules (loopback blocked), then the partner's address allowed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createStandardPki, type StandardPki } from '../fixtures/pki';
import { startMtlsServer, type MtlsServer } from '../fixtures/mtlsServer';
import { mtlsNode, prepareN8n, tail, tearDown, MTLS_CREDENTIAL_TYPE, type CredentialJson, type N8n, type WorkflowJson } from './n8n';
import { callWhenRegistered, startRunning, type Running } from './running';

const TIMEOUT = { timeout: 6 * 60_000 };
const REQUEST = { id: 'mtlsE2eSsrfHook01', path: 'mtls-ssrf' };
const INFO = { id: 'mtlsE2eSsrfInfo01', path: 'mtls-ssrf-info' };
/** n8n 2.40.7's names (@n8n/config, SsrfProtectionConfig). */
const PROTECTION_ON = { N8N_SSRF_PROTECTION_ENABLED: 'true' };

interface TestResult {
	status: 'OK' | 'Error';
	message: string;
}

interface ErrorItem {
	error?: { message: string; description?: string; code?: string };
	peerSubject?: string;
	url?: string;
	/** Certificate Info's rows */
	source?: string;
	role?: string;
}

let pki: StandardPki;
let partner: MtlsServer;
let n8n: N8n | undefined;
let credential: CredentialJson;
/** TCP connections the partner accepted, whether or not a TLS handshake followed. */
let connections = 0;

before(async () => {
	pki = createStandardPki();
	partner = await startMtlsServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.ca.certPem });
	partner.server.on('connection', () => connections++);
	// An IP literal: the rules see the address itself, no DNS lookup in between.
	const partnerUrl = `https://127.0.0.1:${partner.port}`;
	credential = {
		id: 'mtlsE2eSsrfCred01', name: 'Partner on loopback', type: MTLS_CREDENTIAL_TYPE,
		data: {
			certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: pki.ca.certPem, testUrl: `${partnerUrl}/test-button`,
		},
	};
	n8n = await prepareN8n([credential], [
		webhookWorkflow(REQUEST, { method: 'GET', url: `${partnerUrl}/execution` }),
		webhookWorkflow(INFO, { operation: 'certificateInfo', serverUrl: partnerUrl }),
	]);
	for (const { id } of [REQUEST, INFO]) {
		const published = await n8n.cli(['publish:workflow', `--id=${id}`]);
		assert.equal(published.code, 0, `publish:workflow failed\n${tail(published.output)}`);
	}
}, TIMEOUT);

after(() => tearDown({ partner }, n8n, pki));

/** Webhook → mTLS node (continue on fail, so the answer carries the error's code) → the webhook answers with its items. */
function webhookWorkflow(hook: { id: string; path: string }, parameters: Record<string, unknown>): WorkflowJson {
	const webhook = {
		id: randomUUID(), name: 'Webhook', type: 'n8n-nodes-base.webhook', typeVersion: 2, position: [0, 0], webhookId: randomUUID(),
		parameters: { httpMethod: 'POST', path: hook.path, responseMode: 'lastNode', responseData: 'allEntries', options: {} },
	};
	const call = mtlsNode('mTLS', credential, parameters, { id: randomUUID(), position: [240, 0], onError: 'continueRegularOutput' });
	return {
		id: hook.id, name: `e2e: SSRF protection (${hook.path})`, active: false, settings: {}, nodes: [webhook, call],
		connections: { Webhook: { main: [[{ node: 'mTLS', type: 'main', index: 0 }]] } },
	};
}

/** The editor's Test button: POST /rest/credentials/test with the credential as the form holds it. */
function pressTest(running: Running): Promise<TestResult> {
	const { id, name, type, data } = credential;
	return running.rest<TestResult>('POST', '/credentials/test', { credentials: { id, name, type, data } });
}

async function execute(running: Running, hook: { path: string }): Promise<ErrorItem[]> {
	const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' };
	const res = await callWhenRegistered(`${running.baseUrl}/webhook/${hook.path}`, init, running.log);
	const text = await res.text();
	assert.equal(res.status, 200, `webhook: HTTP ${res.status} ${text}\n${running.log()}`);
	return JSON.parse(text) as ErrorItem[];
}

test('SSRF protection on, default rules: Test, request, Certificate Info refused alike, nothing reaches the partner', TIMEOUT, async () => {
	const running = await startRunning(n8n!, PROTECTION_ON);
	try {
		const result = await pressTest(running);
		assert.equal(result.status, 'Error', `the Test reached a blocked address: ${result.message}`);
		// The rule (the instance's outbound rules, n8n's SSRF protection), the fix, and our code.
		const refused = `Connections to 127\\.0\\.0\\.1:${partner.port} are not allowed`;
		assert.match(result.message, new RegExp(`${refused} by this n8n instance's outbound rules`));
		assert.match(result.message, /SSRF protection\)\. Ask them to allow the partner's host/);
		assert.match(result.message, /EGRESS_BLOCKED/);

		const [item] = await execute(running, REQUEST);
		assert.equal(item.error?.code, 'EGRESS_BLOCKED', `the execution was not blocked: ${JSON.stringify(item)}`);
		assert.match(item.error.message, new RegExp(refused));
		assert.match(item.error.description ?? '', /SSRF protection/);

		const info = await execute(running, INFO);
		assert.deepEqual(info.map(({ error }) => error?.code), ['EGRESS_BLOCKED'], `Certificate Info probed it: ${JSON.stringify(info)}`);
	} finally {
		await running.stop();
	}
	assert.equal(connections, 0, 'the partner saw a connection although the rules forbid its address');
	assert.deepEqual(partner.requests, []);
});

test('the partner\'s address allowed (N8N_SSRF_ALLOWED_IP_RANGES): Test, request and Certificate Info reach it', TIMEOUT, async () => {
	const running = await startRunning(n8n!, { ...PROTECTION_ON, N8N_SSRF_ALLOWED_IP_RANGES: '127.0.0.1/32' });
	try {
		const result = await pressTest(running);
		assert.equal(result.status, 'OK', result.message);
		assert.match(result.message, /accepted the client certificate \(HTTP 200\)/);

		const [item] = await execute(running, REQUEST);
		assert.equal(item.error, undefined, JSON.stringify(item));
		assert.equal(item.url, '/execution');
		assert.equal(item.peerSubject, 'client-ec.example');

		const info = await execute(running, INFO);
		const server = info.filter(({ source }) => source === 'server').map(({ role }) => role);
		assert.deepEqual(server, ['server certificate', 'server chain certificate'], JSON.stringify(info));
	} finally {
		await running.stop();
	}
	assert.deepEqual(partner.requests.map(({ url, peerSubject }) => [url, peerSubject]), [
		['/test-button', 'client-ec.example'],
		['/execution', 'client-ec.example'],
	]);
});
