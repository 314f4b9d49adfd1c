/**
 * n8n 2.40's default file access rules (N8N_RESTRICT_FILE_ACCESS_TO unset, so `~/.n8n-files`) hold
 * for the two contexts n8n gives no file check of its own: the credential's Test button (the
 * editor's REST call) and the trigger (its first poll, when n8n activates the workflow at start).
 * A bundle file outside `~/.n8n-files` is refused; the same file inside it is read.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { createStandardPki, type StandardPki } from '../fixtures/pki';
import { startMtlsServer, type MtlsServer } from '../fixtures/mtlsServer';
import {
	findFreePort, MTLS_CREDENTIAL_TYPE, MTLS_NODE_TYPE, ownerEnv, prepareN8n, stopProcess, tail, tearDown,
	type CredentialJson, type N8n, type WorkflowJson,
} from './n8n';

const TIMEOUT = { timeout: 6 * 60_000 };
const OWNER = { email: 'files-test@example.com', password: 'mTLS-files-test-2026', firstName: 'Files', lastName: 'Test' };
const TRIGGER_TYPE = 'n8n-nodes-mtls.mtlsCertificateTrigger';

let pki: StandardPki;
let server: MtlsServer;
/** Alerts the partner server received: the workflow, the event, the client certificate presented. */
const alerts: Array<{ workflow: string; event: string; presented: string | null }> = [];
let n8n: N8n | undefined;
let child: ChildProcess | undefined;
let baseUrl: string;
let logFile: string;
/** HOME of the n8n process: n8n 2.x's default allowed folder is `${home}/.n8n-files`. */
let home: string;
let outsidePath: string;
let insidePath: string;
const credentials: Record<'outside' | 'missing' | 'inside', CredentialJson> = {} as never;
const workflows: Record<'outside' | 'inside', WorkflowJson> = {} as never;

function credential(id: string, bundlePath: string): CredentialJson {
	const data = { source: 'files', bundlePath, passphrase: pki.passphrase, caCertificates: pki.ca.certPem };
	return { id, name: `Files ${id}`, type: MTLS_CREDENTIAL_TYPE, data };
}

/**
 * The trigger, polling every minute (n8n polls once when it activates the workflow), warning 100
 * years ahead so its first poll emits an event, and an mTLS request that tells the partner server.
 */
function triggerWorkflow(id: string, used: CredentialJson): WorkflowJson {
	const credentials = { [MTLS_CREDENTIAL_TYPE]: { id: used.id, name: used.name } };
	const trigger = {
		id: randomUUID(), name: 'Certificate expiry', type: TRIGGER_TYPE, typeVersion: 1, position: [0, 0], credentials,
		parameters: { pollTimes: { item: [{ mode: 'everyMinute' }] }, expiryWarningDays: 36500 },
	};
	const alert = {
		id: randomUUID(), name: 'Alert', type: MTLS_NODE_TYPE, typeVersion: 1, position: [240, 0], credentials,
		parameters: {
			method: 'POST', url: `${server.origin}/alert`, sendBody: true, contentType: 'json', specifyBody: 'json',
			jsonBody: `={{ JSON.stringify({ event: $json.event, workflow: '${id}' }) }}`,
		},
	};
	const connections = { [trigger.name]: { main: [[{ node: alert.name, type: 'main', index: 0 }]] } };
	return { id, name: `Trigger ${id}`, active: false, versionId: randomUUID(), settings: {}, nodes: [trigger, alert], connections };
}

/** A signed-in editor session: n8n's auth cookie, bound to the browser id sent with it. */
class Session {
	private cookie = '';
	private readonly browserId = randomUUID();

	async signIn(): Promise<void> {
		const response = await fetch(`${baseUrl}/rest/login`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'browser-id': this.browserId },
			body: JSON.stringify({ emailOrLdapLoginId: OWNER.email, password: OWNER.password }),
		});
		assert.equal(response.status, 200, await response.text());
		this.cookie = /n8n-auth=[^;]+/.exec(response.headers.get('set-cookie') ?? '')?.[0] ?? '';
		assert.ok(this.cookie, 'n8n set its auth cookie');
	}

	async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
		const response = await fetch(`${baseUrl}/rest${path}`, {
			method,
			headers: { 'content-type': 'application/json', 'browser-id': this.browserId, cookie: this.cookie },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await response.text();
		assert.equal(response.status, 200, `${method} ${path}: ${text}`);
		return (JSON.parse(text) as { data: T }).data;
	}
}

/** What the Test button shows for this credential (the editor sends the stored credential's id and data). */
async function testCredential(session: Session, used: CredentialJson): Promise<{ status: string; message: string }> {
	return session.call('POST', '/credentials/test', { credentials: { id: used.id, name: used.name, type: used.type, data: used.data } });
}

async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
	const giveUp = Date.now() + 3 * 60_000;
	let failure: unknown;
	for (;;) {
		if (child && child.exitCode !== null) throw new Error(`n8n exited (${child.exitCode}) while waiting for ${what}\n${logTail()}`);
		const value = await probe().catch((error: unknown) => void (failure = error));
		if (value !== undefined) return value;
		if (Date.now() > giveUp) throw new Error(`gave up waiting for ${what} (last failure: ${String(failure)})\n${logTail()}`);
		await new Promise((resolve) => setTimeout(resolve, 1000));
	}
}

function logText(): string {
	return logFile && existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
}

function logTail(): string {
	return tail(logText(), 30);
}

before(async () => {
	pki = createStandardPki();
	server = await startMtlsServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.ca.certPem });
	server.route('/alert', (_req, res, seen) => {
		const { workflow, event } = JSON.parse(seen.body) as { workflow: string; event: string };
		alerts.push({ workflow, event, presented: seen.peerSubject });
		res.end('{}');
	});
	home = join(pki.pki.dir, 'home');
	outsidePath = join(pki.pki.dir, 'elsewhere', 'client.pem');
	insidePath = join(home, '.n8n-files', 'partner', 'client.pem');
	for (const path of [outsidePath, insidePath]) {
		mkdirSync(join(path, '..'), { recursive: true });
		writeFileSync(path, pki.bundleEc);
	}
	credentials.outside = credential('mtlsFilesOutside1', outsidePath);
	credentials.missing = credential('mtlsFilesMissing1', join(pki.pki.dir, 'elsewhere', 'missing.pem'));
	credentials.inside = credential('mtlsFilesInside01', insidePath);
	workflows.outside = triggerWorkflow('mtlsE2eFilesOut1', credentials.outside);
	workflows.inside = triggerWorkflow('mtlsE2eFilesIn01', credentials.inside);
	n8n = await prepareN8n(Object.values(credentials), Object.values(workflows));
	for (const workflow of Object.values(workflows)) {
		const published = await n8n.cli(['publish:workflow', `--id=${workflow.id}`]);
		assert.equal(published.code, 0, published.output);
	}
	const port = await findFreePort();
	baseUrl = `http://localhost:${port}`;
	// The harness passes no N8N_* variable of its own environment: N8N_RESTRICT_FILE_ACCESS_TO is unset, n8n's default applies.
	logFile = join(n8n.userFolder, 'n8n.log');
	child = await n8n.start({ port, env: { ...ownerEnv(n8n, OWNER), HOME: home }, logFile });
	await waitUntil('n8n to be ready', async () => ((await fetch(`${baseUrl}/healthz/readiness`)).ok ? true : undefined));
});

after(async () => {
	if (child) await stopProcess(child);
	await tearDown({ server }, n8n, pki);
});

test('n8n 2.40, N8N_RESTRICT_FILE_ACCESS_TO unset: the Test button and the trigger refuse files outside ~/.n8n-files', TIMEOUT, async () => {
	const session = new Session();
	await session.signIn();

	const outside = await testCredential(session, credentials.outside);
	assert.equal(outside.status, 'Error', outside.message);
	assert.match(outside.message, /Error code FILE_NOT_ALLOWED/);
	assert.ok(outside.message.includes(`"${outsidePath}" in "Bundle File" is outside the folders n8n may read`), outside.message);
	assert.match(outside.message, /N8N_RESTRICT_FILE_ACCESS_TO \(n8n's default: ~\/\.n8n-files/);
	assert.doesNotMatch(outside.message, /BEGIN|PRIVATE KEY/);
	// Whether a path outside exists is not told either.
	const missing = await testCredential(session, credentials.missing);
	assert.match(missing.message, /Error code FILE_NOT_ALLOWED/);
	const inside = await testCredential(session, credentials.inside);
	assert.equal(inside.status, 'OK', inside.message);

	// The trigger: n8n activated both workflows at start, each polling once. The one reading outside failed;
	// the one reading inside read its file, and its workflow told the partner server.
	const refusal = `There was a problem activating the workflow: "The file "${outsidePath}" in "Bundle File" is outside the folders n8n may read`;
	await waitUntil('the trigger refusing the outside file', async () => (logText().includes(refusal) ? true : undefined));
	const seen = await waitUntil('the trigger reading the inside file', async () => (alerts.length ? alerts : undefined));
	assert.deepEqual(seen[0], { workflow: workflows.inside.id, event: 'clientCertificateExpiring', presented: 'client-ec.example' });
	assert.ok(!logText().includes(insidePath), 'no error about the file inside');
});
