/**
 * The cost check: what a credential declares its key derivations to cost is read before any
 * decryption, and refused above these caps. Every decryption here runs on n8n's main thread (see
 * README "Key-derivation caps" for why not in a worker), so a hostile or careless file must not
 * be able to make it run for seconds: PBKDF2 at 2^31−1 iterations would block for over an hour.
 *
 * Figures are from `npm run bench` (bench/kdf.ts): PBKDF2-HMAC-SHA256 costs 0.16–0.22 µs per
 * iteration in OpenSSL on the reference machine, SHA-512 about twice that; the PKCS#12 key
 * derivation in JavaScript (lib/tls/pbe.ts) about 1.5–2.3 µs per iteration and block.
 */
import { fail } from './texts';
import type { Pbe } from './pbe';

export const KDF_CAPS = {
	/**
	 * Per derivation computed by OpenSSL (PBKDF2, the PKCS#12 MAC and PBE). 600,000 (OWASP's
	 * PBKDF2-SHA256 figure, used by Firefox and several tools) must pass.
	 */
	iterations: 1_000_000,
	/**
	 * Per derivation on the legacy path: computed in JavaScript (PKCS#12 and PBES1 derivations) or
	 * feeding a node-forge cipher (DES, RC2). Java 8's keytool writes 50,000; OpenSSL 2,048.
	 */
	legacyIterations: 100_000,
	/** Every derivation of one credential together (a PKCS#12 file has a MAC and two or more PBEs). */
	totalIterations: 2_500_000,
	/** scrypt's work, N·r·p (OpenSSL's default for `pkcs8 -scrypt` is 16384·8·1 = 131,072). */
	scryptWork: 262_144,
	/** scrypt's memory, 128·N·r bytes: OpenSSL refuses 32 MiB and more when it decrypts a key (its default maxmem). */
	scryptMemory: 32 * 1024 * 1024,
} as const;

/** One key derivation a credential declares. */
export interface DeclaredKdf {
	pbe: Pbe;
	/** What it protects, for the message: "private key", "PKCS#12 file". */
	what: string;
	pkcs12?: boolean;
	/** On the legacy path (see `onLegacyPath`). */
	legacy?: boolean;
}

/**
 * Refuses the first derivation over its cap, then the sum.
 *
 * @throws MaterialError KDF_ITERATIONS_TOO_HIGH or KDF_COST_TOO_HIGH
 */
export function checkCosts(declared: DeclaredKdf[]): void {
	let total = 0;
	let scrypt = 0;
	for (const { pbe, what, pkcs12, legacy } of declared) {
		const kdf = pbe.kdf;
		if (!kdf) continue;
		if (kdf.kind === 'scrypt') {
			const work = kdf.cost * kdf.blockSize * kdf.parallelization;
			scrypt += work;
			if (work > KDF_CAPS.scryptWork || scrypt > KDF_CAPS.scryptWork || 128 * kdf.cost * kdf.blockSize >= KDF_CAPS.scryptMemory) {
				throw fail('scryptTooHigh', { what, pkcs12, n: kdf.cost, r: kdf.blockSize, p: kdf.parallelization, cap: KDF_CAPS.scryptWork });
			}
			continue;
		}
		const cap = legacy ? KDF_CAPS.legacyIterations : KDF_CAPS.iterations;
		if (kdf.iterations > cap) throw fail('iterationsTooHigh', { what, pkcs12, iterations: kdf.iterations, cap, legacy: Boolean(legacy) });
		total += kdf.iterations;
		if (total > KDF_CAPS.totalIterations) throw fail('totalTooHigh', { what, pkcs12, total, cap: KDF_CAPS.totalIterations });
	}
}

/**
 * True when decrypting `pbe` here, rather than in OpenSSL, runs a loop in JavaScript (PKCS#12 and
 * PBES1 derivations) or a node-forge cipher: lib/tls/pbe.ts does that for what OpenSSL 3 refuses.
 */
export function onLegacyPath(pbe: Pbe): boolean {
	return pbe.kdf?.kind === 'pkcs12' || pbe.kdf?.kind === 'pbkdf1' || pbe.cipher?.engine === 'forge';
}
