/**
 * The README's column "differs from HTTP Request" says what test/parity/intended.ts says, row by
 * row, and every entry of the list has a reason and a README row.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { CASES } from './cases';
import { INTENDED } from './intended';
import { checkReadme, expectedCell, README, writeColumn } from './readme';

test('the README parameter table\'s column "differs from HTTP Request" matches the intended list', () => {
	const problems = checkReadme(readFileSync(README, 'utf8'));
	assert.deepEqual(problems, [], `${problems.join('\n')}\nRegenerate with: npm run build:test && node .test-build/test/parity/readme.js --write`);
});

test('every intended difference has an id, a reason, a one-line summary and a README row', () => {
	assert.equal(new Set(INTENDED.map(({ id }) => id)).size, INTENDED.length, 'ids are unique');
	for (const entry of INTENDED) {
		assert.match(entry.id, /^[a-z0-9-]+$/, entry.id);
		assert.ok(entry.reason.length > 40, `${entry.id}: the reason says why`);
		assert.ok(!entry.summary.includes('|') && !entry.summary.includes('\n'), `${entry.id}: the summary fits a table cell`);
		assert.ok(entry.readme.length > 0, `${entry.id}: names at least one README row`);
	}
});

test('the check fails when the list and the README disagree', () => {
	const text = readFileSync(README, 'utf8');
	const extra = { ...INTENDED[0], id: 'made-up-entry', summary: 'a difference nobody wrote down', readme: ['timeout'] };
	const problems = checkReadme(text, [...INTENDED, extra]);
	assert.equal(problems.length, 1);
	assert.match(problems[0], /`timeout`/);
	assert.ok(checkReadme(writeColumn(text, [...INTENDED, extra]), [...INTENDED, extra]).length === 0, 'the writer produces what the check expects');
	assert.equal(expectedCell('lowercaseHeaders', []), 'no');
});

test('the README gives the suite\'s number of cases', () => {
	const text = readFileSync(README, 'utf8').replace(/\s+/g, ' ');
	const counts = [...text.matchAll(/(\d+) cases/g)].map(([, count]) => Number(count));
	assert.ok(counts.length >= 2, 'the README says how many cases the parity suite runs');
	for (const count of counts) assert.equal(count, CASES.length, `the README says ${count} cases, test/parity/cases.ts has ${CASES.length}`);
});
