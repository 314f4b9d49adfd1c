/**
 * `npm run demo`: a throwaway PKI, a local "partner API" that insists on a client certificate, and a
 * real n8n that calls it through the packed node, then prints what the partner answered.
 * `npm run demo -- --ui` instead keeps n8n's editor running on http://localhost:5678 (data in
 * .n8n-demo/) with the demo workflow and credential in it, until Ctrl-C.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { createStandardPki, type StandardPki } from '../test/fixtures/pki';
import { startMtlsServer, type MtlsServer, type Seen } from '../test/fixtures/mtlsServer';
import {
	createN8n, linearWorkflow, mtlsNode, MTLS_CREDENTIAL_TYPE, N8N_VERSION, outputOf, ownerEnv, REPO_ROOT, stopProcess, tail,
	type CredentialJson, type N8n,
} from '../test/e2e/n8n';

const WORKFLOW_ID = 'mtlsDemoAccounts1';
const WORKFLOW_NAME = 'mTLS demo: partner accounts';
const NODE_NAME = 'Partner API (mTLS)';
const UI_PORT = 5678;
const OWNER = { email: 'demo@example.com', password: 'mTLS-demo-2026', firstName: 'Demo', lastName: 'User' };

interface Account {
	iban: string;
	currency: string;
	balance: number;
}

const ACCOUNTS: Account[] = [
	{ iban: 'DE89 3704 0044 0532 0130 00', currency: 'EUR', balance: 12_345.67 },
	{ iban: 'GB29 NWBK 6016 1331 9268 19', currency: 'GBP', balance: 980.1 },
];

/** The partner's /accounts endpoint: balances, plus the client certificate it authenticated. */
function answerAccounts(_req: IncomingMessage, res: ServerResponse, seen: Seen): void {
	res.setHeader('content-type', 'application/json');
	res.end(JSON.stringify({ partner: 'Example Bank (local demo)', clientSubject: seen.peerSubject, authorized: seen.authorized, accounts: ACCOUNTS }));
}

async function startPartnerApi(pki: StandardPki): Promise<MtlsServer> {
	const server = await startMtlsServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.ca.certPem });
	server.route('/accounts', answerAccounts);
	return server;
}

/** Packs and installs the package, then (re)imports the demo credential and workflow. */
async function loadDemo(n8n: N8n, pki: StandardPki, api: MtlsServer): Promise<void> {
	console.log(`Installing the package into n8n ${N8N_VERSION} (${n8n.dataDir}) …`);
	await n8n.installRepo();
	const credential: CredentialJson = {
		id: 'mtlsDemoCredential1',
		name: 'Example Bank client certificate (demo)',
		type: MTLS_CREDENTIAL_TYPE,
		data: { certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: pki.ca.certPem },
	};
	await n8n.importCredentials([credential]);
	await n8n.importWorkflows([
		linearWorkflow(WORKFLOW_ID, WORKFLOW_NAME, [mtlsNode(NODE_NAME, credential, { method: 'GET', url: `${api.origin}/accounts` })]),
	]);
}

function printAnswer(api: MtlsServer, answer: Record<string, unknown>): void {
	const accounts = (answer.accounts ?? []) as Account[];
	console.log(`\nThe partner API (${api.origin}/accounts) answered n8n's workflow "${WORKFLOW_NAME}":`);
	console.log(`  partner:                 ${answer.partner}`);
	console.log(`  client certificate seen: CN=${answer.clientSubject} (${answer.authorized === true ? 'accepted' : 'NOT accepted'} by the partner's TLS check)`);
	for (const { iban, currency, balance } of accounts) {
		console.log(`  ${iban.padEnd(30)} ${currency} ${balance.toLocaleString('en-US', { minimumFractionDigits: 2 }).padStart(12)}`);
	}
}

async function runOnce(pki: StandardPki, api: MtlsServer): Promise<boolean> {
	const n8n = createN8n();
	try {
		await loadDemo(n8n, pki, api);
		console.log('Running the workflow with `n8n execute-batch` …');
		const { runs, log } = await n8n.runWorkflows([WORKFLOW_ID]);
		let answer: Record<string, unknown> | undefined;
		try {
			answer = outputOf(runs[WORKFLOW_ID], NODE_NAME)[0]?.json;
		} catch (error) {
			console.error(`\nThe workflow failed: ${(error as Error).message}\n--- n8n output ---\n${tail(log)}`);
			return false;
		}
		if (!answer) {
			console.error(`\nThe node returned no item.\n--- n8n output ---\n${tail(log)}`);
			return false;
		}
		printAnswer(api, answer);
		const ok = answer.clientSubject === pki.clientEc.name && answer.authorized === true;
		if (!ok) console.error('\nThe partner did not see the expected client certificate.');
		return ok;
	} finally {
		n8n.dispose();
	}
}

/** Resolves once the editor page loads (n8n reports ready a little earlier), or rejects when n8n exits. */
async function waitUntilReady(exited: Promise<unknown>): Promise<void> {
	let gone = false;
	void exited.then(() => (gone = true));
	while (!gone) {
		const ready = await fetch(`http://localhost:${UI_PORT}/`).then((res) => res.ok, () => false);
		if (ready) return;
		await new Promise((resolve) => setTimeout(resolve, 1000));
	}
	throw new Error('n8n exited before it was ready');
}

async function runEditor(pki: StandardPki, api: MtlsServer): Promise<number> {
	const n8n = createN8n(join(REPO_ROOT, '.n8n-demo'));
	await loadDemo(n8n, pki, api);
	const child = await n8n.start({ port: UI_PORT, env: ownerEnv(n8n, OWNER) });
	const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
	const stop = () => void stopProcess(child);
	process.once('SIGINT', stop);
	process.once('SIGTERM', stop);
	await waitUntilReady(exited);
	console.log([
		'',
		`n8n ${N8N_VERSION} is running with the mTLS node; the partner API listens on ${api.origin}.`,
		`  1. open http://localhost:${UI_PORT} and sign in as ${OWNER.email} / ${OWNER.password}`,
		`  2. open the workflow "${WORKFLOW_NAME}" and click "Execute workflow"`,
		'Ctrl-C stops n8n and the partner API (the throwaway certificates change on every start).',
		'',
	].join('\n'));
	return exited;
}

async function main(): Promise<number> {
	const pki = createStandardPki();
	const api = await startPartnerApi(pki);
	try {
		if (process.argv.includes('--ui')) return await runEditor(pki, api);
		return (await runOnce(pki, api)) ? 0 : 1;
	} finally {
		await api.close();
		pki.pki.cleanup();
	}
}

main().then(
	(code) => process.exit(code),
	(error) => {
		console.error(error instanceof Error ? error.message : error);
		process.exit(1);
	},
);
