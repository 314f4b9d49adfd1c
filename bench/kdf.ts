/**
 * `npm run bench:kdf` (also the last part of `npm run bench`): how long loading a credential blocks
 * n8n's main thread, for the most expensive credentials lib/tls/cost.ts still accepts, for ones it
 * refuses (target: a refusal within 50 ms), and for a typical PKCS#12 file. loadMaterial is
 * synchronous, so the time of one call is the event-loop block. A figure-printing script, not a test.
 *
 * Environment: BENCH_KDF_RUNS (runs per accepted credential, default 3; refusals run 10× as often).
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';

import { MaterialError } from '../lib/errors';
import { KDF_CAPS } from '../lib/tls/cost';
import { loadMaterial, MaterialInput } from '../lib/tls/material';
import { encryptKey, pkcs12File, Pki } from '../test/fixtures/pki';

const PASS = 'bench passphrase';
const REFUSAL_TARGET_MS = 50;
const LEGACY = ['-provider', 'legacy', '-provider', 'default'];

interface Credential {
	name: string;
	input: MaterialInput;
	/** The code a refused credential must get. */
	refused?: string;
}

/** Overwrites every 3-byte INTEGER 65536 (an iteration count openssl wrote) with another 3-byte value. */
function patchIterations(file: Buffer, value: number): Buffer {
	const out = Buffer.from(file);
	const needle = Buffer.from('0203010000', 'hex');
	for (let at = out.indexOf(needle); at >= 0; at = out.indexOf(needle, at + 1)) out.writeUIntBE(value, at + 2, 3);
	return out;
}

function credentials(pki: Pki): Credential[] {
	const rsa = pki.issue(pki.createRoot('KDF Bench CA', 'rsa'), { cn: 'kdf bench', keyType: 'rsa' });
	const content = rsa.keyPem + rsa.certPem;
	const pem = (args: string[]) => encryptKey(rsa.keyPem, PASS, args) + rsa.certPem;
	const p12 = (args: string[]) => pkcs12File(content, PASS, args).toString('base64');
	// A PKCS#12 file's MAC, safe contents (counted twice) and key at the same count reach the total cap at a quarter of it.
	const perPbe = Math.floor(KDF_CAPS.totalWork / 4);
	// The legacy cap binds the 3DES key bag first: three SHA-1 blocks per iteration.
	const legacyIterations = Math.floor(KDF_CAPS.legacyWork / 3);
	const big = pkcs12File(content, PASS, ['-iter', '65536']);
	return [
		{ name: 'typical PKCS#12: AES-256-CBC, 2048 iterations, RSA 2048 (OpenSSL 3 default)', input: { certificateBundle: p12([]), passphrase: PASS } },
		{ name: 'typical PKCS#8: AES-256-CBC, PBKDF2-SHA256, 2048 iterations', input: { certificateBundle: pem([]), passphrase: PASS } },
		{ name: `accepted max PKCS#8: PBKDF2-HMAC-SHA256 ${KDF_CAPS.work} iterations`, input: { certificateBundle: pem(['-v2', 'aes-256-cbc', '-iter', String(KDF_CAPS.work)]), passphrase: PASS } },
		{ name: `accepted max PKCS#8: PBKDF2-HMAC-SHA1 ${KDF_CAPS.work / 2} iterations, AES-256 (2 SHA-1 blocks)`, input: { certificateBundle: pem(['-v2', 'aes-256-cbc', '-v2prf', 'hmacWithSHA1', '-iter', String(KDF_CAPS.work / 2)]), passphrase: PASS } },
		{ name: `accepted max PKCS#8: PBKDF2-HMAC-SHA512 ${Math.floor(KDF_CAPS.work / 3)} iterations`, input: { certificateBundle: pem(['-v2', 'aes-256-cbc', '-v2prf', 'hmacWithSHA512', '-iter', String(Math.floor(KDF_CAPS.work / 3))]), passphrase: PASS } },
		{ name: `accepted max PKCS#8: scrypt N=16384 r=8 p=2 (N·r·p ${KDF_CAPS.scryptWork})`, input: { certificateBundle: pem(['-scrypt', '-scrypt_N', '16384', '-scrypt_r', '8', '-scrypt_p', '2']), passphrase: PASS } },
		{ name: 'PKCS#12 at 600,000 iterations (MAC, certificates, key)', input: { certificateBundle: p12(['-iter', '600000']), passphrase: PASS } },
		{ name: `accepted max PKCS#12: ${perPbe} iterations each (MAC, certificates, key: the total cap)`, input: { certificateBundle: p12(['-iter', String(perPbe)]), passphrase: PASS } },
		{ name: `accepted max PKCS#12 (legacy): RC2-40 certificates, 3DES key, ${legacyIterations} iterations`, input: { certificateBundle: p12(['-legacy', '-iter', String(legacyIterations), ...LEGACY]), passphrase: PASS } },
		{ name: `wrong passphrase, PKCS#12 at ${perPbe} iterations (before the failure cache)`, input: { certificateBundle: p12(['-iter', String(perPbe)]), passphrase: 'wrong' }, refused: 'PASSPHRASE_WRONG' },
		{ name: 'refused PKCS#8: PBKDF2 3,000,000 iterations', input: { certificateBundle: pem(['-v2', 'aes-256-cbc', '-iter', '3000000']), passphrase: PASS }, refused: 'KDF_ITERATIONS_TOO_HIGH' },
		{ name: 'refused PKCS#12: 8,388,607 iterations (MAC, certificates, key)', input: { certificateBundle: patchIterations(big, 0x7fffff).toString('base64'), passphrase: PASS }, refused: 'KDF_ITERATIONS_TOO_HIGH' },
		{ name: 'refused PKCS#12: 900,000 iterations each (over the total)', input: { certificateBundle: patchIterations(big, 900_000).toString('base64'), passphrase: PASS }, refused: 'KDF_ITERATIONS_TOO_HIGH' },
	];
}

function measure(credential: Credential, runs: number): number[] {
	const times: number[] = [];
	for (let run = 0; run < runs; run++) {
		const started = performance.now();
		try {
			loadMaterial(credential.input);
			if (credential.refused) throw new Error(`${credential.name}: accepted, expected ${credential.refused}`);
		} catch (error) {
			if (!(error instanceof MaterialError) || error.code !== credential.refused) throw error;
		}
		times.push(performance.now() - started);
	}
	return times.sort((a, b) => a - b);
}

function main(): void {
	const runs = Number(process.env.BENCH_KDF_RUNS ?? 3);
	const pki = new Pki();
	try {
		const list = credentials(pki);
		console.log(`\nKey-derivation cost: main-thread block of one loadMaterial call (Node ${process.version}, OpenSSL ${process.versions.openssl}, load average ${loadavg()[0].toFixed(1)})`);
		console.log(`caps (units of one HMAC-SHA-256 iteration): ${KDF_CAPS.work} per derivation, ${KDF_CAPS.legacyWork} on the legacy path, ${KDF_CAPS.totalWork} per credential; scrypt N·r·p ${KDF_CAPS.scryptWork}\n`);
		console.log(`${'credential'.padEnd(100)} ${'min ms'.padStart(8)} ${'median'.padStart(8)} ${'max'.padStart(8)}`);
		let missed = 0;
		for (const credential of list) {
			const times = measure(credential, credential.refused?.startsWith('KDF') ? runs * 10 : runs);
			const median = times[Math.floor(times.length / 2)];
			const max = times[times.length - 1];
			const verdict = credential.refused?.startsWith('KDF') ? (max <= REFUSAL_TARGET_MS ? '  ok (≤ 50 ms)' : '  MISSED (> 50 ms)') : '';
			if (verdict.includes('MISSED')) missed++;
			console.log(`${credential.name.padEnd(100)} ${times[0].toFixed(1).padStart(8)} ${median.toFixed(1).padStart(8)} ${max.toFixed(1).padStart(8)}${verdict}`);
		}
		if (missed) console.log(`\n${missed} refusal(s) blocked longer than ${REFUSAL_TARGET_MS} ms`);
	} finally {
		pki.cleanup();
	}
}

main();
