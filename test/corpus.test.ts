/**
 * The real-world corpus against the openssl CLI: every PKCS#12 file and PEM private key of Debian's
 * python3-cryptography-vectors goes through loadMaterial with its documented password, and openssl
 * judges the same file (test/corpus/oracle.ts). Each outcome must match the written table
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
import { BASE_NODE, countOutcomes, expectationFor, mismatch, Outcome, OurVerdict, readTable, updateTable, writeTable } from './corpus/table';
import { listVectors, VECTORS_PACKAGE, VECTORS_ROOT } from './corpus/vectors';

/** The source file, not a build copy: the update writes where the table is committed. */
const TABLE_PATH = join(__dirname, '..', '..', 'test', 'corpus', 'expected.json');
const MAJOR = Number(process.versions.node.split('.')[0]);
const UPDATE = process.env.UPDATE_CORPUS === '1';

const ABOUT = [
	`Expected outcomes of test/corpus.test.ts: every PKCS#12 file and PEM private key of Debian's ${VECTORS_PACKAGE}, loaded by loadMaterial and judged by the openssl CLI (test/corpus/oracle.ts).`,
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

const present = existsSync(VECTORS_ROOT);

if (!present && process.env.CI) {
	test('the corpus is installed', () => {
		assert.fail(`${VECTORS_ROOT} is missing: install the Debian package ${VECTORS_PACKAGE} (.ci/run does)`);
	});
} else if (!present) {
	test(`real-world corpus: skipped, ${VECTORS_PACKAGE} is not installed (apt-get install ${VECTORS_PACKAGE})`, { skip: true }, () => {});
} else {
	describe(`real-world corpus (${VECTORS_PACKAGE}) against the openssl CLI, Node ${MAJOR}`, () => {
		const table = readTable(TABLE_PATH);
		const vectors = listVectors();
		const oracle = new Oracle();
		const outcomes: Outcome[] = [];
		let judgements = new Map<string, Judgement>();

		before(async () => {
			judgements = await oracle.judgeAll(vectors);
		});

		after(() => oracle.close());

		test('the package has the files the table lists', () => {
			assert.ok(vectors.length > 400, `only ${vectors.length} corpus files under ${VECTORS_ROOT}`);
			if (UPDATE) return;
			const found = new Set(vectors.map((vector) => vector.id));
			const gone = Object.keys(table).filter((id) => !found.has(id));
			assert.deepEqual(gone, [], `table entries without a file (a different package version?); rewrite the table with UPDATE_CORPUS=1`);
		});

		for (const vector of vectors) {
			test(vector.id, () => {
				const judgement = judgements.get(vector.id);
				assert.ok(judgement, `openssl gave no verdict on ${vector.id}`);
				const outcome: Outcome = { id: vector.id, producer: vector.producer, password: vector.password, openssl: judgement.verdict, ours: ourVerdict(judgement) };
				outcomes.push(outcome);
				if (UPDATE) return;
				const problem = mismatch(outcome, expectationFor(table[vector.id], MAJOR));
				const where = MAJOR === BASE_NODE ? 'its entry' : `its entry (or its "node${MAJOR}" override)`;
				assert.equal(problem, undefined, `${vector.id}: ${problem}. If the change is intended, run UPDATE_CORPUS=1 on Node ${MAJOR} and review ${where} in test/corpus/expected.json`);
			});
		}

		test('summary against the openssl CLI', (t) => {
			if (UPDATE) {
				writeTable(TABLE_PATH, updateTable(table, outcomes, MAJOR), ABOUT);
				t.diagnostic(`wrote ${TABLE_PATH} from ${outcomes.length} outcomes on Node ${MAJOR}; classify every "needs-review" entry`);
				return;
			}
			const counts = countOutcomes(outcomes, table, MAJOR);
			const disagreeing = counts['intended-difference'] + counts['known-disagreement'];
			t.diagnostic(
				`Node ${MAJOR}: ${outcomes.length} files; accepted ${counts['agree-accept']}, refused correctly ${counts['agree-refuse']}, disagreeing ${disagreeing} ` +
					`(intended ${counts['intended-difference']}, known bugs ${counts['known-disagreement']}), unexpected ${counts.unexpected}`,
			);
			assert.equal(outcomes.length, vectors.length, 'every corpus file has an outcome');
		});
	});
}
