/**
 * `npm run bench`: prints how fast the node's execute path is next to a bare undici Agent (the
 * limit) and to what n8n's built-in HTTP Request node does with a client certificate (the peer).
 * A figure-printing script, not a test: missed targets are reported, errors exit non-zero.
 *
 * Part 4 then runs the same items through our node and n8n's own HTTP Request node inside the
 * n8n that scripts/ensure-n8n.sh installs (bench/insideN8n.ts).
 *
 * Environment: BENCH_ROUNDS (default 5), BENCH_N (requests per single execution and items per n8n
 * execution, default 1000), BENCH_N8N (0: skip part 4; 1: require it; unset: run it when n8n is
 * installed), BENCH_N8N_ROUNDS (default 3).
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { createStandardPki, StandardPki } from '../test/fixtures/pki';
import { interleave, percentile, Range, sample, summarize, watchUndiciRequests } from './measure';
import { loadPeerClient } from './peer';
import { BenchReport, collectFacts, formatReport, RatioResult, round, RoundMetrics, ScenarioResult, SetupResult, writeResults } from './report';
import { n8nWanted, N8nPart, N8nSkipped, runInsideN8n } from './insideN8n';
import { runExecution } from './node';
import { startTokenEndpoint, withOAuth } from './oauth';
import { createScenarios, Scenario, ScenarioKey, Target, Workload } from './scenarios';
import { ServerProcess, startServerProcess } from './serverProcess';
import type { ServerStats } from './server';
import { measureSetup, SetupTimes } from './setup';

const RESULTS_DIR = join(__dirname, '..', '..', 'bench', 'results');
const SETUP_COUNTS = { fresh: 40, cached: 400 };
const SETUP_TARGETS = { firstUse: 2, cached: 0.5 };
const WARM_UP_PASSES = 2;
const RATIOS: Array<{ label: string; of: ScenarioKey; over: ScenarioKey; target: number }> = [
	{ label: 'node / limit, sequential', of: 'node-seq', over: 'limit-seq', target: 0.8 },
	{ label: 'node / limit, concurrent', of: 'node-conc', over: 'limit-conc', target: 0.8 },
	{ label: 'node / peer, sequential', of: 'node-seq', over: 'peer-seq', target: 10 },
	{ label: 'node / peer, concurrent', of: 'node-conc', over: 'peer-conc', target: 10 },
	{ label: 'small executions: node / peer', of: 'small-node', over: 'small-peer', target: 5 },
	{ label: 'node with OAuth / without, concurrent', of: 'node-oauth', over: 'node-plain', target: 0.95 },
];

const N8N_NOTES = [
	'Inside n8n (part 4): items/s = items / the request node\'s executionTime, which n8n records in the execution\'s run data and execute-batch --snapshot writes out; "execution ms" is the execution\'s stoppedAt − startedAt (trigger, Set, Split Out, request node). All workflows run one after another in one n8n process; a warm-up round (HTTP Request with 100 items only) is discarded; each round runs the compared pairs in turn (A B, then B A), ratios are per round.',
	'Inside n8n, handshakes are counted by the server per workflow (?run=<workflow id>; a connection belongs to the run of its first request); n8n runs on Node 24 and the server on this Node.',
	'HTTP Request V3 starts every item at once without batching (and with a 0 ms interval); its batching only pauses between starts when the interval is > 0 and never waits for a response, so "batch size 1, 1 ms interval" paces the starts rather than sending one at a time.',
];

type UndiciProbe = ReturnType<typeof watchUndiciRequests>;

function readPositiveInt(name: string, fallback: number): number {
	const text = process.env[name];
	if (text === undefined || text === '') return fallback;
	const value = Number(text);
	if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
	return value;
}

function readWorkload(): Workload & { rounds: number; n8nRounds: number } {
	return { rounds: readPositiveInt('BENCH_ROUNDS', 5), n8nRounds: readPositiveInt('BENCH_N8N_ROUNDS', 3), requests: readPositiveInt('BENCH_N', 1000), concurrency: 10, smallExecutions: 100, smallItems: 10 };
}

function describeTarget(origin: string, pki: StandardPki): Omit<Target, 'peer'> {
	const { clientEc, passphrase, bundleEc, ca } = pki;
	// bundleEc is the encrypted key followed by its certificate: the same key PEM for everyone.
	const key = bundleEc.slice(0, bundleEc.indexOf('-----BEGIN CERTIFICATE-----'));
	return {
		url: new URL('/v1/accounts/ACC-0042', origin),
		tls: { key, cert: clientEc.certPem, passphrase, ca: ca.certPem },
		credential: { certificateBundle: bundleEc, passphrase, caCertificates: ca.certPem },
		certificates: { key, cert: clientEc.certPem, passphrase, ca: ca.certPem },
	};
}

/**
 * One measured run of one scenario, with the server's handshake counts around it.
 *
 * @throws Error when the server did not receive exactly the scenario's requests, or a request went untimed
 */
async function measureScenario(scenario: Scenario, server: ServerProcess, probe: UndiciProbe): Promise<RoundMetrics> {
	const before = await server.stats();
	const measured = await sample(async (log) => {
		probe.use(scenario.timing === 'undici' ? log : undefined);
		try {
			await scenario.run(log);
		} finally {
			probe.use(undefined);
		}
	});
	const seen = difference(await server.stats(), before);
	if (seen.requests !== scenario.requests) throw new Error(`${scenario.label}: the server saw ${seen.requests} requests, expected ${scenario.requests}`);
	if (measured.latencies.length !== scenario.requests) throw new Error(`${scenario.label}: ${measured.latencies.length} latencies recorded for ${scenario.requests} requests`);
	return {
		requestsPerSecond: scenario.requests / (measured.elapsedMs / 1000),
		p50Ms: percentile(measured.latencies, 0.5),
		p99Ms: percentile(measured.latencies, 0.99),
		cpuMsPerRequest: measured.cpuMs / scenario.requests,
		handshakesPerExecution: seen.handshakes / scenario.executions,
		resumedPerExecution: seen.resumed / scenario.executions,
		peakRssMb: measured.peakRssBytes / 1024 ** 2,
		rssGrowthMb: (measured.peakRssBytes - measured.startRssBytes) / 1024 ** 2,
	};
}

function difference(after: ServerStats, before: ServerStats): Omit<ServerStats, 'runs'> {
	return {
		handshakes: after.handshakes - before.handshakes,
		resumed: after.resumed - before.resumed,
		requests: after.requests - before.requests,
		openConnections: after.openConnections,
	};
}

function summarizeMetrics(rounds: RoundMetrics[]): Record<keyof RoundMetrics, Range> {
	const keys = Object.keys(rounds[0]) as Array<keyof RoundMetrics>;
	return Object.fromEntries(keys.map((key) => [key, summarize(rounds.map((metrics) => metrics[key]))])) as Record<keyof RoundMetrics, Range>;
}

function summarizeSetup(rounds: SetupTimes[]): SetupResult {
	const keys = Object.keys(rounds[0]) as Array<keyof SetupTimes>;
	const summary = Object.fromEntries(keys.map((key) => [key, summarize(rounds.map((times) => times[key]))])) as Record<keyof SetupTimes, Range>;
	return { rounds, summary, targets: SETUP_TARGETS, met: { firstUse: summary.firstUse.median <= SETUP_TARGETS.firstUse, cached: summary.cached.median <= SETUP_TARGETS.cached } };
}

/** Per-round throughput ratios: each round ran both scenarios back to back on the same machine state. */
function computeRatios(results: ScenarioResult[]): RatioResult[] {
	const byKey = new Map(results.map((result) => [result.key, result]));
	return RATIOS.map(({ label, of, over, target }) => {
		const a = byKey.get(of)?.rounds ?? [];
		const b = byKey.get(over)?.rounds ?? [];
		const range = summarize(a.map((metrics, index) => metrics.requestsPerSecond / b[index].requestsPerSecond));
		return { label, range, target, met: range.median >= target };
	});
}

/** The metrics as stored in the report, rounded. */
function roundMetrics(metrics: RoundMetrics): RoundMetrics {
	return Object.fromEntries(Object.entries(metrics).map(([key, value]) => [key, round(value, 4)])) as unknown as RoundMetrics;
}

/**
 * V8 needs a few thousand requests before undici's and our hot paths run optimized code; without
 * this the first rounds measure the JIT. The handshake-bound peer needs only a taste.
 */
async function warmUp(target: Target, work: Workload, server: ServerProcess, probe: UndiciProbe): Promise<void> {
	const full = createScenarios(target, work);
	const light = createScenarios(target, { ...work, requests: Math.min(work.requests, 50), smallExecutions: 5 });
	for (let pass = 0; pass < WARM_UP_PASSES; pass++) {
		for (const [index, scenario] of full.entries()) await measureScenario(scenario.timing === 'undici' ? scenario : light[index], server, probe);
	}
	measureSetup(target.credential, { fresh: 5, cached: 50 });
}

function collectNotes(report: Pick<BenchReport, 'peer' | 'n8n'>): string[] {
	const notes = [
		'Latency: undici scenarios (limit, node) from undici:request:create to undici:request:trailers (diagnostics channels); the peer around each call, including its new Agent and handshake.',
		'CPU ms/req: process.cpuUsage() of the client process only; the server runs in a child process. Peak RSS: sampled every 20 ms, median over rounds, with its growth during the scenario in brackets; the peak includes what earlier scenarios left (the peer builds a TLS secure context per request, whose native memory lingers until V8 collects it).',
		'Rounds run the compared pairs in turn (A B, then B A in even rounds); ratios are per round, then summarized. Set-up cost is measured after the rounds.',
		'Node scenarios drive MtlsHttpRequest.execute with a stand-in IExecuteFunctions (bench/node.ts); real n8n adds its expression engine and credential decryption per item/execution.',
		'peer concurrent is bounded to 10 in flight; n8n\'s HTTP Request node without batching starts all items at once.',
		'Handshakes are counted by the server (secureConnection, isSessionReused()); the node keeps TLS sessions in the process-wide store across executions and rounds, as in n8n.',
	];
	if (!('skipped' in report.n8n)) notes.push(...N8N_NOTES);
	if (!report.peer.faithful) notes.unshift('axios from the n8n installation was not found: the peer is APPROXIMATED with node:https and a new Agent per request.');
	return notes;
}

/** Every scenario once per round, the compared pairs interleaved; per-scenario metrics in round order. */
async function runRounds(scenarios: Scenario[], rounds: number, server: ServerProcess, probe: UndiciProbe): Promise<Map<ScenarioKey, RoundMetrics[]>> {
	const results = new Map<ScenarioKey, RoundMetrics[]>(scenarios.map((scenario) => [scenario.key, []]));
	for (let index = 1; index <= rounds; index++) {
		const roundStart = performance.now();
		for (const scenario of interleave(index, scenarios)) results.get(scenario.key)?.push(roundMetrics(await measureScenario(scenario, server, probe)));
		console.log(`round ${index}/${rounds}: ${((performance.now() - roundStart) / 1000).toFixed(1)} s`);
	}
	return results;
}

function toScenarioResults(scenarios: Scenario[], rounds: Map<ScenarioKey, RoundMetrics[]>): ScenarioResult[] {
	return scenarios.map(({ key, label, requests, executions }) => {
		const measured = rounds.get(key) ?? [];
		return { key, label, requests, executions, rounds: measured, summary: summarizeMetrics(measured) };
	});
}

/**
 * Runs the whole benchmark against a started server and returns the report.
 *
 * @throws Error when a scenario fails or the server saw other requests than were sent
 */
async function runBench(pki: StandardPki, server: ServerProcess, work: Workload & { rounds: number }, probe: UndiciProbe): Promise<Omit<BenchReport, 'date' | 'durationS' | 'facts' | 'n8n' | 'notes'>> {
	const peer = loadPeerClient();
	const tokens = await startTokenEndpoint(pki);
	const base = describeTarget(server.origin, pki);
	const target: Target = { ...base, peer, oauthCredential: withOAuth(base.credential, tokens.url) };
	console.log(`server ${server.origin} (child process); peer: ${peer.description}`);
	let results: ScenarioResult[];
	try {
		// The token is fetched once here, outside the timed runs, as a schedule's first execution would.
		await runExecution({ url: base.url.href, items: 1, sequential: true, credential: target.oauthCredential as Target['credential'] });
		await warmUp(target, work, server, probe);
		const scenarios = createScenarios(target, work);
		results = toScenarioResults(scenarios, await runRounds(scenarios, work.rounds, server, probe));
		if (tokens.requests() !== 1) throw new Error(`OAuth: ${tokens.requests()} token requests, expected 1 for the whole benchmark`);
	} finally {
		await tokens.close();
	}
	// After the requests: each fresh load leaves about 1 MB of native TLS memory that V8 does not
	// see, which would inflate the RSS figures of the scenarios that follow.
	const setupRounds = Array.from({ length: work.rounds }, () => measureSetup(target.credential, SETUP_COUNTS));
	const peerInfo = { client: peer.description, faithful: peer.faithful };
	return {
		config: { rounds: work.rounds, requests: work.requests, concurrency: work.concurrency, smallExecutions: work.smallExecutions, smallItems: work.smallItems },
		peer: peerInfo,
		scenarios: results,
		ratios: computeRatios(results),
		setup: summarizeSetup(setupRounds),
	};
}

/**
 * Part 4, after everything else so that n8n's processes do not share the CPU with the rounds.
 *
 * @throws Error when a workflow fails inside n8n
 */
async function runPart4(wanted: ReturnType<typeof n8nWanted>, pki: StandardPki, server: ServerProcess, work: Workload & { n8nRounds: number }): Promise<N8nPart | N8nSkipped> {
	if (!wanted.run) {
		console.log(`part 4 (inside n8n): ${wanted.reason}`);
		return { skipped: wanted.reason };
	}
	return runInsideN8n(describeTarget(server.origin, pki), server.stats, { items: work.requests, rounds: work.n8nRounds });
}

async function main(): Promise<void> {
	const started = performance.now();
	const loadAtStart = loadavg()[0];
	const work = readWorkload();
	const wanted = n8nWanted();
	const pki = createStandardPki();
	const probe = watchUndiciRequests();
	let server: ServerProcess | undefined;
	try {
		server = await startServerProcess({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.ca.certPem });
		const measured = await runBench(pki, server, work, probe);
		const n8n = await runPart4(wanted, pki, server, work);
		const notes = collectNotes({ peer: measured.peer, n8n });
		const report: BenchReport = { date: new Date().toISOString(), durationS: round((performance.now() - started) / 1000, 1), facts: collectFacts(loadAtStart), ...measured, n8n, notes };
		console.log(`\n${formatReport(report)}`);
		writeResults(RESULTS_DIR, report);
		console.log(`\nwritten: ${join(RESULTS_DIR, 'latest.json')}, ${join(RESULTS_DIR, 'latest.md')}`);
	} finally {
		probe.stop();
		await server?.stop();
		pki.pki.cleanup();
	}
}

main().catch((error: unknown) => {
	console.error('bench failed:', error);
	process.exitCode = 1;
});
