/**
 * Turns what each node produced and what reached the server into one comparable observation per
 * case and side, and lists the differences path by path. Only what legitimately varies between two
 * runs is normalised: the side prefix and port in URLs, dates and timestamps, multipart boundaries
 * (the parts are compared instead of the bytes), binary store ids.
 */
import { createHash } from 'node:crypto';

import type { Arrival, Part, Side } from './echoServer';
import type { Intended } from './intended';

export interface BinaryFacts {
	fileName?: string;
	mimeType?: string;
	fileExtension?: string;
	fileSize?: string;
	bytes?: number;
	sha256: string;
}

export interface Observation {
	status: string;
	error?: string;
	items: Array<{ json: unknown; binary?: Record<string, BinaryFacts>; pairedItem?: unknown }>;
	hints: string[];
	requests: Array<{ method: string; target: string; headers: Record<string, unknown>; body?: string; parts?: Part[]; peer: string | null }>;
}

export interface Difference {
	caseId: string;
	path: string;
	h: string | undefined;
	m: string | undefined;
}

export type Verdict = 'same' | 'intended' | 'unexpected';

export interface CaseResult {
	caseId: string;
	verdict: Verdict;
	differences: Array<Difference & { entry?: string }>;
}

export interface Report {
	cases: CaseResult[];
	/** Entries of the intended list that no difference needed. */
	stale: Intended[];
	/** How many differences each entry explained. */
	used: Map<string, number>;
}

/** Replaces what differs only because the two nodes use two prefixes of one server. */
export function normaliseText(text: string, caseId: string, port: number): string {
	const prefix = new RegExp(`/[hm]/${caseId.replace(/[^\w-]/g, '\\$&')}(?![\\w-])`, 'g');
	return text
		.replace(prefix, `/~/${caseId}`)
		.split(`:${port}`).join(':PORT')
		.replace(/\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\b/g, '<date>');
}

const VOLATILE_KEYS = new Set(['timestamp', 'date', 'keep-alive']);

export function normaliseValue(value: unknown, caseId: string, port: number): unknown {
	if (typeof value === 'string') return normaliseText(value, caseId, port);
	if (Array.isArray(value)) return value.map((entry) => normaliseValue(entry, caseId, port));
	if (value && typeof value === 'object') {
		const out: Record<string, unknown> = {};
		for (const [key, entry] of Object.entries(value)) {
			out[key] = VOLATILE_KEYS.has(key.toLowerCase()) && entry !== undefined ? '<volatile>' : normaliseValue(entry, caseId, port);
		}
		return out;
	}
	return value;
}

/** The requests of one case and side; `sorted` when their order of arrival is not part of the behaviour. */
export function requestsOf(arrivals: Arrival[], side: Side, caseId: string, port: number, sorted: boolean): Observation['requests'] {
	const requests = arrivals.filter((arrival) => arrival.side === side && arrival.caseId === caseId).map((arrival) => {
		const headers: Record<string, unknown> = { ...arrival.headers };
		const multipart = Boolean(arrival.parts);
		if (multipart) {
			headers['content-type'] = String(headers['content-type']).replace(/boundary=.*$/, 'boundary=<boundary>');
			delete headers['content-length'];
		}
		const text = arrival.body.toString('utf8');
		const body = multipart ? undefined : Buffer.from(text, 'utf8').equals(arrival.body) ? text : `base64:${arrival.body.toString('base64')}`;
		return {
			method: arrival.method,
			target: arrival.target,
			headers: normaliseValue(headers, caseId, port) as Record<string, unknown>,
			...(body ? { body } : {}),
			...(arrival.parts ? { parts: arrival.parts } : {}),
			peer: arrival.peer,
		};
	});
	if (!sorted) return requests;
	const key = (request: Observation['requests'][number]) => JSON.stringify([request.target, request.body ?? '', request.parts ?? [], Object.entries(request.headers).sort()]);
	return requests.sort((a, b) => key(a).localeCompare(key(b)));
}

export function binaryFacts(ref: { fileName?: string; mimeType?: string; fileExtension?: string; fileSize?: string; bytes?: number }, content: Buffer): BinaryFacts {
	const { fileName, mimeType, fileExtension, fileSize, bytes } = ref;
	return { fileName, mimeType, fileExtension, fileSize, bytes, sha256: createHash('sha256').update(content).digest('hex').slice(0, 16) };
}

/** Every leaf of a JSON-like value under its path, e.g. `items[0].json.error.message`. */
export function flatten(value: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
	if (Array.isArray(value) && value.length) {
		value.forEach((entry, index) => flatten(entry, `${prefix}[${index}]`, out));
	} else if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length) {
		for (const key of Object.keys(value).sort()) {
			const entry = (value as Record<string, unknown>)[key];
			if (entry !== undefined) flatten(entry, prefix ? `${prefix}.${key}` : key, out);
		}
	} else {
		out.set(prefix, JSON.stringify(value));
	}
	return out;
}

export function diff(caseId: string, h: Observation, m: Observation): Difference[] {
	const left = flatten(h);
	const right = flatten(m);
	const paths = [...new Set([...left.keys(), ...right.keys()])].sort();
	return paths.filter((path) => left.get(path) !== right.get(path)).map((path) => ({ caseId, path, h: left.get(path), m: right.get(path) }));
}

/** Sorts each case into same / intended / unexpected, and finds entries of the list nothing needed. */
export function classify(observed: Array<{ caseId: string; h: Observation; m: Observation }>, intended: Intended[]): Report {
	const used = new Map<string, number>(intended.map(({ id }) => [id, 0]));
	const cases = observed.map(({ caseId, h, m }) => {
		const differences = diff(caseId, h, m).map((difference) => {
			const entry = intended.find(({ cases, paths }) => cases.test(caseId) && paths.test(difference.path));
			if (entry) used.set(entry.id, (used.get(entry.id) ?? 0) + 1);
			return { ...difference, entry: entry?.id };
		});
		const connectionOnly = differences.every(({ entry }) => intended.find(({ id }) => id === entry)?.connection);
		const verdict: Verdict = connectionOnly ? 'same' : differences.every(({ entry }) => entry) ? 'intended' : 'unexpected';
		return { caseId, verdict, differences };
	});
	return { cases, stale: intended.filter(({ id }) => !used.get(id)), used };
}

function clip(text: string | undefined, width = 160): string {
	if (text === undefined) return '(absent)';
	return text.length > width ? `${text.slice(0, width)}…` : text;
}

/** A readable report: the summary line first, then what is unexpected and what is stale. */
export function formatReport(report: Report, intended: Intended[], verbose = false): string {
	const count = (verdict: Verdict) => report.cases.filter((result) => result.verdict === verdict).length;
	const defects = new Set(intended.filter(({ kind }) => kind === 'defect').map(({ id }) => id));
	const withDefect = report.cases.filter(({ differences }) => differences.some(({ entry }) => entry && defects.has(entry))).length;
	const connection = intended.filter((entry) => entry.connection).map(({ id }) => id).join(', ');
	const lines = [
		`parity: ${report.cases.length} cases, ${count('same')} same, ${count('intended')} intended differences, ${count('unexpected')} unexpected`,
		`  ("same": nothing differs but the connection handling of every request (${connection}); ${withDefect} cases show a known defect)`,
	];
	for (const entry of intended) {
		const cases = report.cases.filter(({ differences }) => differences.some((d) => d.entry === entry.id)).map(({ caseId }) => caseId);
		lines.push(`  [${entry.kind}] ${entry.id}: ${report.used.get(entry.id) ?? 0} differences in ${cases.length} cases${verbose ? ` (${cases.join(', ')})` : ''}`);
	}
	for (const result of report.cases) {
		const shown = result.differences.filter((d) => verbose || !d.entry);
		if (!shown.length) continue;
		lines.push(`${result.verdict === 'unexpected' ? 'UNEXPECTED' : 'intended'} ${result.caseId}:`);
		for (const d of shown) lines.push(`    ${d.path}${d.entry ? ` [${d.entry}]` : ''}\n      http: ${clip(d.h)}\n      ours: ${clip(d.m)}`);
	}
	for (const entry of report.stale) lines.push(`STALE intended entry ${entry.id}: no case differs this way any more (${entry.reason.slice(0, 80)}…)`);
	return lines.join('\n');
}
