/**
 * Fuzzing of everything that parses pasted material (see test/fixtures/fuzz.ts for the properties).
 * A few thousand runs here; `npm run fuzz` (scripts/fuzz-long.ts) runs the same with many more.
 * FUZZ_SEED=<n> replays a run; FUZZ_TEST_RUNS=<n> changes how many runs this file makes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';

import { MaterialError } from '../lib/errors';
import { readPkcs12 } from '../lib/tls/pkcs12';
import { describePkcs8Encryption } from '../lib/tls/pkcs8';
import { loadMaterial, MAX_INPUT_CHARS } from '../lib/tls/material';
import { generateKey, openssl } from './fixtures/pki';
import { Corpus, createCorpus, expectOutcome, nestedIndefinite, nestedSequences, oversizedInputs, pem, PROPERTIES } from './fixtures/fuzz';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() ^ (Math.random() * 0x7fffffff);
const TOTAL_RUNS = Number(process.env.FUZZ_TEST_RUNS ?? 3_000);

describe('fuzzing the material parsers', () => {
	let corpus: Corpus;

	before(() => {
		corpus = createCorpus();
	});
	after(() => corpus.cleanup());

	describe(`properties (seed ${SEED}, FUZZ_SEED=${SEED} replays)`, () => {
		for (const [index, fuzz] of PROPERTIES.entries()) {
			test(fuzz.name, (context) => {
				const seed = SEED + index;
				const numRuns = Math.max(20, Math.round(TOTAL_RUNS * fuzz.weight));
				context.diagnostic(`seed ${seed}, ${numRuns} runs`);
				try {
					fc.assert(fuzz.property(corpus), { seed, numRuns });
				} catch (error) {
					console.error(`# fuzz failure, replay with FUZZ_SEED=${SEED}: ${fuzz.name}`);
					throw error;
				}
			});
		}
	});

	describe('deeply nested ASN.1 (10,000 levels)', () => {
		const structures = [
			{ name: 'definite-length SEQUENCEs', der: () => nestedSequences(10_000) },
			{ name: 'indefinite-length SEQUENCEs', der: () => nestedIndefinite(10_000) },
		];
		for (const { name, der } of structures) {
			test(`${name}: in every place of the credential, a MaterialError`, () => {
				const nested = der();
				const bundleWith = (label: string) => pem(label, nested) + corpus.validBundle.slice(corpus.validBundle.indexOf('-----BEGIN CERTIFICATE-----'));
				const cases: Array<{ where: string; run: () => unknown; codes: string[] }> = [
					{ where: 'a CERTIFICATE block', run: () => loadMaterial({ certificateBundle: pem('CERTIFICATE', nested) + corpus.validBundle, passphrase: corpus.passphrase }), codes: ['BAD_CERTIFICATE'] },
					{ where: 'an ENCRYPTED PRIVATE KEY block', run: () => loadMaterial({ certificateBundle: bundleWith('ENCRYPTED PRIVATE KEY'), passphrase: corpus.passphrase }), codes: ['KEY_UNREADABLE'] },
					{ where: 'a PRIVATE KEY block', run: () => loadMaterial({ certificateBundle: bundleWith('PRIVATE KEY'), passphrase: corpus.passphrase }), codes: ['KEY_UNREADABLE'] },
					{ where: 'the CA field', run: () => loadMaterial({ certificateBundle: corpus.validBundle, passphrase: corpus.passphrase, caCertificates: pem('CERTIFICATE', nested) }), codes: ['BAD_CERTIFICATE'] },
					{ where: 'PKCS#12 base64', run: () => loadMaterial({ certificateBundle: nested.toString('base64'), passphrase: corpus.passphrase }), codes: ['PKCS12_INVALID'] },
					{ where: 'readPkcs12', run: () => readPkcs12(nested, corpus.passphrase), codes: ['PKCS12_INVALID'] },
					{ where: 'describePkcs8Encryption', run: () => describePkcs8Encryption(nested), codes: ['KEY_UNREADABLE'] },
				];
				for (const { where, run, codes } of cases) {
					expectOutcome(where, () => run(), { passphrase: corpus.passphrase, texts: [corpus.validBundle] }, () => assert.fail(`${where} accepted ${name}`));
					assert.throws(run, (error: MaterialError) => codes.includes(error.code), `${where}: expected ${codes}`);
				}
			});
		}
	});

	describe('regressions found by fuzzing', () => {
		test('describePkcs8Encryption of DER with a stray byte in front: KEY_UNREADABLE, not forge\'s "Unparsed DER bytes remain"', () => {
			const der = Buffer.concat([Buffer.from([0]), corpus.der.pkcs8[0]]);
			assert.throws(() => describePkcs8Encryption(der), (error: unknown) => error instanceof MaterialError && error.code === 'KEY_UNREADABLE');
		});

		test('a traditional RSA key encrypted with a cipher neither OpenSSL 3 nor forge reads (BF-CBC): KEY_ENCRYPTION_UNSUPPORTED', () => {
			const keyPem = generateKey('rsa');
			const blowfish = openssl(['rsa', '-traditional', '-bf', '-passout', 'env:P', '-provider', 'legacy', '-provider', 'default'], keyPem, { P: corpus.passphrase });
			assert.match(blowfish, /DEK-Info: BF-CBC,/);
			const certificate = corpus.validBundle.slice(corpus.validBundle.indexOf('-----BEGIN CERTIFICATE-----'));
			assert.throws(() => loadMaterial({ certificateBundle: blowfish + certificate, passphrase: corpus.passphrase }), (error: unknown) => {
				assert.ok(error instanceof MaterialError, String(error));
				assert.equal(error.code, 'KEY_ENCRYPTION_UNSUPPORTED');
				assert.match(error.message, /BF-CBC/);
				return true;
			});
		});

		test('wrong passphrases for a DES-encrypted traditional RSA key: always PASSPHRASE_WRONG (one in 256 used to reach forge\'s DER parser)', () => {
			const bundle = corpus.pemBundles['traditional RSA DES (legacy)'];
			for (let attempt = 0; attempt < 1_500; attempt++) {
				const passphrase = `wrong passphrase ${attempt}`;
				assert.throws(() => loadMaterial({ certificateBundle: bundle, passphrase }), (error: unknown) => error instanceof MaterialError && error.code === 'PASSPHRASE_WRONG', passphrase);
			}
		});
	});

	describe('huge inputs', () => {
		test('one character over the cap: INPUT_TOO_LARGE for the bundle and for the CA field, without parsing', () => {
			const huge = `${pem('CERTIFICATE', Buffer.alloc(600))}${'A'.repeat(MAX_INPUT_CHARS)}`;
			expectOutcome('bundle', () => loadMaterial({ certificateBundle: huge }), {}, () => assert.fail('accepted'));
			assert.throws(() => loadMaterial({ certificateBundle: huge }), { code: 'INPUT_TOO_LARGE', field: 'certificateBundle' });
			assert.throws(() => loadMaterial({ certificateBundle: corpus.validBundle, passphrase: corpus.passphrase, caCertificates: huge }), { code: 'INPUT_TOO_LARGE', field: 'caCertificates' });
		});

		for (const { name, text } of oversizedInputs()) {
			test(`${name}: answered within the time limit`, () => {
				assert.ok(text.length <= MAX_INPUT_CHARS, `${text.length} > ${MAX_INPUT_CHARS}`);
				expectOutcome('bundle', () => loadMaterial({ certificateBundle: text, passphrase: corpus.passphrase }), { passphrase: corpus.passphrase }, () => assert.fail('accepted'));
				expectOutcome('CA field', () => loadMaterial({ certificateBundle: corpus.validBundle, passphrase: corpus.passphrase, caCertificates: text }), { passphrase: corpus.passphrase, texts: [corpus.validBundle] });
			});
		}
	});
});
