/**
 * Load soak: `npm run soak` (not part of npm test). 100 executions × 100 items against an
 * in-process mTLS server that injects faults at random (resets mid-body, 500s, answers slower
 * than the timeout, connections closed while idle or right after an answer). Each execution does
 * what nodes/MtlsHttpRequest/execute.ts does: the credential through the shared material cache, a
 * fresh Agent with the shared session store, items 10 at a time, the Agent closed at the end.
 *
 * Asserts that nothing is lost (every item ends as a success or a classified error code), that the
 * file descriptors return to their baseline (±5), that the JavaScript heap and Buffers return near
 * theirs, and that RSS stops growing (the second half of the executions adds little).
 *
 *   SOAK_EXECUTIONS (100), SOAK_ITEMS (100), SOAK_PARALLEL executions at once (4), SOAK_SEED
 *   Run with --expose-gc for meaningful memory figures.
 */
import { readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TLSSocket } from 'node:tls';

import { MtlsError } from '../lib/errors';
import { createAgent, DEFAULT_CONNECTIONS_PER_ORIGIN } from '../lib/http/agent';
import { HttpRequest, send } from '../lib/http/send';
import { sharedMaterials } from '../lib/tls/cache';
import { selectMaterial } from '../lib/tls/rotation';
import { sharedSessions } from '../lib/tls/sessions';
import { Exchange, respond, startScriptedServer } from '../test/fixtures/faultServers';
import { createStandardPki } from '../test/fixtures/pki';

const EXECUTIONS = Number(process.env.SOAK_EXECUTIONS ?? 100);
const ITEMS = Number(process.env.SOAK_ITEMS ?? 100);
const PARALLEL = Number(process.env.SOAK_PARALLEL ?? 4);
const SEED = Number(process.env.SOAK_SEED ?? Date.now() % 1_000_000);
const ITEM_CONCURRENCY = DEFAULT_CONNECTIONS_PER_ORIGIN;
const REQUEST_TIMEOUT_MS = 500;
const SERVER_IDLE_TIMEOUT_MS = 150;
const TIME_LIMIT_MS = 3 * 60 * 1000;
const FD_TOLERANCE = 5;
const HEAP_TOLERANCE_MB = 16;
/**
 * RSS does not return to its baseline: glibc keeps freed arenas and Node 24's V8 keeps grown heap
 * pages (heapTotal 30 → 145 MB with 12 MB used). It settles, though, where a leak keeps growing;
 * the second half of the executions may add only this much.
 */
const RSS_SECOND_HALF_TOLERANCE_MB = 40;

/** What the server does with one request, and how often (per mille). */
const FAULTS = [
	{ name: 'ok', weight: 850 },
	{ name: 'status 500', weight: 40 },
	{ name: 'reset mid-body', weight: 30 },
	{ name: 'close after answer', weight: 40 },
	{ name: 'reset before answer', weight: 20 },
	{ name: 'slower than the timeout', weight: 20 },
] as const;
type Fault = (typeof FAULTS)[number]['name'];

/** mulberry32: a small seeded generator, so a run can be repeated with SOAK_SEED. */
function random(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

function openFds(): number {
	return readdirSync('/proc/self/fd').length;
}

/** Memory in MB: the process's RSS, what JavaScript objects use, and Buffers and other memory outside the V8 heap. */
function memory(): { rss: number; heap: number; external: number } {
	const usage = process.memoryUsage();
	const mb = (bytes: number) => bytes / 1024 / 1024;
	return { rss: mb(usage.rss), heap: mb(usage.heapUsed), external: mb(usage.external) };
}

async function settle(): Promise<void> {
	for (let round = 0; round < 3; round++) {
		global.gc?.();
		await sleep(50);
	}
}

function increment(counts: Map<string, number>, key: string): void {
	counts.set(key, (counts.get(key) ?? 0) + 1);
}

async function main(): Promise<number> {
	const started = performance.now();
	const deadline = setTimeout(() => {
		console.error(`soak: over the time limit of ${TIME_LIMIT_MS / 1000} s`);
		process.exit(2);
	}, TIME_LIMIT_MS);
	deadline.unref();

	const pki = createStandardPki();
	const pick = random(SEED);
	const faultsDealt = new Map<string, number>();
	const choose = (): Fault => {
		let roll = pick() * 1000;
		for (const fault of FAULTS) {
			roll -= fault.weight;
			if (roll < 0) return fault.name;
		}
		return 'ok';
	};
	/** Like servers with a short keep-alive timeout: an idle connection is closed, a busy one is not. */
	const closeWhenIdle = (socket: TLSSocket) => socket.setTimeout(SERVER_IDLE_TIMEOUT_MS);
	let requestsSeen = 0;
	const answer = async (exchange: Exchange, socket: TLSSocket): Promise<void> => {
		requestsSeen++;
		// The fixture keeps every request for tests to inspect; a soak must not grow its own memory.
		server.exchanges.length = 0;
		socket.setTimeout(0);
		await answerWithFault(exchange, socket);
		if (!socket.destroyed) closeWhenIdle(socket);
	};
	const answerWithFault = async (exchange: Exchange, socket: TLSSocket): Promise<void> => {
		const fault = choose();
		increment(faultsDealt, fault);
		const body = JSON.stringify({ path: exchange.path, method: exchange.method, received: exchange.body.length, filler: 'x'.repeat(512 + Math.floor(pick() * 3_000)) });
		switch (fault) {
			case 'ok':
				return respond(socket, 200, body, { 'content-type': 'application/json' });
			case 'status 500':
				return respond(socket, 500, '{"error":"internal"}', { 'content-type': 'application/json' });
			case 'reset mid-body':
				await new Promise<void>((resolve) => socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n${body.slice(0, 100)}`, () => resolve()));
				socket.destroy();
				return;
			case 'close after answer':
				await respond(socket, 200, body, { 'content-type': 'application/json' });
				socket.destroy();
				return;
			case 'reset before answer':
				socket.resetAndDestroy();
				return;
			case 'slower than the timeout':
				await sleep(REQUEST_TIMEOUT_MS * 6);
				if (!socket.destroyed) await respond(socket, 200, body, { 'content-type': 'application/json' });
		}
	};
	const server = await startScriptedServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.ca.certPem }, answer);
	server.onConnection((socket) => {
		socket.on('timeout', () => socket.destroy());
		closeWhenIdle(socket);
	});
	const credential = { certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: pki.ca.certPem };

	// Warm up once (module loading, first handshake), then take the baseline.
	await runExecution(0, 5);
	await waitUntil(() => server.openConnections() === 0);
	await settle();
	const baseline = { fds: openFds(), ...memory(), handshakes: server.handshakes(), resumed: server.resumed(), requests: requestsSeen };
	faultsDealt.clear();

	const outcomes = new Map<string, number>();
	let items = 0;
	let nextExecution = 1;
	/** Runs executions up to `last`, PARALLEL at a time. */
	const runUntil = (last: number) => Promise.all(Array.from({ length: PARALLEL }, async () => {
		while (nextExecution <= last) {
			const execution = nextExecution++;
			for (const outcome of await runExecution(execution, ITEMS)) {
				items++;
				increment(outcomes, outcome);
			}
		}
	}));
	// Measured halfway too: allocators and V8 keep grown memory, but a leak keeps growing.
	await runUntil(Math.floor(EXECUTIONS / 2));
	await waitUntil(() => server.openConnections() === 0);
	await settle();
	const halfway = memory();
	await runUntil(EXECUTIONS);
	const openAtEnd = server.openConnections();
	await waitUntil(() => server.openConnections() === 0);
	await settle();
	const after = { fds: openFds(), ...memory() };
	const requests = requestsSeen - baseline.requests;
	await server.close();
	pki.pki.cleanup();

	const successes = outcomes.get('success') ?? 0;
	const unclassified = [...outcomes].filter(([outcome]) => outcome.startsWith('UNCLASSIFIED'));
	const failures = [...outcomes].filter(([outcome]) => outcome !== 'success').sort((a, b) => b[1] - a[1]);
	const lines = [
		`soak: seed ${SEED}, ${EXECUTIONS} executions × ${ITEMS} items, ${PARALLEL} executions at once, items ${ITEM_CONCURRENCY} at a time, timeout ${REQUEST_TIMEOUT_MS} ms`,
		`  duration        ${((performance.now() - started) / 1000).toFixed(1)} s`,
		`  items           ${items} (expected ${EXECUTIONS * ITEMS})`,
		`  requests        ${requests} seen by the server (retries included)`,
		`  successes       ${successes}`,
		`  failures        ${items - successes}: ${failures.map(([code, count]) => `${code} ${count}`).join(', ') || 'none'}`,
		`  faults dealt    ${[...faultsDealt].map(([fault, count]) => `${fault} ${count}`).join(', ')}`,
		`  TLS handshakes  ${server.handshakes() - baseline.handshakes}, of which resumed ${server.resumed() - baseline.resumed}`,
		`  open fds        ${baseline.fds} before, ${after.fds} after (server connections open when the last execution ended: ${openAtEnd})`,
		`  RSS             ${baseline.rss.toFixed(1)} MB before, ${halfway.rss.toFixed(1)} MB halfway, ${after.rss.toFixed(1)} MB after${global.gc ? ' (each after GC)' : ' (no --expose-gc)'}`,
		`  heap used       ${baseline.heap.toFixed(1)} MB before, ${halfway.heap.toFixed(1)} MB halfway, ${after.heap.toFixed(1)} MB after`,
		`  external        ${baseline.external.toFixed(1)} MB before, ${halfway.external.toFixed(1)} MB halfway, ${after.external.toFixed(1)} MB after (Buffers)`,
	];
	console.log(lines.join('\n'));

	const problems: string[] = [];
	if (items !== EXECUTIONS * ITEMS) problems.push(`${EXECUTIONS * ITEMS - items} items unaccounted for`);
	if (unclassified.length) problems.push(`unclassified errors: ${unclassified.map(([outcome, count]) => `${outcome} ×${count}`).join(', ')}`);
	if (Math.abs(after.fds - baseline.fds) > FD_TOLERANCE) problems.push(`file descriptors: ${baseline.fds} → ${after.fds}`);
	if (global.gc && after.heap - baseline.heap > HEAP_TOLERANCE_MB) problems.push(`heap grew by ${(after.heap - baseline.heap).toFixed(1)} MB`);
	if (global.gc && after.external - baseline.external > HEAP_TOLERANCE_MB) problems.push(`external memory grew by ${(after.external - baseline.external).toFixed(1)} MB`);
	if (after.rss - halfway.rss > RSS_SECOND_HALF_TOLERANCE_MB) problems.push(`RSS still grew by ${(after.rss - halfway.rss).toFixed(1)} MB in the second half`);
	clearTimeout(deadline);
	if (problems.length) {
		console.log(`soak: FAILED: ${problems.join('; ')}`);
		return 1;
	}
	console.log('soak: nothing lost; descriptors, heap and Buffers back at baseline; RSS settled');
	return 0;

	/** One execution as execute.ts runs it; returns each item's outcome. */
	async function runExecution(execution: number, count: number): Promise<string[]> {
		const { material } = selectMaterial(credential, sharedMaterials);
		const agent = createAgent(material, { sessions: sharedSessions, connectionsPerOrigin: ITEM_CONCURRENCY });
		const outcomes: string[] = new Array(count);
		let next = 0;
		try {
			await Promise.all(Array.from({ length: Math.min(ITEM_CONCURRENCY, count) }, async () => {
				while (next < count) {
					const item = next++;
					outcomes[item] = await runItem(agent, execution, item);
				}
			}));
		} finally {
			await agent.close();
		}
		return outcomes;
	}

	async function runItem(agent: ReturnType<typeof createAgent>, execution: number, item: number): Promise<string> {
		const post = item % 5 === 4;
		const request: HttpRequest = {
			method: post ? 'POST' : 'GET',
			url: new URL(`${server.origin}/executions/${execution}/items/${item}`),
			headers: post ? { 'content-type': 'application/json' } : {},
			body: post ? JSON.stringify({ execution, item }) : undefined,
			timeout: REQUEST_TIMEOUT_MS,
			redirect: { follow: true, max: 5, allowCrossOrigin: false },
		};
		try {
			const response = await send(agent, request);
			return response.statusCode < 400 ? 'success' : `HTTP_${response.statusCode}`;
		} catch (error) {
			return error instanceof MtlsError ? error.code : `UNCLASSIFIED ${(error as Error)?.name}: ${(error as Error)?.message}`;
		}
	}
}

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
	const until = Date.now() + timeoutMs;
	while (!condition() && Date.now() < until) await sleep(20);
}

main().then(
	(code) => {
		process.exitCode = code;
	},
	(error: unknown) => {
		console.error('soak: crashed', error);
		process.exitCode = 1;
	},
);
