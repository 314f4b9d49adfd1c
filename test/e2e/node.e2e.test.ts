/**
 * The packed package inside a real n8n 2.40 (and, as `npm run test:n8n1` and `test:n8n1:node22`, n8n
 * 1.81 on Node 20 and 1.123 on Node 22):
 * workflows with the mTLS node call servers that run in this process on 127.0.0.1; every case
 * asserts on what the server saw and what the workflow output.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createStandardPki, type StandardPki } from '../fixtures/pki';
import { type MtlsServer, startPartners } from '../fixtures/mtlsServer';
import {
	numberItems,
	prepareN8n, tearDown, linearWorkflow, mtlsNode, MTLS_CREDENTIAL_TYPE, outputOf,
	type BatchResult, type CredentialJson, type N8n, type OutputItem,
} from './n8n';

const IDS = { get: 'mtlsE2eGet000001', items: 'mtlsE2eItems0001', post: 'mtlsE2ePost00001', partial: 'mtlsE2ePartial01', badPass: 'mtlsE2eBadPass01' };
const SERVER_NAMES = ['get', 'items', 'post', 'partial'] as const;
const WRONG_PASSPHRASE = 'wrong-Passw0rd-7731';
const TIMEOUT = { timeout: 5 * 60_000 };

let pki: StandardPki;
let n8n: N8n;
/** One server per workflow, so each case counts only its own requests and handshakes. */
let servers: Record<(typeof SERVER_NAMES)[number], MtlsServer>;
let goodCredential: CredentialJson;
let badCredential: CredentialJson;
let batch: Promise<BatchResult> | undefined;

before(async () => {
	pki = createStandardPki();
	servers = await startPartners(pki, SERVER_NAMES);
	goodCredential = credential('mtlsCredGood0001', 'Partner (EC)', pki.passphrase);
	badCredential = credential('mtlsCredBad00001', 'Partner (wrong passphrase)', WRONG_PASSPHRASE);
	n8n = await prepareN8n([goodCredential, badCredential], workflows());
}, TIMEOUT);

after(() => tearDown(servers, n8n, pki));

function credential(id: string, name: string, passphrase: string): CredentialJson {
	return { id, name, type: MTLS_CREDENTIAL_TYPE, data: { certificateBundle: pki.bundleEc, passphrase, caCertificates: pki.ca.certPem } };
}

function workflows() {
	const { get, items, post, partial } = servers;
	return [
		linearWorkflow(IDS.get, 'e2e: GET', [mtlsNode('mTLS', goodCredential, { method: 'GET', url: `${get.origin}/hello` })]),
		linearWorkflow(IDS.items, 'e2e: five items, one connection', [
			...numberItems(5),
			// One item at a time, so every request can reuse the first connection.
			mtlsNode('mTLS', goodCredential, { method: 'GET', url: `={{ '${items.origin}/items/' + $json.n }}`, options: { batching: { batch: { batchSize: 1, batchInterval: 0 } } } }),
		]),
		linearWorkflow(IDS.post, 'e2e: POST with query, headers, JSON body', [mtlsNode('mTLS', goodCredential, {
			method: 'POST',
			url: `${post.origin}/payments`,
			sendQuery: true,
			specifyQuery: 'keypair',
			queryParameters: { parameters: [{ name: 'dryRun', value: 'true' }, { name: 'tag', value: 'a b' }] },
			sendHeaders: true,
			headerParameters: { parameters: [{ name: 'X-Partner-Id', value: 'p-42' }] },
			sendBody: true,
			contentType: 'json',
			specifyBody: 'json',
			jsonBody: '{"amount":12.5,"currency":"EUR"}',
		})]),
		linearWorkflow(IDS.partial, 'e2e: continue on fail', [
			...numberItems(3),
			mtlsNode('mTLS', goodCredential, {
				method: 'GET',
				// Item 1 (n = 2) asks for plain http://, which the node must refuse for that item only.
				url: `={{ $json.n === 2 ? 'http://localhost:${partial.port}/plain' : '${partial.origin}/items/' + $json.n }}`,
			}, { onError: 'continueRegularOutput' }),
		]),
		linearWorkflow(IDS.badPass, 'e2e: wrong passphrase', [mtlsNode('mTLS', badCredential, { method: 'GET', url: `${get.origin}/never` })]),
	];
}

/** The four workflows expected to succeed run in one n8n process, started by whichever test needs it first. */
function runHappyPaths(): Promise<BatchResult> {
	batch ??= n8n.runWorkflows([IDS.get, IDS.items, IDS.post, IDS.partial]);
	return batch;
}

async function mtlsOutput(id: string): Promise<OutputItem[]> {
	const { runs, log } = await runHappyPaths();
	try {
		return outputOf(runs[id], 'mTLS');
	} catch (error) {
		throw new Error(`${(error as Error).message}\n--- n8n output ---\n${log.slice(-6000)}`);
	}
}

function itemIndexes(items: OutputItem[]): number[] {
	return items.map(({ pairedItem }) => (Array.isArray(pairedItem) ? pairedItem[0]?.item : pairedItem?.item) as number);
}

test('the package installs like the community-nodes UI does it', () => {
	// n8n 2.x installs the dependencies inside the package folder, n8n 1.x's plain `npm install` hoists them.
	const modules = [join(n8n.packageDir, 'node_modules'), join(n8n.dataDir, 'nodes', 'node_modules')];
	const installed = (name: string) => modules.some((dir) => existsSync(join(dir, name, 'package.json')));
	assert.ok(existsSync(join(n8n.packageDir, 'dist', 'nodes', 'MtlsHttpRequest', 'MtlsHttpRequest.node.js')));
	assert.ok(installed('undici'), 'runtime dependency undici is installed');
	assert.ok(installed('node-forge'), 'runtime dependency node-forge is installed');
	// A required peer would be installed too: the newest n8n-workflow, whose isolated-vm needs Node 22.
	assert.ok(!installed('n8n-workflow'), 'peer dependency n8n-workflow comes from n8n, not the package');
});

test('GET with the EC bundle: the server authenticates the client certificate', TIMEOUT, async () => {
	const items = await mtlsOutput(IDS.get);
	assert.equal(items.length, 1);
	assert.equal(items[0].json.authorized, true);
	assert.equal(items[0].json.peerSubject, 'client-ec.example');
	assert.equal(items[0].json.method, 'GET');
	assert.equal(servers.get.requests.length, 1);
	assert.equal(servers.get.requests[0].url, '/hello');
});

test('five items: five paired output items over one TLS handshake', TIMEOUT, async () => {
	const items = await mtlsOutput(IDS.items);
	assert.equal(items.length, 5);
	assert.deepEqual(itemIndexes(items), [0, 1, 2, 3, 4]);
	assert.deepEqual(items.map(({ json }) => json.url), ['/items/1', '/items/2', '/items/3', '/items/4', '/items/5']);
	assert.equal(servers.items.requests.length, 5);
	assert.equal(servers.items.handshakes(), 1);
});

test('POST: query and header parameters and the JSON body reach the server', TIMEOUT, async () => {
	const items = await mtlsOutput(IDS.post);
	assert.equal(items.length, 1);
	const [seen] = servers.post.requests;
	assert.equal(servers.post.requests.length, 1);
	assert.equal(seen.method, 'POST');
	const url = new URL(seen.url, 'https://localhost');
	assert.equal(url.pathname, '/payments');
	assert.equal(url.searchParams.get('dryRun'), 'true');
	assert.equal(url.searchParams.get('tag'), 'a b');
	assert.equal(seen.headers['x-partner-id'], 'p-42');
	assert.match(String(seen.headers['content-type']), /^application\/json/);
	assert.deepEqual(JSON.parse(seen.body), { amount: 12.5, currency: 'EUR' });
	assert.equal(items[0].json.peerSubject, 'client-ec.example');
});

test('continue on fail: good items succeed, the http:// item carries an error', TIMEOUT, async () => {
	const items = await mtlsOutput(IDS.partial);
	assert.equal(items.length, 3);
	const indexes = itemIndexes(items);
	const byItem = new Map(items.map((item, i) => [indexes[i], item.json]));
	assert.equal(byItem.get(0)?.authorized, true);
	assert.equal(byItem.get(2)?.authorized, true);
	assert.ok(byItem.get(1)?.error, `item 1 has an error: ${JSON.stringify(byItem.get(1))}`);
	assert.match(JSON.stringify(byItem.get(1)?.error), /https?:\/\//);
	assert.deepEqual(servers.partial.requests.map(({ url }) => url).sort(), ['/items/1', '/items/3']);
});

test('wrong passphrase: the execution fails naming the Passphrase field, without leaking secrets', TIMEOUT, async () => {
	const { runs, log } = await n8n.runWorkflows([IDS.badPass]);
	const run = runs[IDS.badPass];
	assert.equal(run.status, 'error', `expected a failed execution, got ${run.status}\n${log.slice(-4000)}`);
	const text = `${run.error}\n${log}`;
	assert.match(text, /"Passphrase" field/);
	assert.match(text, /PASSPHRASE_WRONG/);
	for (const secret of [pki.passphrase, WRONG_PASSPHRASE, '-----BEGIN', pki.bundleEc.split('\n')[1]]) {
		assert.ok(!text.includes(secret), `n8n's output must not contain ${JSON.stringify(secret.slice(0, 12))}…`);
	}
});
