/**
 * The fuzz properties of test/fuzz.test.ts with many more runs: `npm run fuzz`.
 *
 *   FUZZ_RUNS   total runs, shared among the properties by weight (default 200000)
 *   FUZZ_SEED   seed to replay (default: random, printed)
 *   FUZZ_ONLY   run only the properties whose name contains this text
 *
 * Exits non-zero on the first property that fails, with fast-check's shrunk counter-example and
 * the seed to replay it; keep such an input as a regression case in test/fuzz.test.ts.
 */
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';

import { createCorpus, PROPERTIES } from '../test/fixtures/fuzz';

function main(): number {
	const totalRuns = Number(process.env.FUZZ_RUNS ?? 200_000);
	const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() ^ (Math.random() * 0x7fffffff);
	const only = process.env.FUZZ_ONLY;
	console.log(`fuzz: ${totalRuns} runs, FUZZ_SEED=${seed}${only ? `, FUZZ_ONLY=${only}` : ''}`);
	const corpus = createCorpus();
	const started = performance.now();
	try {
		for (const [index, fuzz] of PROPERTIES.entries()) {
			if (only && !fuzz.name.includes(only)) continue;
			const numRuns = Math.max(20, Math.round(totalRuns * fuzz.weight));
			const propertyStarted = performance.now();
			const details = fc.check(fuzz.property(corpus), { seed: seed + index, numRuns });
			const seconds = ((performance.now() - propertyStarted) / 1000).toFixed(1);
			if (details.failed) {
				console.log(`FAIL  ${fuzz.name} (${seconds} s)`);
				console.log(fc.defaultReportMessage(details));
				console.log(String((details.errorInstance as Error | undefined)?.message ?? details.errorInstance));
				console.log(`replay: FUZZ_SEED=${seed} FUZZ_ONLY=${JSON.stringify(fuzz.name)}`);
				return 1;
			}
			console.log(`ok    ${fuzz.name}: ${details.numRuns} runs in ${seconds} s`);
		}
	} finally {
		corpus.cleanup();
	}
	console.log(`fuzz: all properties hold (${((performance.now() - started) / 1000).toFixed(1)} s)`);
	return 0;
}

process.exitCode = main();
