/**
 * The mTLS Certificate Expiry Trigger's poll, with n8n's poll context reduced to what it uses
 * (parameters, credential, mode, the node's static data), against a real mTLS server whose
 * certificate is swapped in place.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { IDataObject, INodeExecutionData, IPollFunctions } from 'n8n-workflow';

import { MtlsCertificateTrigger } from '../nodes/MtlsCertificateTrigger/MtlsCertificateTrigger.node';
import { Authority, encryptKey, Issued, Pki } from './fixtures/pki';
import { MtlsServer, startMtlsServer } from './fixtures/mtlsServer';
import { closedPort } from './fixtures/servers';

const PASS = 'trigger pass';
const bundleOf = (issued: Issued) => encryptKey(issued.keyPem, PASS) + issued.certPem;

/** A workflow with one trigger node: its static data survives between polls, as n8n keeps it. */
class Workflow {
	readonly staticData: IDataObject = {};
	warnings: string[] = [];

	constructor(
		public credential: Record<string, string>,
		public parameters: Record<string, unknown>,
	) {}

	async poll(mode: 'trigger' | 'manual' = 'trigger'): Promise<IDataObject[] | null> {
		const context = {
			getNodeParameter: (name: string, fallback?: unknown) => this.parameters[name] ?? fallback,
			getMode: () => mode,
			getCredentials: async () => this.credential,
			getWorkflowStaticData: () => this.staticData,
			getNode: () => ({ id: '1', name: 'Trigger', type: 'n8n-nodes-mtls.mtlsCertificateTrigger', typeVersion: 1, parameters: {} }),
			logger: { warn: (message: string) => this.warnings.push(message) },
			helpers: {},
		} as unknown as IPollFunctions;
		const result: INodeExecutionData[][] | null = await new MtlsCertificateTrigger().poll.call(context);
		return result ? result[0].map(({ json }) => json) : null;
	}
}

const events = (items: IDataObject[] | null) => (items ?? []).map((item) => item.event).sort();

describe('mTLS Certificate Expiry Trigger', () => {
	let pki: Pki;
	let ca: Authority;
	let server: MtlsServer;
	let dir: string;
	const certs: Record<string, Issued> = {};

	before(async () => {
		pki = new Pki();
		ca = pki.createRoot('Trigger CA');
		const windows: Record<string, [number, number]> = { expiring: [-300, 5], successor: [-1, 400], shortSuccessor: [-1, 20], year: [-1, 365] };
		for (const [name, [startDays, endDays]] of Object.entries(windows)) certs[name] = pki.issue(ca, { cn: `client-${name}`, startDays, endDays });
		certs.serverSoon = pki.issue(ca, { cn: 'localhost', eku: 'serverAuth', san: ['DNS:localhost', 'IP:127.0.0.1'], endDays: 10 });
		certs.serverNew = pki.issue(ca, { cn: 'localhost', eku: 'serverAuth', san: ['DNS:localhost', 'IP:127.0.0.1'], endDays: 300 });
		server = await startMtlsServer({ keyPem: certs.serverSoon.keyPem, certPem: certs.serverSoon.certPem, clientCa: ca.certPem });
		dir = mkdtempSync(join(tmpdir(), 'mtls-trigger-'));
	});
	after(async () => {
		await server.close();
		pki.cleanup();
		rmSync(dir, { recursive: true, force: true });
	});

	test('each event once: expiries, a changed server key, the switch to the successor', async () => {
		const workflow = new Workflow(
			{ certificateBundle: bundleOf(certs.expiring), passphrase: PASS, caCertificates: ca.certPem },
			{ expiryWarningDays: 30, serverUrl: server.origin },
		);
		const first = await workflow.poll();
		assert.deepEqual(events(first), ['clientCertificateExpiring', 'serverCertificateExpiring']);
		const client = first!.find((item) => item.event === 'clientCertificateExpiring')!;
		assert.equal(client.subject, 'O=mTLS Test, CN=client-expiring');
		assert.equal(client.daysUntilExpiry, 4);
		assert.equal(client.source, 'certificateBundle');
		assert.equal(await workflow.poll(), null, 'the second poll reports nothing new');

		// The editor's "Fetch Test Event": every certificate now, event null, the stored state untouched.
		const stateBefore = JSON.stringify(workflow.staticData);
		const manual = await workflow.poll('manual');
		assert.deepEqual(manual!.map((item) => `${item.event}|${item.source}|${item.role}`), [
			'null|certificateBundle|client certificate',
			'null|caCertificates|CA certificate for the server',
			'null|server|server certificate',
			'null|server|server chain certificate',
		]);
		assert.equal(JSON.stringify(workflow.staticData), stateBefore);

		server.server.setSecureContext({ key: certs.serverNew.keyPem, cert: certs.serverNew.certPem, ca: ca.certPem });
		const changed = await workflow.poll();
		assert.deepEqual(events(changed), ['serverKeyChanged']);
		assert.match(String(changed![0].publicKeyPin), /^sha256\/\//);
		assert.notEqual(changed![0].publicKeyPin, changed![0].previousPublicKeyPin);
		assert.equal(await workflow.poll(), null);

		// A successor staged and valid now: connections switch to it; the old expiry is not reported again.
		workflow.credential = { ...workflow.credential, nextCertificateBundle: bundleOf(certs.successor), nextPassphrase: PASS };
		const rotated = await workflow.poll();
		assert.deepEqual(events(rotated), ['rotated']);
		assert.equal(rotated![0].subject, 'O=mTLS Test, CN=client-successor');
		assert.equal(rotated![0].source, 'nextCertificateBundle');
		assert.equal(typeof rotated![0].previousFingerprint256, 'string');
		assert.equal(await workflow.poll(), null);

		// A successor that itself expires soon is reported as such.
		workflow.credential = { ...workflow.credential, nextCertificateBundle: bundleOf(certs.shortSuccessor) };
		assert.deepEqual(events(await workflow.poll()), ['nextCertificateExpiring', 'rotated']);
		assert.equal(await workflow.poll(), null);
		// Every item has the same keys, event first.
		for (const item of first!) assert.equal(Object.keys(item)[0], 'event');
	});

	test('a server that cannot be reached does not hide the client certificate\'s expiry; Fetch Test Event shows the error', async () => {
		const url = `https://127.0.0.1:${await closedPort()}`;
		const workflow = new Workflow({ certificateBundle: bundleOf(certs.expiring), passphrase: PASS }, { expiryWarningDays: 30, serverUrl: url });
		assert.deepEqual(events(await workflow.poll()), ['clientCertificateExpiring']);
		assert.equal(workflow.warnings.length, 1);
		assert.match(workflow.warnings[0], /could not be checked/);
		await assert.rejects(workflow.poll('manual'), (error: Error) => /refused|connect/i.test(error.message));
	});

	test('certificates from files: new file content is reported as rotated', async () => {
		const bundlePath = join(dir, 'client.pem');
		writeFileSync(bundlePath, bundleOf(certs.year));
		const workflow = new Workflow({ source: 'files', bundlePath, passphrase: PASS }, { expiryWarningDays: 30 });
		// The folder the administrator allows (n8n 2.x's default, ~/.n8n-files, is test/fileAccess.test.ts's).
		const restrict = process.env.N8N_RESTRICT_FILE_ACCESS_TO;
		process.env.N8N_RESTRICT_FILE_ACCESS_TO = dir;
		try {
			assert.equal(await workflow.poll(), null);
			writeFileSync(bundlePath, bundleOf(certs.successor));
			const rotated = await workflow.poll();
			assert.deepEqual(events(rotated), ['rotated']);
			assert.equal(rotated![0].subject, 'O=mTLS Test, CN=client-successor');
		} finally {
			if (restrict === undefined) delete process.env.N8N_RESTRICT_FILE_ACCESS_TO;
			else process.env.N8N_RESTRICT_FILE_ACCESS_TO = restrict;
		}
	});
});
