/**
 * The README's parameter table has a column "differs from HTTP Request" made from intended.ts:
 * each row lists the entries that name it (by the row's first parameter). readme.test.ts checks
 * the README against the list; `node .test-build/test/parity/readme.js --write` rewrites the
 * column after the list changed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { INTENDED, type Intended } from './intended';

export const README = join(__dirname, '..', '..', '..', 'README.md');
const HEADER = /^\| parameter \| notes \|/;
export const COLUMN = 'differs from HTTP Request';
const NONE = 'no';

interface Table {
	/** Index of the header line in the README's lines. */
	start: number;
	rows: Array<{ line: number; cells: string[]; key: string }>;
}

function cellsOf(line: string): string[] {
	return line.replace(/^\|\s?/, '').replace(/\s?\|$/, '').split(/\s\|\s/).map((cell) => cell.trim());
}

export function readTable(lines: string[]): Table {
	const start = lines.findIndex((line) => HEADER.test(line));
	if (start < 0) throw new Error('README.md has no "| parameter | notes |" table');
	const rows: Table['rows'] = [];
	for (let line = start + 2; line < lines.length && lines[line].startsWith('|'); line++) {
		const cells = cellsOf(lines[line]);
		const key = /`([^`]+)`/.exec(cells[0])?.[1];
		if (!key) throw new Error(`README.md parameter table, line ${line + 1}: the first cell names no \`parameter\``);
		rows.push({ line, cells, key });
	}
	return { start, rows };
}

/** The column's text for the row of `key`. */
export function expectedCell(key: string, intended: Intended[] = INTENDED): string {
	const entries = intended.filter(({ readme }) => readme.includes(key));
	if (!entries.length) return NONE;
	return entries.map(({ id, kind, summary }) => `${kind === 'defect' ? '**known defect**: ' : ''}${summary} (\`${id}\`)`).join('; ');
}

/** What is wrong with the README's column, one line per problem; empty when it matches the list. */
export function checkReadme(text: string, intended: Intended[] = INTENDED): string[] {
	const lines = text.split('\n');
	const { start, rows } = readTable(lines);
	const problems: string[] = [];
	if (cellsOf(lines[start])[2] !== COLUMN) problems.push(`the parameter table's third column is not "${COLUMN}"`);
	const keys = new Set(rows.map(({ key }) => key));
	for (const entry of intended) {
		for (const key of entry.readme) if (!keys.has(key)) problems.push(`intended entry ${entry.id} names README row \`${key}\`, which does not exist`);
	}
	for (const { key, cells, line } of rows) {
		const expected = expectedCell(key, intended);
		if (cells[2] !== expected) problems.push(`README.md line ${line + 1} (\`${key}\`): column "${COLUMN}" is\n  ${cells[2] ?? '(missing)'}\nexpected\n  ${expected}`);
	}
	return problems;
}

/** The README with the column rewritten from the list. */
export function writeColumn(text: string, intended: Intended[] = INTENDED): string {
	const lines = text.split('\n');
	const { start, rows } = readTable(lines);
	lines[start] = `| parameter | notes | ${COLUMN} |`;
	lines[start + 1] = '|---|---|---|';
	for (const { line, cells, key } of rows) lines[line] = `| ${cells[0]} | ${cells[1]} | ${expectedCell(key, intended)} |`;
	return lines.join('\n');
}

if (require.main === module && process.argv.includes('--write')) {
	writeFileSync(README, writeColumn(readFileSync(README, 'utf8')));
	console.log(`README.md: column "${COLUMN}" written from test/parity/intended.ts`);
}
