/**
 * The written table of expected outcomes (test/corpus/expected.json): for every corpus file, the
 * openssl CLI's verdict, ours, and how the two relate. Outcomes that differ by Node.js version (its
 * OpenSSL: 3.0 in Node 20, 3.5 in Node 24) are kept as "node24" overrides of the Node 20 entry.
 */
import { readFileSync, writeFileSync } from 'node:fs';

import type { OpensslVerdict } from './oracle';

/** "accept", "refuse:<our error code>", or "crash:<error name>" for anything that is not our error. */
export type OurVerdict = string;

export type AgreementClass =
	/** Both accept. */
	| 'agree-accept'
	/** Both refuse; we name the problem with a code. */
	| 'agree-refuse'
	/** We differ from openssl on purpose; `reason` says why. */
	| 'intended-difference'
	/** We differ from openssl and should not; `reason` names the issue point that fixes it. */
	| 'known-disagreement'
	/** Written by UPDATE_CORPUS=1 for a new difference: a person must classify it. */
	| 'needs-review';

export interface Expectation {
	openssl: OpensslVerdict;
	ours: OurVerdict;
	class: AgreementClass;
	reason?: string;
}

export interface Entry extends Expectation {
	producer: string;
	password: string | null;
	/** What differs on another Node.js major, e.g. "node24". */
	[override: `node${number}`]: Partial<Expectation> | undefined;
}

export type Table = Record<string, Entry>;

export interface Outcome {
	id: string;
	producer: string;
	password?: string;
	openssl: OpensslVerdict;
	ours: OurVerdict;
}

/** The Node.js major the base entries describe; other majors are overrides. */
export const BASE_NODE = 20;

export function readTable(path: string): Table {
	try {
		return JSON.parse(readFileSync(path, 'utf8')).vectors as Table;
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
		throw error;
	}
}

export function expectationFor(entry: Entry | undefined, major: number): Expectation | undefined {
	if (!entry) return undefined;
	const base: Expectation = { openssl: entry.openssl, ours: entry.ours, class: entry.class, reason: entry.reason };
	return major === BASE_NODE ? base : { ...base, ...(entry[`node${major}`] ?? {}) };
}

/** Agreement follows from the two verdicts; only a difference needs a person's judgement. */
export function agreementOf(openssl: OpensslVerdict, ours: OurVerdict): 'agree-accept' | 'agree-refuse' | undefined {
	const usable = openssl === 'accept' || openssl === 'accept-legacy';
	if (usable && ours === 'accept') return 'agree-accept';
	if (!usable && ours.startsWith('refuse:')) return 'agree-refuse';
	return undefined;
}

/** Why the outcome does not match the table, or undefined when it does. */
export function mismatch(outcome: Outcome, expected: Expectation | undefined): string | undefined {
	if (!expected) return `no entry in the table (openssl: ${outcome.openssl}, ours: ${outcome.ours})`;
	const changes: string[] = [];
	if (expected.openssl !== outcome.openssl) changes.push(`openssl: table says ${expected.openssl}, now ${outcome.openssl}`);
	if (expected.ours !== outcome.ours) changes.push(`ours: table says ${expected.ours}, now ${outcome.ours}`);
	if (changes.length) return changes.join('; ');
	const agreement = agreementOf(outcome.openssl, outcome.ours);
	if (expected.class === 'needs-review') return `outcome ${outcome.ours} vs openssl ${outcome.openssl} is not classified yet (class "needs-review")`;
	if (agreement && expected.class !== agreement) return `class is "${expected.class}" but the verdicts agree (${agreement})`;
	if (!agreement && (expected.class === 'agree-accept' || expected.class === 'agree-refuse')) return `class is "${expected.class}" but the verdicts differ`;
	if (!agreement && !expected.reason) return `class "${expected.class}" needs a reason`;
	return undefined;
}

/**
 * The table rewritten from this run's outcomes on Node `major`: agreements are classified by
 * themselves, an unchanged difference keeps its class and reason, a new one becomes "needs-review".
 */
export function updateTable(table: Table, outcomes: Outcome[], major: number): Table {
	const next: Table = {};
	for (const outcome of outcomes) {
		const previous = table[outcome.id];
		const expectation = classify(outcome, [expectationFor(previous, major), expectationFor(previous, BASE_NODE)]);
		let entry: Entry;
		if (major === BASE_NODE || !previous) {
			entry = { producer: outcome.producer, password: outcome.password ?? null, ...expectation };
			for (const key of Object.keys(previous ?? {})) if (/^node\d+$/.test(key)) entry[key as `node${number}`] = previous[key as `node${number}`];
		} else {
			entry = { ...previous, producer: outcome.producer, password: outcome.password ?? null };
			const override = differences(previous, expectation);
			if (override) entry[`node${major}`] = override;
			else delete entry[`node${major}`];
		}
		for (const key of Object.keys(entry)) {
			if (/^node\d+$/.test(key) && !differences(entry, { ...entry, ...entry[key as `node${number}`] })) delete entry[key as `node${number}`];
		}
		next[outcome.id] = entry;
	}
	return next;
}

/**
 * `candidates`: this major's expectation, then the base one; a difference either already classified
 * (Node 24 behaving like Node 20 again, say) keeps that class and reason.
 */
function classify(outcome: Outcome, candidates: Array<Expectation | undefined>): Expectation {
	const agreement = agreementOf(outcome.openssl, outcome.ours);
	if (agreement) return { openssl: outcome.openssl, ours: outcome.ours, class: agreement };
	const known = candidates.find((candidate) => {
		if (!candidate || candidate.openssl !== outcome.openssl || candidate.ours !== outcome.ours) return false;
		return candidate.class === 'intended-difference' || candidate.class === 'known-disagreement';
	});
	if (known) return { openssl: outcome.openssl, ours: outcome.ours, class: known.class, reason: known.reason };
	const previous = candidates[0];
	const was = previous ? `was: openssl ${previous.openssl}, ours ${previous.ours} (${previous.class})` : 'new vector';
	return { openssl: outcome.openssl, ours: outcome.ours, class: 'needs-review', reason: was };
}

function differences(base: Expectation, other: Expectation): Partial<Expectation> | undefined {
	const override: Partial<Expectation> = {};
	if (base.ours !== other.ours) override.ours = other.ours;
	if (base.class !== other.class) override.class = other.class;
	if ((base.reason ?? '') !== (other.reason ?? '')) override.reason = other.reason;
	return Object.keys(override).length ? override : undefined;
}

/** One line per vector, sorted, so the table reads as a table and diffs stay small. */
export function writeTable(path: string, table: Table, about: string[]): void {
	const lines = Object.keys(table)
		.sort()
		.map((id) => `\t\t${JSON.stringify(id)}: ${JSON.stringify(table[id])}`);
	writeFileSync(path, `{\n\t"about": ${JSON.stringify(about, null, '\t').replace(/\n/g, '\n\t')},\n\t"vectors": {\n${lines.join(',\n')}\n\t}\n}\n`);
}

export interface Counts {
	'agree-accept': number;
	'agree-refuse': number;
	'intended-difference': number;
	'known-disagreement': number;
	unexpected: number;
}

export function countOutcomes(outcomes: Outcome[], table: Table, major: number): Counts {
	const counts: Counts = { 'agree-accept': 0, 'agree-refuse': 0, 'intended-difference': 0, 'known-disagreement': 0, unexpected: 0 };
	for (const outcome of outcomes) {
		const expected = expectationFor(table[outcome.id], major);
		if (mismatch(outcome, expected) || !expected || expected.class === 'needs-review') counts.unexpected++;
		else counts[expected.class]++;
	}
	return counts;
}
