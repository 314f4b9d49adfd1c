/**
 * The certificate lifecycle inside a running n8n 2.40 (`n8n start`, the workflow published): the
 * shipped expiry monitor, its trigger polling on activation and then every minute (n8n's shortest), with a credential whose key and
 * certificate are files in a Kubernetes-style secret volume. The alert node is an mTLS request to
 * the test server, so the server sees each event and the identity it was sent with. The volume is
 * rotated while n8n runs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createStandardPki, encryptKey, type Issued, type StandardPki } from '../fixtures/pki';
import { startMtlsServer, type MtlsServer } from '../fixtures/mtlsServer';
import { prepareN8n, tearDown, MTLS_CREDENTIAL_TYPE, MTLS_NODE_TYPE, REPO_ROOT, findFreePort, stopProcess, type CredentialJson, type N8n } from './n8n';

const TIMEOUT = { timeout: 6 * 60_000 };
const EXAMPLE = join(REPO_ROOT, 'examples', 'certificate-expiry-monitor.json');
const WORKFLOW_ID = 'mtlsE2eTrigger001';
const ALERT = 'Send alert (replace with Slack or e-mail)';

interface ExampleNode {
	name: string;
	type: string;
	parameters: Record<string, unknown>;
	credentials?: Record<string, unknown>;
	[key: string]: unknown;
}

interface Alert {
	event: string;
	subject: string;
	/** The client certificate the alert request itself presented. */
	presented: string | null;
}

let pki: StandardPki;
let n8n: N8n | undefined;
let server: MtlsServer;
let volume: string;
let generation = 0;
let expiring: Issued;
let successor: Issued;
const alerts: Alert[] = [];
/** TCP connections to the server: alert requests, and the trigger reading the server's chain on each poll. */
let polls = 0;

/** Publishes a new generation of the secret as kubelet does: a new folder, then `..data` swapped in one rename. */
function publish(issued: Issued): void {
	const previous = generation > 0 ? join(volume, `..gen_${generation}`) : undefined;
	const target = `..gen_${++generation}`;
	mkdirSync(join(volume, target));
	writeFileSync(join(volume, target, 'tls.key'), encryptKey(issued.keyPem, pki.passphrase));
	writeFileSync(join(volume, target, 'tls.crt'), issued.certPem);
	symlinkSync(target, join(volume, '..data_tmp'));
	renameSync(join(volume, '..data_tmp'), join(volume, '..data'));
	if (generation === 1) for (const name of ['tls.key', 'tls.crt']) symlinkSync(join('..data', name), join(volume, name));
	if (previous) rmSync(previous, { recursive: true, force: true });
}

/** Waits for what the running n8n does; gives up after three poll intervals, saying what the server saw. */
async function until(what: string, predicate: () => boolean, child: { exitCode: number | null }): Promise<void> {
	const giveUp = Date.now() + 3 * 60_000;
	while (!predicate()) {
		if (child.exitCode !== null) throw new Error(`n8n exited (${child.exitCode}) while waiting for ${what}`);
		if (Date.now() > giveUp) throw new Error(`no ${what}: ${polls} connections, requests ${JSON.stringify(server.requests.map(({ url, peerSubject }) => [url, peerSubject]))}, alerts ${JSON.stringify(alerts)}`);
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}

before(async () => {
	pki = createStandardPki();
	expiring = pki.pki.issue(pki.ca, { cn: 'client-expiring.example', endDays: 5 });
	successor = pki.pki.issue(pki.ca, { cn: 'client-successor.example', endDays: 400 });
	server = await startMtlsServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.ca.certPem });
	server.route('/alert', (_req, res, seen) => {
		const body = JSON.parse(seen.body) as { event: string; subject: string };
		alerts.push({ event: body.event, subject: body.subject, presented: seen.peerSubject });
		res.end('{}');
	});
	server.server.on('connection', () => polls++);
	volume = join(pki.pki.dir, 'secret-volume');
	mkdirSync(volume);
	publish(expiring);

	const credential: CredentialJson = {
		id: 'mtlsCredFiles001', name: 'Partner mTLS', type: MTLS_CREDENTIAL_TYPE,
		data: { source: 'files', keyPath: join(volume, 'tls.key'), certificatePath: join(volume, 'tls.crt'), passphrase: pki.passphrase, caCertificates: pki.ca.certPem },
	};
	// The shipped example as a user sets it up: their credential, a Server URL, a real alert at the end.
	const example = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as { nodes: ExampleNode[]; connections: Record<string, unknown> };
	const trigger = example.nodes.find((node) => node.type === 'n8n-nodes-mtls.mtlsCertificateTrigger')!;
	trigger.credentials = { [MTLS_CREDENTIAL_TYPE]: { id: credential.id, name: credential.name } };
	trigger.parameters = { ...trigger.parameters, serverUrl: server.origin, pollTimes: { item: [{ mode: 'everyMinute' }] } };
	const alert = example.nodes.find((node) => node.name === ALERT)!;
	Object.assign(alert, {
		type: MTLS_NODE_TYPE, typeVersion: 1, credentials: trigger.credentials,
		parameters: {
			method: 'POST', url: `${server.origin}/alert`, sendBody: true, contentType: 'json', specifyBody: 'json',
			jsonBody: '={{ JSON.stringify({ event: $json.event, subject: $json.subject }) }}',
		},
	});
	const workflow = { ...example, id: WORKFLOW_ID, active: false, versionId: randomUUID(), settings: {} };
	n8n = await prepareN8n([credential], [workflow as never]);
	const published = await n8n.cli(['publish:workflow', `--id=${WORKFLOW_ID}`]);
	assert.equal(published.code, 0, published.output);
});

after(async () => {
	await tearDown({ server }, n8n, pki);
});

test('the expiry monitor in a running n8n: each event once, the file rotation picked up without a restart', TIMEOUT, async () => {
	const port = await findFreePort();
	const child = await n8n!.start({ port, env: { N8N_RESTRICT_FILE_ACCESS_TO: volume } });
	try {
		await until('the expiry alert', () => alerts.some(({ event }) => event === 'clientCertificateExpiring'), child);
		assert.deepEqual(alerts, [{ event: 'clientCertificateExpiring', subject: 'O=mTLS Test, CN=client-expiring.example', presented: 'client-expiring.example' }]);

		// Kubernetes renews the secret: the next poll sees the new certificate, and the alert goes out with it.
		publish(successor);
		await until('the rotation', () => alerts.some(({ event }) => event === 'rotated'), child);
		// One more poll reads the server's chain (a connection or two); n8n finishes it before it stops.
		const connections = polls;
		await until('one more poll', () => polls > connections, child);
		await stopProcess(child);
		assert.deepEqual(alerts, [
			{ event: 'clientCertificateExpiring', subject: 'O=mTLS Test, CN=client-expiring.example', presented: 'client-expiring.example' },
			{ event: 'rotated', subject: 'O=mTLS Test, CN=client-successor.example', presented: 'client-successor.example' },
		], 'each event is sent once, whatever the number of polls');
	} finally {
		await stopProcess(child);
	}
});
