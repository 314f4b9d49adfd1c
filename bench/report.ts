/** Turns round results into the printed table and bench/results/latest.{json,md}. */
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { arch, availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os';
import { join } from 'node:path';

import type { N8nPart, N8nSkipped } from './insideN8n';
import type { Range } from './measure';
import type { ScenarioKey } from './scenarios';
import type { SetupTimes } from './setup';

export interface RoundMetrics {
	requestsPerSecond: number;
	p50Ms: number;
	p99Ms: number;
	cpuMsPerRequest: number;
	handshakesPerExecution: number;
	resumedPerExecution: number;
	peakRssMb: number;
	/** Peak RSS minus RSS at the scenario's start. */
	rssGrowthMb: number;
}

export interface ScenarioResult {
	key: ScenarioKey;
	label: string;
	requests: number;
	executions: number;
	rounds: RoundMetrics[];
	summary: Record<keyof RoundMetrics, Range>;
}

export interface RatioResult {
	label: string;
	/** Throughput of the first scenario over the second, per round, then summarized. */
	range: Range;
	target: number;
	met: boolean;
}

export interface SetupResult {
	rounds: SetupTimes[];
	summary: Record<keyof SetupTimes, Range>;
	targets: { firstUse: number; cached: number };
	met: { firstUse: boolean; cached: boolean };
}

export interface MachineFacts {
	node: string;
	openssl: string;
	undici: string;
	cpu: string;
	cores: number;
	availableParallelism: number;
	totalMemoryGb: number;
	os: string;
	/** Extra trusted CAs: they enlarge the default store each secure context starts from. */
	nodeExtraCaCerts: string | null;
	/** 1-minute load average when the run started and when it ended: other work skews the figures. */
	loadAverage: { start: number; end: number };
}

export interface BenchReport {
	date: string;
	durationS: number;
	facts: MachineFacts;
	config: { rounds: number; requests: number; concurrency: number; smallExecutions: number; smallItems: number };
	peer: { client: string; faithful: boolean };
	scenarios: ScenarioResult[];
	ratios: RatioResult[];
	setup: SetupResult;
	/** Part 4: inside a real n8n, or why it did not run. */
	n8n: N8nPart | N8nSkipped;
	notes: string[];
}

/** @param loadAtStart os.loadavg()[0] when the run started */
export function collectFacts(loadAtStart: number): MachineFacts {
	const undici = JSON.parse(readFileSync(require.resolve('undici/package.json'), 'utf8')) as { version: string };
	return {
		node: process.version,
		openssl: process.versions.openssl,
		undici: undici.version,
		cpu: cpus()[0]?.model ?? 'unknown',
		cores: cpus().length,
		availableParallelism: availableParallelism(),
		totalMemoryGb: round(totalmem() / 1024 ** 3, 1),
		os: `${type()} ${release()} ${arch()}`,
		nodeExtraCaCerts: process.env.NODE_EXTRA_CA_CERTS || null,
		loadAverage: { start: round(loadAtStart, 2), end: round(loadavg()[0], 2) },
	};
}

export function round(value: number, digits: number): number {
	const factor = 10 ** digits;
	return Math.round(value * factor) / factor;
}

function fixed(value: number, digits: number): string {
	return Number.isFinite(value) ? value.toFixed(digits) : '–';
}

function spread(range: Range, digits: number, unit = ''): string {
	return `${fixed(range.median, digits)}${unit} (${fixed(range.min, digits)}–${fixed(range.max, digits)})`;
}

const HEADERS = ['scenario', 'req/s median (min–max)', 'p50 ms', 'p99 ms', 'CPU ms/req', 'TLS handshakes/exec (resumed)', 'peak RSS MB (growth)'];

function tableRows(scenarios: ScenarioResult[]): string[][] {
	return scenarios.map(({ label, summary }) => [
		label,
		spread(summary.requestsPerSecond, 0),
		fixed(summary.p50Ms.median, 2),
		fixed(summary.p99Ms.median, 2),
		fixed(summary.cpuMsPerRequest.median, 3),
		`${fixed(summary.handshakesPerExecution.median, 2)} (${fixed(summary.resumedPerExecution.median, 2)})`,
		`${fixed(summary.peakRssMb.median, 0)} (+${fixed(summary.rssGrowthMb.median, 0)})`,
	]);
}

function ratioRows(ratios: RatioResult[]): string[][] {
	return ratios.map((ratio) => [ratio.label, spread(ratio.range, 2, '×'), `≥ ${ratio.target}×`, ratio.met ? 'met' : 'MISSED']);
}

function setupRows(setup: SetupResult): string[][] {
	const { summary, targets, met } = setup;
	return [
		['first use: loadMaterial, every field', spread(summary.firstUse, 3), `≤ ${targets.firstUse} ms`, met.firstUse ? 'met' : 'MISSED'],
		['first use without "CA Certificates"', spread(summary.firstUseWithoutCa, 3), '', ''],
		['cached: MaterialCache.load hit', spread(summary.cached, 4), `≤ ${targets.cached} ms`, met.cached ? 'met' : 'MISSED'],
		['cached: selectMaterial (node per execution)', spread(summary.selectCached, 4), '', ''],
	];
}

const N8N_HEADERS = ['inside n8n: 1 execution', 'items/s median (min–max)', 'node ms', 'execution ms', 'TLS handshakes/exec (resumed)'];

function n8nRows(part: N8nPart): string[][] {
	return part.scenarios.map(({ label, summary }) => [
		label,
		spread(summary.itemsPerSecond, 0),
		fixed(summary.nodeMs.median, 0),
		fixed(summary.executionMs.median, 0),
		`${fixed(summary.handshakesPerExecution.median, 0)} (${fixed(summary.resumedPerExecution.median, 0)})`,
	]);
}

function n8nLine(part: N8nPart): string {
	const { config, durationS } = part;
	return `n8n ${config.n8n} on Node ${config.node}, HTTP Request ${config.httpRequestTypeVersion}: ${config.items} items per execution, ${config.rounds} interleaved rounds after a warm-up, all in one execute-batch process (${fixed(durationS.batch, 1)} s; preparing n8n ${fixed(durationS.prepare, 1)} s)`;
}

/** Part 4's lines: its facts, its table and its ratios, or why it was skipped. */
function n8nSection(part: N8nPart | N8nSkipped, table: (headers: string[], rows: string[][]) => string): string[] {
	if ('skipped' in part) return [`inside n8n: ${part.skipped}`];
	return [
		n8nLine(part),
		'',
		table(N8N_HEADERS, n8nRows(part)),
		'',
		table(['ratio inside n8n (items/s)', 'median (min–max)', 'target', 'result'], ratioRows(part.ratios)),
	];
}

function alignTable(headers: string[], rows: string[][]): string {
	const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column].length)));
	const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
	return [line(headers), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

function markdownTable(headers: string[], rows: string[][]): string {
	return [`| ${headers.join(' | ')} |`, `|${headers.map((_, column) => (column === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

function factLines(report: BenchReport): string[] {
	const { facts, config } = report;
	return [
		`date ${report.date}, ${report.durationS} s; Node ${facts.node} (OpenSSL ${facts.openssl}), undici ${facts.undici}`,
		`${facts.cpu}, ${facts.cores} cores (available ${facts.availableParallelism}), ${facts.totalMemoryGb} GB, ${facts.os}`,
		`load average (1 min): ${facts.loadAverage.start} at start, ${facts.loadAverage.end} at end; NODE_EXTRA_CA_CERTS ${facts.nodeExtraCaCerts ?? 'unset'}`,
		`${config.rounds} interleaved rounds, ${config.requests} requests per single execution, ${config.concurrency} in flight, small executions ${config.smallExecutions} × ${config.smallItems}`,
		`peer: ${report.peer.client}${report.peer.faithful ? '' : ' — the peer is APPROXIMATED'}`,
	];
}

/** The text printed at the end of a run. */
export function formatReport(report: BenchReport): string {
	return [
		...factLines(report),
		'',
		alignTable(HEADERS, tableRows(report.scenarios)),
		'',
		alignTable(['ratio (throughput)', 'median (min–max)', 'target', ''], ratioRows(report.ratios)),
		'',
		alignTable(['set-up per execution', 'p50 ms median (min–max)', 'target', ''], setupRows(report.setup)),
		'',
		...n8nSection(report.n8n, alignTable),
		'',
		...report.notes.map((note) => `note: ${note}`),
	].join('\n');
}

function formatMarkdown(report: BenchReport): string {
	return [
		'# mTLS HTTP Request benchmark: latest run',
		'',
		'Written by `npm run bench` (bench/run.ts); overwritten on every run.',
		'',
		...factLines(report).map((line) => `- ${line}`),
		'',
		'## Scenarios',
		'',
		markdownTable(HEADERS, tableRows(report.scenarios)),
		'',
		'## Ratios',
		'',
		markdownTable(['ratio (throughput)', 'median (min–max)', 'target', 'result'], ratioRows(report.ratios)),
		'',
		'## Set-up cost',
		'',
		markdownTable(['set-up per execution', 'p50 ms median (min–max)', 'target', 'result'], setupRows(report.setup)),
		'',
		'## Inside n8n (part 4)',
		'',
		...n8nSection(report.n8n, markdownTable),
		'',
		'## Notes',
		'',
		...report.notes.map((note) => `- ${note}`),
		'',
	].join('\n');
}

/** Overwrites latest.json and latest.md in `dir`. */
export function writeResults(dir: string, report: BenchReport): void {
	mkdirSync(dir, { recursive: true });
	writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(report, null, '\t')}\n`);
	writeFileSync(join(dir, 'latest.md'), formatMarkdown(report));
}
