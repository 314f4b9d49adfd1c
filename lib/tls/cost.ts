/**
 * The cost check: what a credential declares its key derivations to cost is read before any
 * decryption, and refused above these caps. Every decryption here runs on n8n's main thread (see
 * README "Key-derivation caps" for why not in a worker), so a hostile or careless file must not
 * be able to make it run for seconds: PBKDF2 at 2^31−1 iterations would block for over an hour.
 *
 * Cost is counted in work units: one HMAC-SHA-256 iteration producing one 32-byte block. PBKDF2
 * with SHA-1 needs two blocks for an AES-256 key; a SHA-512 iteration costs about three SHA-256
 * ones (measured with OpenSSL 3.0 and 3.5: 600,000 iterations take 95–130 ms with SHA-256,
 * 200–260 ms with SHA-1 for 32 bytes, 320–550 ms with SHA-512). The same weights give OWASP's
 * PBKDF2 recommendations (SHA-256 600,000, SHA-512 210,000) about the same cost.
 */
import { fail } from './texts';
import type { Kdf, Pbe } from './pbe';

export const KDF_CAPS = {
	/** Work of one derivation that OpenSSL or node:crypto computes. 600,000 PBKDF2-HMAC-SHA256 iterations (Firefox, several tools) must pass. */
	work: 1_000_000,
	/**
	 * Work of one derivation on the legacy path: computed in JavaScript (PKCS#12 and PBES1
	 * derivations, ~1.5 µs per unit) or feeding a node-forge cipher (DES, RC2). Java 8's keytool
	 * writes 50,000 iterations (150,000 units for a 3DES key); OpenSSL and Windows about 2,000.
	 */
	legacyWork: 200_000,
	/** Every derivation of one credential together; encrypted PKCS#12 safe contents count twice (opened here, then by OpenSSL). */
	totalWork: 3_000_000,
	/** scrypt's work, N·r·p (OpenSSL's default for `pkcs8 -scrypt` is 16384·8·1 = 131,072). */
	scryptWork: 262_144,
	/** scrypt's memory, 128·N·r bytes: OpenSSL refuses 32 MiB and more when it decrypts a key (its default maxmem). */
	scryptMemory: 32 * 1024 * 1024,
} as const;

/** Digest output size and cost of one iteration relative to SHA-256 (unknown digests count as SHA-512). */
const DIGESTS: Record<string, { bytes: number; weight: number }> = {
	md5: { bytes: 16, weight: 1 },
	sha1: { bytes: 20, weight: 1 },
	sha224: { bytes: 28, weight: 1 },
	sha256: { bytes: 32, weight: 1 },
	sha384: { bytes: 48, weight: 3 },
	sha512: { bytes: 64, weight: 3 },
	'sha512-224': { bytes: 28, weight: 3 },
	'sha512-256': { bytes: 32, weight: 3 },
	blake2b512: { bytes: 64, weight: 2 },
	blake2s256: { bytes: 32, weight: 1 },
};

/** One key derivation a credential declares. */
export interface DeclaredKdf {
	pbe: Pbe;
	/** What it protects, for the message: "private key", "PKCS#12 file". */
	what: string;
	pkcs12?: boolean;
	/** On the legacy path (see `onLegacyPath`). */
	legacy?: boolean;
	/** Computed twice (PKCS#12 safe contents: here to list the certificates, then by OpenSSL). */
	twice?: boolean;
}

/** Work units of an iterated derivation: iterations × output blocks × digest weight. */
export function workOf(pbe: Pbe): number {
	const kdf = pbe.kdf as Exclude<Kdf, { kind: 'scrypt' }>;
	const digest = DIGESTS[kdf.digest] ?? { bytes: 32, weight: 3 };
	const blocks = (length: number) => Math.ceil(length / digest.bytes);
	const keyLength = (kdf.kind === 'pbkdf2' ? kdf.keyLength : undefined) ?? pbe.cipher?.keyLength ?? digest.bytes;
	// PBKDF1 derives key and IV from one block; the PKCS#12 derivation runs once for the key, once for the IV.
	const perIteration = kdf.kind === 'pbkdf1' ? 1 : kdf.kind === 'pkcs12' && pbe.cipher ? blocks(keyLength) + 1 : blocks(keyLength);
	return kdf.iterations * perIteration * digest.weight;
}

/**
 * Refuses the first derivation over its cap, then the sum.
 *
 * @throws MaterialError KDF_ITERATIONS_TOO_HIGH or KDF_COST_TOO_HIGH
 */
export function checkCosts(declared: DeclaredKdf[]): void {
	let total = 0;
	let scrypt = 0;
	for (const { pbe, what, pkcs12, legacy, twice } of declared) {
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
		const work = workOf(pbe);
		const cap = legacy ? KDF_CAPS.legacyWork : KDF_CAPS.work;
		const facts = { what, pkcs12, iterations: kdf.iterations, scheme: pbe.label, work, legacy: Boolean(legacy) };
		if (work > cap) throw fail('iterationsTooHigh', { ...facts, cap });
		total += twice ? 2 * work : work;
		if (total > KDF_CAPS.totalWork) throw fail('totalTooHigh', { ...facts, total, cap: KDF_CAPS.totalWork });
	}
}

/**
 * True when decrypting `pbe` here, rather than in OpenSSL, runs a loop in JavaScript (PKCS#12 and
 * PBES1 derivations) or a node-forge cipher: lib/tls/pbe.ts does that for what OpenSSL 3 refuses.
 */
export function onLegacyPath(pbe: Pbe): boolean {
	return pbe.kdf?.kind === 'pkcs12' || pbe.kdf?.kind === 'pbkdf1' || pbe.cipher?.engine === 'forge';
}
