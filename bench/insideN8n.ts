/**
 * Part 4 of `npm run bench`: the same items through our node and through n8n's own HTTP Request
 * node ("SSL Certificates" credential), inside the real n8n that scripts/ensure-n8n.sh installs.
 *
 * Every workflow is Manual Trigger → Set (an array of N numbers) → Split Out (N items) → the
 * request node. All of them run in ONE `n8n execute-batch` process, one after another, a warm-up
 * round first, then interleaved rounds. Speed comes from the execution's own run data: the
 * `executionTime` n8n records for the request node (ITaskData, milliseconds), which execute-batch
 * writes into its --snapshot files. Each workflow sends `?run=<workflow id>`, so the benchmark
 * server counts its requests and handshakes apart from the others'.
 *
 * The harness stops a CLI call after 4 minutes: 1000 items × 3 rounds take about 40 s here.
 * The ratio targets are the standalone node / peer ones (bench/run.ts).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import {
	numberItems,
	linearWorkflow, mtlsNode, N8N_VERSION, NODE_VERSION, prepareN8n, resolvePaths, tail, MTLS_CREDENTIAL_TYPE,
	type CredentialJson, type N8n, type NodeJson, type WorkflowJson,
} from '../test/e2e/n8n';
import { interleave, Range, summarize } from './measure';
import { round, type RatioResult } from './report';
import type { Target } from './scenarios';
import type { RunCounts, ServerStats } from './server';

export type N8nScenarioKey = 'n8n-node-conc' | 'n8n-node-seq' | 'n8n-peer-all' | 'n8n-peer-paced';

export interface N8nPlan {
	items: number;
	rounds: number;
}

export interface N8nRoundMetrics {
	itemsPerSecond: number;
	/** The request node's executionTime. */
	nodeMs: number;
	/** stoppedAt − startedAt of the whole execution (trigger, Set, Split Out, request node). */
	executionMs: number;
	handshakesPerExecution: number;
	resumedPerExecution: number;
}

export interface N8nScenarioResult {
	key: N8nScenarioKey;
	label: string;
	items: number;
	rounds: N8nRoundMetrics[];
	summary: Record<keyof N8nRoundMetrics, Range>;
}

export interface N8nPart {
	config: { n8n: string; node: string; httpRequestTypeVersion: number; items: number; rounds: number; warmUpItems: Record<N8nScenarioKey, number> };
	/** Package install and imports, then the execute-batch process (start-up, warm-up, rounds). */
	durationS: { prepare: number; batch: number };
	scenarios: N8nScenarioResult[];
	ratios: RatioResult[];
	/** Workflow ids in the order n8n started them, to show the rounds were interleaved. */
	order: string[];
}

/** Why part 4 did not run, when it did not. */
export interface N8nSkipped {
	skipped: string;
}

interface N8nScenario {
	key: N8nScenarioKey;
	label: string;
	/** The request node, named REQUEST_NODE, calling `url`. */
	requestNode: (url: string) => NodeJson;
	/** Items of its warm-up run: the handshake-bound built-in node needs only a taste. */
	warmUpItems: (items: number) => number;
}

interface PlannedRun {
	id: string;
	scenario: N8nScenario;
	round: number;
	items: number;
}

/** What the snapshot and the server tell about one execution. */
interface ExecutionFacts {
	startedAt: number;
	executionMs: number;
	nodeMs: number;
	outputItems: number;
	counts: RunCounts;
}

/** The latest HTTP Request version in n8n 2.40.7 (its defaultVersion): what a user adds today. */
const HTTP_REQUEST_VERSION = 4.5;
const REQUEST_NODE = 'Request';
const SSL_CREDENTIAL_TYPE = 'httpSslAuth';
const CREDENTIAL_IDS = { node: 'mtlsBenchCred001', peer: 'mtlsBenchCred002' };
const RATIOS: Array<{ label: string; of: N8nScenarioKey; over: N8nScenarioKey; target: number }> = [
	{ label: 'node default / HTTP Request default', of: 'n8n-node-conc', over: 'n8n-peer-all', target: 10 },
	{ label: 'node batch size 1 / HTTP Request default', of: 'n8n-node-seq', over: 'n8n-peer-all', target: 10 },
	{ label: 'node batch size 1 / HTTP Request batch size 1, 1 ms', of: 'n8n-node-seq', over: 'n8n-peer-paced', target: 10 },
];

/** Whether part 4 runs: BENCH_N8N=0 skips it, 1 requires it, unset runs it when n8n is installed. */
export function n8nWanted(): { run: true } | { run: false; reason: string } {
	const setting = process.env.BENCH_N8N;
	if (setting === '0') return { run: false, reason: 'skipped: BENCH_N8N=0' };
	const installed = existsSync(resolvePaths().marker);
	if (setting === '1' && !installed) throw new Error('BENCH_N8N=1 but n8n is not installed: run `bash scripts/ensure-n8n.sh`');
	if (setting !== undefined && setting !== '' && setting !== '1') throw new Error(`BENCH_N8N must be 0 or 1, got ${JSON.stringify(setting)}`);
	return installed ? { run: true } : { run: false, reason: `skipped: n8n ${N8N_VERSION} is not installed (bash scripts/ensure-n8n.sh)` };
}

function createScenarios(credentials: Record<keyof typeof CREDENTIAL_IDS, CredentialJson>): N8nScenario[] {
	const ours = (options: Record<string, unknown>) => (url: string) => mtlsNode(REQUEST_NODE, credentials.node, { method: 'GET', url, options });
	const builtIn = (options: Record<string, unknown>) => (url: string): NodeJson => ({
		name: REQUEST_NODE,
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: HTTP_REQUEST_VERSION,
		parameters: { method: 'GET', url, provideSslCertificates: true, options },
		credentials: { [SSL_CREDENTIAL_TYPE]: { id: credentials.peer.id, name: credentials.peer.name } },
	});
	const all = (items: number) => items;
	const taste = (items: number) => Math.min(items, 100);
	// Compared pairs side by side: interleave() swaps each pair in every other round.
	return [
		{ key: 'n8n-node-conc', label: 'node, default batching', requestNode: ours({}), warmUpItems: all },
		{ key: 'n8n-peer-all', label: `HTTP Request ${HTTP_REQUEST_VERSION}, default (all items at once)`, requestNode: builtIn({}), warmUpItems: taste },
		{ key: 'n8n-node-seq', label: 'node, batch size 1', requestNode: ours({ batching: { batch: { batchSize: 1, batchInterval: 0 } } }), warmUpItems: all },
		// HTTP Request V3 pauses between batches only when batchInterval > 0 (with 0 it starts every
		// item at once, like its default), and never waits for a response: 1 ms is the least pacing.
		{ key: 'n8n-peer-paced', label: `HTTP Request ${HTTP_REQUEST_VERSION}, batch size 1, 1 ms interval`, requestNode: builtIn({ batching: { batch: { batchSize: 1, batchInterval: 1 } } }), warmUpItems: taste },
	];
}

/**
 * Round 0 is the warm-up. Ids sort in run order (execute-batch selects them without an ORDER BY)
 * and carry a digit and a letter, as execute-batch requires.
 */
function planRuns(scenarios: N8nScenario[], plan: N8nPlan): PlannedRun[] {
	const runs: PlannedRun[] = [];
	for (let roundNumber = 0; roundNumber <= plan.rounds; roundNumber++) {
		const ordered = roundNumber === 0 ? scenarios : interleave(roundNumber, scenarios);
		for (const scenario of ordered) {
			const items = roundNumber === 0 ? scenario.warmUpItems(plan.items) : plan.items;
			runs.push({ id: `mtlsBench4r${roundNumber}s${String(runs.length).padStart(3, '0')}`, scenario, round: roundNumber, items });
		}
	}
	return runs;
}

function toWorkflow(run: PlannedRun, origin: string): WorkflowJson {
	const url = `${origin}/v1/accounts/ACC-0042?run=${run.id}`;
	const name = `bench part 4: ${run.scenario.label}, round ${run.round}`;
	return linearWorkflow(run.id, name, [...numberItems(run.items), run.scenario.requestNode(url)]);
}

/**
 * Runs part 4 against the benchmark server and returns its figures.
 *
 * @throws Error when n8n cannot be prepared, a workflow fails, or the server saw other requests than the items
 */
export async function runInsideN8n(target: Omit<Target, 'peer'>, stats: () => Promise<ServerStats>, plan: N8nPlan): Promise<N8nPart> {
	const credentials = {
		node: { id: CREDENTIAL_IDS.node, name: 'bench partner (mTLS)', type: MTLS_CREDENTIAL_TYPE, data: { ...target.credential } },
		peer: { id: CREDENTIAL_IDS.peer, name: 'bench partner (SSL Certificates)', type: SSL_CREDENTIAL_TYPE, data: { ...target.certificates } },
	};
	const scenarios = createScenarios(credentials);
	const runs = planRuns(scenarios, plan);
	const prepareStart = performance.now();
	const n8n = await prepareN8n(Object.values(credentials), runs.map((run) => toWorkflow(run, target.url.origin)));
	const prepareS = (performance.now() - prepareStart) / 1000;
	try {
		console.log(`part 4: n8n ${N8N_VERSION} prepared in ${prepareS.toFixed(1)} s; ${runs.length} workflows in one execute-batch (${plan.rounds} rounds after a warm-up)`);
		const batchStart = performance.now();
		const facts = await executeBatch(n8n, runs, stats);
		const batchS = (performance.now() - batchStart) / 1000;
		console.log(`part 4: execute-batch took ${batchS.toFixed(1)} s`);
		const results = toResults(scenarios, runs, facts, plan);
		return {
			config: { n8n: N8N_VERSION, node: NODE_VERSION, httpRequestTypeVersion: HTTP_REQUEST_VERSION, items: plan.items, rounds: plan.rounds, warmUpItems: Object.fromEntries(scenarios.map((s) => [s.key, s.warmUpItems(plan.items)])) as Record<N8nScenarioKey, number> },
			durationS: { prepare: round(prepareS, 1), batch: round(batchS, 1) },
			scenarios: results,
			ratios: computeRatios(results),
			order: [...facts.entries()].sort(([, a], [, b]) => a.startedAt - b.startedAt).map(([id]) => id),
		};
	} finally {
		n8n.dispose();
	}
}

/**
 * One `n8n execute-batch` over every planned run. The harness's runWorkflows keeps only the
 * output items; the timing is in the same snapshot files, so they are read here.
 *
 * @throws Error when a workflow did not succeed, its request node is missing from the snapshot, or the
 *   server had counted one of its ids before
 */
async function executeBatch(n8n: N8n, runs: PlannedRun[], stats: () => Promise<ServerStats>): Promise<Map<string, ExecutionFacts>> {
	const before = (await stats()).runs;
	const counted = runs.filter((run) => run.id in before);
	if (counted.length) throw new Error(`part 4: the server already counted ${counted.map((run) => run.id).join(', ')}`);
	const dir = mkdtempSync(join(n8n.userFolder, 'bench-'));
	try {
		const summaryFile = join(dir, 'summary.json');
		const { output } = await n8n.cli(['execute-batch', `--ids=${runs.map((run) => run.id).join(',')}`, '--retries=0', `--output=${summaryFile}`, `--snapshot=${dir}`]);
		if (!existsSync(summaryFile)) throw new Error(`n8n execute-batch wrote no summary\n${tail(output)}`);
		const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as { executions: Array<{ workflowId: string; executionStatus: string; error?: string }> };
		const failed = summary.executions.filter((execution) => execution.executionStatus !== 'success');
		if (failed.length) throw new Error(`part 4: ${failed.map((e) => `${e.workflowId} ${e.executionStatus}: ${e.error}`).join('; ')}\n${tail(output)}`);
		const counts = (await stats()).runs;
		return new Map(runs.map((run) => [run.id, readFacts(join(dir, `${run.id}-snapshot.json`), counts[run.id])]));
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

interface Snapshot {
	startedAt: string;
	stoppedAt: string;
	data: { resultData: { runData: Record<string, Array<{ executionTime: number; data?: { main?: Array<unknown[] | null> } }>> } };
}

/**
 * @throws Error when the snapshot lacks the request node's run
 */
function readFacts(file: string, counts: RunCounts | undefined): ExecutionFacts {
	if (!existsSync(file)) throw new Error(`part 4: no snapshot ${file}`);
	const snapshot = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
	const task = snapshot.data.resultData.runData[REQUEST_NODE]?.[0];
	if (!task || typeof task.executionTime !== 'number') throw new Error(`part 4: ${file} has no executionTime for "${REQUEST_NODE}"`);
	const startedAt = Date.parse(snapshot.startedAt);
	return {
		startedAt,
		executionMs: Date.parse(snapshot.stoppedAt) - startedAt,
		nodeMs: task.executionTime,
		outputItems: task.data?.main?.[0]?.length ?? 0,
		counts: counts ?? { handshakes: 0, resumed: 0, requests: 0 },
	};
}

/**
 * @throws Error when a run's output or the server's request count differs from its items
 */
function toResults(scenarios: N8nScenario[], runs: PlannedRun[], facts: Map<string, ExecutionFacts>, plan: N8nPlan): N8nScenarioResult[] {
	for (const run of runs) {
		const fact = facts.get(run.id) as ExecutionFacts;
		if (fact.outputItems !== run.items) throw new Error(`part 4: ${run.id} (${run.scenario.label}) output ${fact.outputItems} items, expected ${run.items}`);
		if (fact.counts.requests !== run.items) throw new Error(`part 4: the server saw ${fact.counts.requests} requests from ${run.id} (${run.scenario.label}), expected ${run.items}`);
	}
	return scenarios.map(({ key, label }) => {
		const measured = runs.filter((run) => run.round > 0 && run.scenario.key === key).map((run) => toMetrics(facts.get(run.id) as ExecutionFacts, run.items));
		const keys = Object.keys(measured[0]) as Array<keyof N8nRoundMetrics>;
		const summary = Object.fromEntries(keys.map((name) => [name, summarize(measured.map((metrics) => metrics[name]))])) as Record<keyof N8nRoundMetrics, Range>;
		return { key, label, items: plan.items, rounds: measured, summary };
	});
}

function toMetrics(fact: ExecutionFacts, items: number): N8nRoundMetrics {
	return {
		itemsPerSecond: round(items / (fact.nodeMs / 1000), 1),
		nodeMs: fact.nodeMs,
		executionMs: fact.executionMs,
		handshakesPerExecution: fact.counts.handshakes,
		resumedPerExecution: fact.counts.resumed,
	};
}

/** Per-round ratios of items/s: each round ran both workflows back to back in the same process. */
function computeRatios(results: N8nScenarioResult[]): RatioResult[] {
	const byKey = new Map(results.map((result) => [result.key, result.rounds]));
	return RATIOS.map(({ label, of, over, target }) => {
		const a = byKey.get(of) ?? [];
		const b = byKey.get(over) ?? [];
		const range = summarize(a.map((metrics, index) => metrics.itemsPerSecond / b[index].itemsPerSecond));
		return { label, range, target, met: range.median >= target };
	});
}
