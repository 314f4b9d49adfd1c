/**
 * The real-world corpus against the openssl CLI: every PKCS#12 file and PEM private key of Debian's
 * python3-cryptography-vectors and the .p12 files of golang-sslmate-src-go-pkcs12-dev go through
 * loadMaterial with their documented passwords, and openssl judges the same file (test/corpus/oracle.ts). Each outcome must match the written table
 * test/corpus/expected.json: a new disagreement fails, and so does a fixed one whose entry is stale.
 *
 * After a deliberate change of the loader, rewrite the table from the actual outcomes:
 *   UPDATE_CORPUS=1 node --test .test-build/test/corpus.test.js            (Node 20: the base entries)
 *   UPDATE_CORPUS=1 <node 24> --test .test-build/test/corpus.test.js       (Node 24: its overrides)
 * Unchanged differences keep their class and reason; new ones are marked "needs-review" and fail
 * until a person classifies them as intended-difference or known-disagreement with a reason.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { MtlsError } from '../lib/errors';
import { loadMaterial } from '../lib/tls/material';
import { Judgement, Oracle } from './corpus/oracle';
import { BASE_NODE, countOutcomes, expectationFor, mismatch, Outcome, OurVerdict, readTable, Table, updateTable, writeTable } from './corpus/table';
import { listVectors, SOURCES, sourceOf, VECTORS_ROOT } from './corpus/vectors';

/** The source file, not a build copy: the update writes where the table is committed. */
const TABLE_PATH = join(__dirname, '..', '..', 'test', 'corpus', 'expected.json');
const MAJOR = Number(process.versions.node.split('.')[0]);
const UPDATE = process.env.UPDATE_CORPUS === '1';

const ABOUT = [
	`Expected outcomes of test/corpus.test.ts: every PKCS#12 file and PEM private key of Debian's ${SOURCES.map((source) => source.package).join(' and ')}, loaded by loadMaterial and judged by the openssl CLI (test/corpus/oracle.ts).`,
	'openssl: accept | accept-legacy (needs the legacy provider) | refuse:unreadable | refuse:no-key | refuse:no-matching-certificate | refuse:cannot-sign.',
	'ours: accept | refuse:<MaterialError code> | crash:<error name>. Base entries are Node 20; "node24" holds what differs on Node 24.',
	'class: agree-accept | agree-refuse | intended-difference (reason says why) | known-disagreement (reason names the issue point) | needs-review.',
	'Rewrite from actual outcomes with UPDATE_CORPUS=1 (Node 20 first, then Node 24); classify every needs-review entry by hand.',
];

function ourVerdict(judgement: Judgement): OurVerdict {
	try {
		loadMaterial({ certificateBundle: judgement.bundle, passphrase: judgement.passphrase }, { checkValidity: false });
		return 'accept';
	} catch (error) {
		if (error instanceof MtlsError) return `refuse:${error.code}`;
		return `crash:${(error as Error)?.name ?? typeof error}`;
	}
}

const missing = SOURCES.filter((source) => !existsSync(source.path));

// Locally a missing package skips its part with a clear message; in CI it fails (.ci/run installs both).
for (const source of missing) {
	test(`corpus source ${source.package} is installed`, { skip: process.env.CI ? false : `apt-get install ${source.package} to run its part` }, () => {
		assert.fail(`${source.path} is missing: install the Debian package ${source.package}`);
	});
}

if (missing.length < SOURCES.length) {
	describe(`real-world corpus against the openssl CLI, Node ${MAJOR}`, () => {
		const table = readTable(TABLE_PATH);
		const oracle = new Oracle();
		const vectors = listVectors(oracle.dir);
		const outcomes: Outcome[] = [];
		let judgements = new Map<string, Judgement>();

		before(async () => {
			judgements = await oracle.judgeAll(vectors);
		});
		after(() => oracle.close());

		test('the installed packages have the files the table lists', () => {
			if (!missing.includes(SOURCES[0])) assert.ok(vectors.length > 400, `only ${vectors.length} corpus files under ${VECTORS_ROOT}`);
			if (UPDATE) return;
			const found = new Set(vectors.map((vector) => vector.id));
			const gone = Object.keys(table).filter((id) => !found.has(id) && !missing.includes(sourceOf(id)));
			assert.deepEqual(gone, [], `table entries without a file (a different package version?); rewrite the table with UPDATE_CORPUS=1`);
		});

		for (const vector of vectors) {
			test(vector.id, () => {
				const judgement = judgements.get(vector.id);
				assert.ok(judgement, `openssl gave no verdict on ${vector.id}`);
				const { id, producer, password } = vector;
				const outcome: Outcome = { id, producer, password, openssl: judgement.verdict, ours: ourVerdict(judgement) };
				outcomes.push(outcome);
				if (UPDATE) return;
				const problem = mismatch(outcome, expectationFor(table[vector.id], MAJOR));
				const where = MAJOR === BASE_NODE ? 'its entry' : `its entry (or its "node${MAJOR}" override)`;
				const fix = `If the change is intended, run UPDATE_CORPUS=1 on Node ${MAJOR} and review ${where} in test/corpus/expected.json`;
				assert.equal(problem, undefined, `${vector.id}: ${problem}. ${fix}`);
			});
		}

		test('summary against the openssl CLI', (t) => {
			if (UPDATE) {
				assert.deepEqual(missing, [], 'install every source package before rewriting the table, or its entries would be dropped');
				writeTable(TABLE_PATH, updateTable(table, outcomes, MAJOR), ABOUT);
				t.diagnostic(`wrote ${TABLE_PATH} from ${outcomes.length} outcomes on Node ${MAJOR}; classify every "needs-review" entry`);
				return;
			}
			const counts = countOutcomes(outcomes, table, MAJOR);
			const disagreeing = counts['intended-difference'] + counts['known-disagreement'];
			t.diagnostic(
				`Node ${MAJOR}: ${outcomes.length} files; accepted ${counts['agree-accept']}, refused correctly ${counts['agree-refuse']}, ` +
					`disagreeing ${disagreeing} ` +
					`(intended ${counts['intended-difference']}, known bugs ${counts['known-disagreement']}), unexpected ${counts.unexpected}`,
			);
			assert.equal(outcomes.length, vectors.length, 'every corpus file has an outcome');
		});
	});
}

/** The table's rules on made-up outcomes: what fails, and what UPDATE_CORPUS=1 writes. */
describe('corpus table', () => {
	const outcome = (ours: string, openssl: Outcome['openssl'] = 'accept'): Outcome => ({ id: 'a.p12', producer: 'tool', openssl, ours });
	const known: Table = {
		'a.p12': { producer: 'tool', password: null, openssl: 'accept', ours: 'refuse:PASSPHRASE_WRONG', class: 'known-disagreement', reason: 'issue 11' },
	};

	test('an outcome matching its entry passes; a changed verdict or a stale entry fails', () => {
		assert.equal(mismatch(outcome('refuse:PASSPHRASE_WRONG'), expectationFor(known['a.p12'], BASE_NODE)), undefined);
		assert.match(mismatch(outcome('accept'), expectationFor(known['a.p12'], BASE_NODE)) ?? '', /ours: table says refuse:PASSPHRASE_WRONG, now accept/);
		assert.match(mismatch(outcome('accept'), undefined) ?? '', /no entry in the table/);
		const unclassified = { ...known['a.p12'], class: 'needs-review' as const };
		assert.match(mismatch(outcome('refuse:PASSPHRASE_WRONG'), unclassified) ?? '', /not classified yet/);
		const mislabelled = { ...known['a.p12'], class: 'agree-refuse' as const };
		assert.match(mismatch(outcome('refuse:PASSPHRASE_WRONG'), mislabelled) ?? '', /verdicts differ/);
	});

	test('an update classifies agreements itself, keeps an unchanged difference and flags a new one', () => {
		assert.equal(updateTable(known, [outcome('accept')], BASE_NODE)['a.p12'].class, 'agree-accept');
		assert.equal(updateTable(known, [outcome('refuse:KEY_UNREADABLE', 'refuse:unreadable')], BASE_NODE)['a.p12'].class, 'agree-refuse');
		assert.deepEqual(updateTable(known, [outcome('refuse:PASSPHRASE_WRONG')], BASE_NODE), known);
		const flagged = updateTable(known, [outcome('refuse:KEY_UNREADABLE')], BASE_NODE)['a.p12'];
		assert.equal(flagged.class, 'needs-review');
		assert.match(flagged.reason ?? '', /was: openssl accept, ours refuse:PASSPHRASE_WRONG/);
	});

	test('another Node major gets an override only where it differs, and loses it when it no longer does', () => {
		const on24 = updateTable(known, [outcome('accept')], 24)['a.p12'];
		assert.deepEqual(on24.node24, { ours: 'accept', class: 'agree-accept', reason: undefined });
		assert.equal(on24.ours, 'refuse:PASSPHRASE_WRONG', 'the Node 20 entry stays');
		assert.equal(expectationFor(on24, 24)?.ours, 'accept');
		assert.equal(updateTable({ 'a.p12': on24 }, [outcome('refuse:PASSPHRASE_WRONG')], 24)['a.p12'].node24, undefined);
	});
});
