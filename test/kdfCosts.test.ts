/**
 * Issue 11, point 1: a credential's declared key-derivation cost is read before anything is
 * decrypted, and refused above the caps of lib/tls/cost.ts with a named code and the command that
 * re-encrypts the file. The refused inputs carry garbage instead of ciphertext where they are built
 * by hand: a loader that derived the key first would answer PASSPHRASE_WRONG (after seconds), not
 * the cost code. How long a refusal blocks is measured by `npm run bench:kdf`, not here.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { MaterialError } from '../lib/errors';
import { MaterialCache } from '../lib/tls/cache';
import { KDF_CAPS } from '../lib/tls/cost';
import { loadMaterial, MaterialInput } from '../lib/tls/material';
import { encryptKey, Issued, pkcs12File, Pki } from './fixtures/pki';
import { buildPkcs12, int, octets, oid, seq, tlv } from './fixtures/pkcs12Builder';

const PASS = 'cost check';
const LEGACY = ['-provider', 'legacy', '-provider', 'default'];

// EncryptedPrivateKeyInfo structures openssl will not write, built with the PKCS#12 fixture's DER helpers.
const AES_256_CBC = seq(oid('2.16.840.1.101.3.4.1.42'), octets(randomBytes(16)));
const HMAC_SHA256 = '1.2.840.113549.2.9';
const HMAC_SHA512 = '1.2.840.113549.2.11';
const pbkdf2Key = (iterations: number, cipher = AES_256_CBC, prf = HMAC_SHA256) =>
	seq(seq(oid('1.2.840.113549.1.5.13'), seq(seq(oid('1.2.840.113549.1.5.12'), seq(octets(randomBytes(8)), int(iterations), seq(oid(prf), tlv(0x05)))), cipher)), octets(randomBytes(48)));
const scryptKey = (n: number, r: number, p: number) =>
	seq(seq(oid('1.2.840.113549.1.5.13'), seq(seq(oid('1.3.6.1.4.1.11591.4.11'), seq(octets(randomBytes(8)), int(n), int(r), int(p))), AES_256_CBC)), octets(randomBytes(48)));
const pem = (der: Buffer) => `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END ENCRYPTED PRIVATE KEY-----\n`;

/** Replaces the `which`-th (from the end when negative) 3-byte INTEGER 65536 of a file with another 3-byte value. */
function patchIterations(file: Buffer, value: number, which: number[]): Buffer {
	const needle = Buffer.from('0203010000', 'hex');
	const at: number[] = [];
	for (let index = file.indexOf(needle); index >= 0; index = file.indexOf(needle, index + 1)) at.push(index);
	const out = Buffer.from(file);
	for (const position of which) {
		const offset = at[position < 0 ? at.length + position : position];
		assert.ok(offset !== undefined, `iteration count ${position} not found (${at.length} in the file)`);
		out.writeUIntBE(value, offset + 2, 3);
	}
	return out;
}

describe('key-derivation costs are checked before decrypting', () => {
	let pki: Pki;
	let client: Issued;

	before(() => {
		pki = new Pki();
		client = pki.issue(pki.createRoot('Cost CA'), { cn: 'cost client' });
	});
	after(() => pki.cleanup());

	const key = (der: Buffer) => () => pem(der) + client.certPem;
	const p12 = (args: string[], value: number, which: number[]) => () => patchIterations(pkcs12File(client.keyPem + client.certPem, PASS, ['-iter', '65536', ...args]), value, which).toString('base64');

	const refused: Array<{ name: string; bundle: () => string; code: string; advice: RegExp }> = [
		{ name: 'PKCS#8, PBKDF2 with 3,000,000 iterations', bundle: key(pbkdf2Key(3_000_000)), code: 'KDF_ITERATIONS_TOO_HIGH', advice: /openssl pkcs8 -topk8/ },
		{ name: 'PKCS#8, PBKDF2 with 2^31−1 iterations (84 minutes)', bundle: key(pbkdf2Key(2 ** 31 - 1)), code: 'KDF_ITERATIONS_TOO_HIGH', advice: /openssl pkcs8 -topk8/ },
		{ name: 'PKCS#8, PBKDF2-HMAC-SHA512 with 600,000 iterations (three times the work of SHA-256)', bundle: key(pbkdf2Key(600_000, AES_256_CBC, HMAC_SHA512)), code: 'KDF_ITERATIONS_TOO_HIGH', advice: /openssl pkcs8 -topk8/ },
		{ name: 'PKCS#8, PBES2 DES-CBC (a legacy cipher) with 250,000 iterations', bundle: key(pbkdf2Key(250_000, seq(oid('1.3.14.3.2.7'), octets(randomBytes(8))))), code: 'KDF_ITERATIONS_TOO_HIGH', advice: /openssl pkcs8/ },
		{ name: 'PKCS#8, scrypt N=16384 r=8 p=100', bundle: key(scryptKey(16_384, 8, 100)), code: 'KDF_COST_TOO_HIGH', advice: /openssl pkcs8/ },
		{ name: 'PKCS#8, scrypt N=16384 r=8 p=16000', bundle: key(scryptKey(16_384, 8, 16_000)), code: 'KDF_COST_TOO_HIGH', advice: /openssl pkcs8/ },
		{ name: 'PKCS#8, scrypt N=2^20 r=8 (1 GiB of memory)', bundle: key(scryptKey(2 ** 20, 8, 1)), code: 'KDF_COST_TOO_HIGH', advice: /openssl pkcs8/ },
		{ name: 'PKCS#8, scrypt N=65536 r=4 p=1 (32 MiB: over OpenSSL\'s memory limit, within the work cap)', bundle: key(scryptKey(65_536, 4, 1)), code: 'KDF_COST_TOO_HIGH', advice: /openssl pkcs8/ },
		{ name: 'PKCS#12, MAC with 8,388,607 iterations', bundle: p12([], 0x7fffff, [-1]), code: 'KDF_ITERATIONS_TOO_HIGH', advice: /openssl pkcs12 -in old\.p12/ },
		{ name: 'PKCS#12 without MAC, encrypted certificates with 8,388,607 iterations', bundle: p12(['-nomac'], 0x7fffff, [0]), code: 'KDF_ITERATIONS_TOO_HIGH', advice: /openssl pkcs12/ },
		{ name: 'PKCS#12 without MAC, AES key bag with 8,388,607 iterations', bundle: p12(['-nomac', '-certpbe', 'NONE'], 0x7fffff, [0]), code: 'KDF_ITERATIONS_TOO_HIGH', advice: /openssl pkcs12/ },
		{
			name: 'PKCS#12 without MAC, 3DES key bag with 600,000 iterations (a JavaScript derivation)',
			bundle: p12(['-nomac', '-certpbe', 'NONE', '-keypbe', 'PBE-SHA1-3DES'], 600_000, [0]), code: 'KDF_ITERATIONS_TOO_HIGH', advice: /openssl pkcs12/,
		},
		{
			name: 'PKCS#12, key bag hidden inside cheap encrypted safe contents, declaring 8,388,607 iterations',
			bundle: () => buildPkcs12({
				keyDer: createPrivateKey(client.keyPem).export({ type: 'pkcs8', format: 'der' }), certificates: [new X509Certificate(client.certPem).raw],
				password: PASS, scheme: 'aes', iterations: 2048, mac: false, keyInsideEncrypted: true, keyBagDeclares: 0x7fffff,
			}).toString('base64'),
			code: 'KDF_ITERATIONS_TOO_HIGH', advice: /openssl pkcs12/,
		},
		{ name: 'PKCS#12, MAC, certificates and key with 900,000 iterations each (over the total)', bundle: p12([], 900_000, [0, 1, 2]), code: 'KDF_ITERATIONS_TOO_HIGH', advice: /openssl pkcs12/ },
	];

	for (const refusal of refused) {
		test(`refuses ${refusal.name}: ${refusal.code}`, () => {
			const bundle = refusal.bundle();
			assert.throws(() => loadMaterial({ certificateBundle: bundle, passphrase: PASS }), (error: unknown) => {
				assert.ok(error instanceof MaterialError, String(error));
				assert.equal(error.code, refusal.code, error.message);
				assert.equal(error.field, 'certificateBundle');
				assert.match(error.description ?? '', refusal.advice);
				assert.ok(!`${error.message} ${error.description}`.includes(PASS));
				return true;
			});
		});
	}

	const accepted: Array<{ name: string; input: () => MaterialInput }> = [
		{ name: `PKCS#8, PBKDF2-HMAC-SHA256 with ${KDF_CAPS.work} iterations (the cap)`, input: () => ({ certificateBundle: encryptKey(client.keyPem, PASS, ['-v2', 'aes-256-cbc', '-iter', String(KDF_CAPS.work)]) + client.certPem, passphrase: PASS }) },
		{
			name: 'PKCS#8, PBKDF2-HMAC-SHA512 with 210,000 iterations (OWASP\'s figure)',
			input: () => ({ certificateBundle: encryptKey(client.keyPem, PASS, ['-v2', 'aes-256-cbc', '-v2prf', 'hmacWithSHA512', '-iter', '210000']) + client.certPem, passphrase: PASS }),
		},
		{
			name: `PKCS#8, scrypt N=16384 r=8 p=2 (N·r·p = ${KDF_CAPS.scryptWork}, the cap)`,
			input: () => ({ certificateBundle: encryptKey(client.keyPem, PASS, ['-scrypt', '-scrypt_N', '16384', '-scrypt_r', '8', '-scrypt_p', '2']) + client.certPem, passphrase: PASS }),
		},
		{
			name: 'PKCS#12, RC2-40 certificates and 3DES key at 50,000 iterations (Java 8 keytool)',
			input: () => ({ certificateBundle: pkcs12File(client.keyPem + client.certPem, PASS, ['-legacy', '-iter', '50000', ...LEGACY]).toString('base64'), passphrase: PASS }),
		},
	];

	for (const entry of accepted) {
		test(`accepts ${entry.name}`, () => {
			const material = loadMaterial(entry.input());
			assert.equal(material.leaf.subject.includes('cost client'), true);
		});
	}

	test('a failed load is remembered by the cache: the second attempt throws the same error without parsing again', () => {
		const cache = new MaterialCache();
		const input = { certificateBundle: encryptKey(client.keyPem, PASS) + client.certPem, passphrase: 'wrong' };
		const first = (() => {
			try {
				cache.load(input);
			} catch (error) {
				return error;
			}
			return undefined;
		})();
		assert.ok(first instanceof MaterialError && first.code === 'PASSPHRASE_WRONG');
		assert.equal(cache.failureCount, 1);
		assert.throws(() => cache.load(input), (error: unknown) => error === first);
		// Another passphrase is another credential: parsed afresh.
		assert.equal(cache.load({ ...input, passphrase: PASS }).leaf.subject.includes('cost client'), true);
		// …and remembering ends after failureMs.
		const later = new Date(Date.now() + 6 * 60 * 1000);
		assert.throws(() => cache.load(input, { now: later }), (error: unknown) => error !== first && (error as MaterialError).code === 'PASSPHRASE_WRONG');
	});

	test('an expired certificate is not remembered as a failure (it depends on the clock)', () => {
		const cache = new MaterialCache();
		const input = { certificateBundle: client.keyPem + client.certPem };
		assert.throws(() => cache.load(input, { now: new Date(Date.now() + 3 * 365 * 86_400_000) }), { code: 'CERTIFICATE_EXPIRED' });
		assert.equal(cache.failureCount, 0);
		assert.ok(cache.load(input));
	});
});
