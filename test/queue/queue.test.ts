/**
 * Queue mode as the README describes it: one main (webhooks, UI) and two workers sharing PostgreSQL
 * and Redis, each worker with the package installed in its own user folder. 200 webhook calls go to
 * the main, workers run them and call the partner over mTLS; the partner records which worker called
 * (an environment variable the workflow reads) and whether the TLS session was resumed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { createStandardPki, type StandardPki } from '../fixtures/pki';
import { startMtlsServer, type MtlsServer } from '../fixtures/mtlsServer';
import {
	createN8n, findFreePort, mtlsNode, packPackage, stopProcess, tail, MTLS_CREDENTIAL_TYPE,
	type CredentialJson, type N8n, type WorkflowJson,
} from '../e2e/n8n';
import { startPostgres, startRedis, type Postgres, type Service } from './services';

const CALLS = 200;
/** Webhook calls in flight at once; together the workers take 2 × WORKER_CONCURRENCY. */
const CLIENT_CONCURRENCY = 10;
const WORKER_CONCURRENCY = 5;
const WORKERS = ['worker-1', 'worker-2'] as const;
const WORKFLOW_ID = 'mtlsQueueHook001';
const WEBHOOK_PATH = 'mtls-queue';
const SETUP = { timeout: 10 * 60_000 };
/** A webhook call answered later than this has hung: the calls take about 50 ms each. */
const CALL_TIMEOUT_MS = 60_000;
/** Completed and failed jobs Redis keeps; more than the calls, so none is dropped during the run. */
const KEEP_JOBS = 1000;
const READY_TIMEOUT_MS = 4 * 60_000;

interface Call {
	worker: string;
	call: number;
	/** The TLS connection the request came on, numbered by the partner server. */
	connection: number;
	resumed: boolean;
}

interface Reply {
	call: number;
	status: number;
	body: string;
}

let pki: StandardPki;
let partner: MtlsServer;
let postgres: Postgres | undefined;
let redis: Service | undefined;
let main: N8n | undefined;
const workers: N8n[] = [];
const processes: ChildProcess[] = [];
const calls: Call[] = [];
let replies: Reply[] = [];

before(async () => {
	const setupStarted = Date.now();
	pki = createStandardPki();
	partner = await startMtlsServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.ca.certPem });
	recordCalls(partner);
	[postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
	const settings = queueSettings(postgres, redis);

	const work = mkdtempSync(join(tmpdir(), 'n8n-mtls-queue-'));
	try {
		const tarball = await packPackage(work);
		main = createInstance(settings);
		for (const name of WORKERS) workers.push(createInstance({ ...settings, N8N_MTLS_WORKER: name }));
		// Every process that may run the workflow loads the node from its own user folder.
		await Promise.all([main, ...workers].map((n8n) => n8n.installPackage(tarball)));
	} finally {
		rmSync(work, { recursive: true, force: true });
	}
	const credential: CredentialJson = {
		id: 'mtlsQueueCred001', name: 'Partner (EC)', type: MTLS_CREDENTIAL_TYPE,
		data: { certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: pki.ca.certPem },
	};
	await main.importCredentials([credential]);
	await main.importWorkflows([webhookWorkflow(credential)]);
	// n8n 2.x serves a workflow's published version; import alone (even --activeState=fromJson) does not publish.
	const published = await main.cli(['publish:workflow', `--id=${WORKFLOW_ID}`]);
	assert.equal(published.code, 0, `publish:workflow failed\n${tail(published.output)}`);

	const mainPort = await findFreePort();
	processes.push(await main.start({ port: mainPort, env: { N8N_LISTEN_ADDRESS: '127.0.0.1' }, logFile: logOf(main) }));
	const healthPorts: number[] = [];
	for (const worker of workers) {
		const healthPort = await findFreePort();
		healthPorts.push(healthPort);
		processes.push(await worker.startWorker({ concurrency: WORKER_CONCURRENCY, healthPort, logFile: logOf(worker) }));
	}
	await Promise.all([
		waitUntilReady(`http://127.0.0.1:${mainPort}/healthz/readiness`, main),
		...workers.map((worker, i) => waitUntilReady(`http://127.0.0.1:${healthPorts[i]}/healthz/readiness`, worker)),
	]);
	const url = `http://127.0.0.1:${mainPort}/webhook/${WEBHOOK_PATH}`;
	// The main registers the webhook after it reports ready; the first call waits for that.
	await waitForWebhook(url);
	const started = Date.now();
	replies = await callWebhook(url);
	console.log(`set-up ${((started - setupStarted) / 1000).toFixed(0)} s; ${CALLS} calls in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}, SETUP);

after(async () => {
	await Promise.all(processes.map((child) => stopProcess(child)));
	await Promise.all([partner?.close(), postgres?.stop(), redis?.stop()]);
	for (const n8n of [main, ...workers]) n8n?.dispose();
	pki?.pki.cleanup();
});

function createInstance(settings: Record<string, string>): N8n {
	const n8n = createN8n();
	Object.assign(n8n.settings, settings);
	return n8n;
}

function queueSettings(db: Postgres, queue: Service): Record<string, string> {
	return {
		EXECUTIONS_MODE: 'queue',
		QUEUE_BULL_REDIS_HOST: '127.0.0.1',
		QUEUE_BULL_REDIS_PORT: String(queue.port),
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: '127.0.0.1',
		DB_POSTGRESDB_PORT: String(db.port),
		DB_POSTGRESDB_USER: db.user,
		DB_POSTGRESDB_DATABASE: db.database,
		// The workflow reads N8N_MTLS_WORKER to tell the partner which worker ran it.
		N8N_BLOCK_ENV_ACCESS_IN_NODE: 'false',
		// The main waits for a job with Bull's job.finished(), which never settles when the job was
		// completed and removed before the call (OptimalBits/bull#1906). By default n8n removes a job
		// as it completes, so a fast execution on a busy main leaves its webhook caller waiting
		// forever; keeping completed jobs lets job.finished() find them (see README, Queue mode).
		N8N_EXECUTIONS_QUEUE_KEEP_LAST_COMPLETED: String(KEEP_JOBS),
		N8N_EXECUTIONS_QUEUE_KEEP_LAST_FAILED: String(KEEP_JOBS),
	};
}

function logOf(n8n: N8n): string {
	return join(n8n.userFolder, 'n8n.log');
}

function logTail(n8n: N8n | undefined): string {
	const file = n8n && logOf(n8n);
	return file && existsSync(file) ? tail(readFileSync(file, 'utf8'), 40) : '(no log)';
}

/** The end of every n8n process's log, for failure messages. */
function logs(): string {
	return [`--- main ---\n${logTail(main)}`, ...workers.map((worker, i) => `--- ${WORKERS[i]} ---\n${logTail(worker)}`)].join('\n');
}

/** Webhook → mTLS node → the webhook answers with the partner's reply (the last node's first item). */
function webhookWorkflow(credential: CredentialJson): WorkflowJson {
	const webhook = {
		id: randomUUID(), name: 'Webhook', type: 'n8n-nodes-base.webhook', typeVersion: 2, position: [0, 0], webhookId: randomUUID(),
		parameters: { httpMethod: 'POST', path: WEBHOOK_PATH, responseMode: 'lastNode', responseData: 'firstEntryJson', options: {} },
	};
	const call = mtlsNode('mTLS', credential, {
		method: 'GET',
		url: `${partner.origin}/who`,
		sendHeaders: true,
		headerParameters: { parameters: [
			{ name: 'X-Worker', value: '={{ $env.N8N_MTLS_WORKER ?? "main" }}' },
			{ name: 'X-Call', value: '={{ $json.body.call }}' },
		] },
	}, { id: randomUUID(), position: [240, 0] });
	return {
		id: WORKFLOW_ID, name: 'queue: webhook → mTLS', active: false, settings: {}, nodes: [webhook, call],
		connections: { Webhook: { main: [[{ node: 'mTLS', type: 'main', index: 0 }]] } },
	};
}

/**
 * The partner answers /who with who called and whether that connection resumed a TLS session.
 * Connections are numbered as their handshakes complete, so a worker's first one is the lowest.
 */
function recordCalls(server: MtlsServer): void {
	const connections = new WeakMap<TLSSocket, number>();
	let count = 0;
	server.server.on('secureConnection', (socket: TLSSocket) => connections.set(socket, ++count));
	server.route('/who', (req, res) => {
		const socket = req.socket as TLSSocket;
		const seen: Call = {
			worker: String(req.headers['x-worker']),
			call: Number(req.headers['x-call']),
			connection: connections.get(socket) ?? 0,
			resumed: socket.isSessionReused(),
		};
		calls.push(seen);
		res.setHeader('content-type', 'application/json');
		res.end(JSON.stringify(seen));
	});
}

async function waitUntilReady(url: string, n8n: N8n): Promise<void> {
	const deadline = Date.now() + READY_TIMEOUT_MS;
	while (Date.now() < deadline) {
		const status = await fetch(url).then((res) => res.status, () => 0);
		if (status === 200) return;
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
	throw new Error(`${url} not ready after ${READY_TIMEOUT_MS / 1000} s\n${logTail(n8n)}`);
}

/** Sends one call until the main no longer answers 404 (the webhook is registered). */
async function waitForWebhook(url: string): Promise<void> {
	const deadline = Date.now() + READY_TIMEOUT_MS;
	let last: Reply | undefined;
	while (Date.now() < deadline) {
		last = await post(url, 0);
		if (last.status !== 404) break;
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
	if (last?.status !== 200) throw new Error(`warm-up call: HTTP ${last?.status} ${last?.body}\n${logs()}`);
}

async function post(url: string, call: number): Promise<Reply> {
	try {
		const res = await fetch(url, {
			method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ call }), signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
		});
		return { call, status: res.status, body: await res.text() };
	} catch (error) {
		return { call, status: 0, body: String((error as Error).cause ?? error) };
	}
}

/** CALLS webhook calls, CLIENT_CONCURRENCY at a time. */
async function callWebhook(url: string): Promise<Reply[]> {
	const results: Reply[] = [];
	let next = 1;
	const lane = async () => {
		while (next <= CALLS) results.push(await post(url, next++));
	};
	await Promise.all(Array.from({ length: CLIENT_CONCURRENCY }, lane));
	return results.sort((a, b) => a.call - b.call);
}

function byWorker(): Map<string, Call[]> {
	const groups = new Map<string, Call[]>();
	for (const call of calls.filter(({ call }) => call > 0)) groups.set(call.worker, [...(groups.get(call.worker) ?? []), call]);
	return groups;
}

test(`${CALLS} webhook calls in queue mode: every execution succeeds with the partner's reply`, () => {
	const failed = replies.filter(({ status }) => status !== 200);
	const seen = (call: number) => (calls.some((partnerCall) => partnerCall.call === call) ? 'the partner saw it' : 'the partner never saw it');
	assert.deepEqual(failed.slice(0, 5).map((reply) => ({ ...reply, partner: seen(reply.call) })), [], `${failed.length} of ${CALLS} calls failed\n${logs()}`);
	for (const reply of replies) {
		const body = JSON.parse(reply.body) as Call;
		assert.equal(body.call, reply.call, 'each reply answers its own call');
		assert.ok(WORKERS.includes(body.worker as (typeof WORKERS)[number]), `call ${reply.call} ran on ${body.worker}, not a worker`);
	}
	assert.deepEqual(calls.map(({ call }) => call).filter((call) => call > 0).sort((a, b) => a - b), Array.from({ length: CALLS }, (_, i) => i + 1),
		'the partner saw every call exactly once');
});

test('the executions are spread over both workers', () => {
	const groups = byWorker();
	const counts = WORKERS.map((name) => groups.get(name)?.length ?? 0);
	console.log(`executions per worker: ${WORKERS.map((name, i) => `${name} ${counts[i]}`).join(', ')}`);
	for (const [i, name] of WORKERS.entries()) assert.ok(counts[i] > 0, `${name} ran no execution (${counts.join(' / ')})`);
});

test('each worker resumes TLS sessions from its own cache', () => {
	for (const name of WORKERS) {
		// Warm-up call included: a worker's cache starts empty, so its first handshake must be a full one.
		const own = calls.filter((call) => call.worker === name).sort((a, b) => a.connection - b.connection);
		const reused = [...new Map(own.map(({ connection, resumed }) => [connection, resumed])).values()];
		const full = reused.flatMap((resumed, i) => (resumed ? [] : [i]));
		console.log(`${name}: ${reused.length} TLS connections, ${reused.length - full.length} resumed; full handshakes at ${full.join(' ')}`);
		assert.equal(reused[0], false, `${name} resumed its very first connection: the session must have come from another process`);
		assert.ok(full.length < reused.length, `${name} never resumed a TLS session`);
	}
});
