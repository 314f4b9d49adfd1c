/** Timing, CPU, memory and latency collection shared by every scenario. */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';

export interface Range {
	median: number;
	min: number;
	max: number;
}

/** Collects per-request latencies of the scenario that is running. */
export interface LatencyLog {
	record: (ms: number) => void;
}

export interface Sample {
	elapsedMs: number;
	cpuMs: number;
	peakRssBytes: number;
	/** RSS when the run started, to tell this run's growth from what earlier ones left. */
	startRssBytes: number;
	latencies: number[];
}

const RSS_SAMPLE_MS = 20;

export function percentile(values: number[], fraction: number): number {
	if (values.length === 0) return NaN;
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))];
}

/** The middle value; the mean of the two middle values for an even count. */
export function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function summarize(values: number[]): Range {
	return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** Runs `count` tasks, at most `concurrency` at once, in index order. */
export async function runPool(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
	let next = 0;
	const worker = async () => {
		while (next < count) await task(next++);
	};
	await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** Times one call for the latency log. */
export async function timed<T>(log: LatencyLog, run: () => Promise<T>): Promise<T> {
	const start = performance.now();
	const result = await run();
	log.record(performance.now() - start);
	return result;
}

/**
 * Latency of every undici request, from its creation to its last byte, read from undici's
 * diagnostics channels: the node's execute path gives no per-item timing of its own. Requests are
 * attributed to whichever log is current.
 */
export function watchUndiciRequests(): { use: (log: LatencyLog | undefined) => void; stop: () => void } {
	const started = new WeakMap<object, number>();
	let current: LatencyLog | undefined;
	const onCreate = (message: unknown) => {
		if (current) started.set((message as { request: object }).request, performance.now());
	};
	const onDone = (message: unknown) => {
		const start = started.get((message as { request: object }).request);
		if (start !== undefined && current) current.record(performance.now() - start);
	};
	subscribe('undici:request:create', onCreate);
	subscribe('undici:request:trailers', onDone);
	return {
		use: (log) => {
			current = log;
		},
		stop: () => {
			unsubscribe('undici:request:create', onCreate);
			unsubscribe('undici:request:trailers', onDone);
		},
	};
}

/**
 * Wall time, CPU time of this process (user + system, all threads) and peak RSS while `run` runs.
 * RSS is sampled every 20 ms and at the end; it includes whatever earlier scenarios left behind.
 */
export async function sample(run: (log: LatencyLog) => Promise<void>): Promise<Sample> {
	const latencies: number[] = [];
	const startRssBytes = process.memoryUsage.rss();
	let peakRssBytes = startRssBytes;
	const sampler = setInterval(() => {
		peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss());
	}, RSS_SAMPLE_MS);
	const cpuBefore = process.cpuUsage();
	const start = performance.now();
	try {
		await run({ record: (ms) => latencies.push(ms) });
	} finally {
		clearInterval(sampler);
	}
	const elapsedMs = performance.now() - start;
	const cpu = process.cpuUsage(cpuBefore);
	peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss());
	return { elapsedMs, cpuMs: (cpu.user + cpu.system) / 1000, peakRssBytes, startRssBytes, latencies };
}

/**
 * The run order of round `roundNumber` (from 1) for items listed in compared pairs (a, b, c, d…):
 * every other round swaps each pair, so neither side always runs first, e.g. right after the
 * other's garbage. An unpaired last item keeps its place.
 */
export function interleave<T>(roundNumber: number, items: T[]): T[] {
	if (roundNumber % 2 === 1) return items;
	return items.map((_, index) => items[index % 2 === 0 ? index + 1 : index - 1] ?? items[index]);
}
