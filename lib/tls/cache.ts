import { MATERIAL_CODES, MaterialError } from '../errors';
import { checkValidity, fingerprintOf, loadMaterial, LoadOptions, MaterialInput, TlsMaterial } from './material';

/** Failures that depend on the clock, not on the credential: never remembered. */
const DATED = new Set<string>([MATERIAL_CODES.CERTIFICATE_EXPIRED, MATERIAL_CODES.CERTIFICATE_NOT_YET_VALID]);

/**
 * Parsed credentials of recent executions, in memory only, so a schedule firing every minute
 * does not decrypt the key again. An entry holds the TLS secure context (the decrypted key lives
 * in OpenSSL's memory) and public certificate facts, never the passphrase or PEM text. Entries are
 * keyed by a hash of all credential fields, so an edited credential is parsed afresh.
 *
 * Failures are remembered too, for `failureMs`: a wrong passphrase on a file with 600,000 PBKDF2
 * iterations costs a few hundred milliseconds of blocked event loop, and without this every
 * execution (and every retry of a failing schedule) would pay it again.
 */
export class MaterialCache {
	private readonly entries = new Map<string, { material: TlsMaterial; usedAt: number }>();
	private readonly failures = new Map<string, { error: MaterialError; at: number }>();

	constructor(
		private readonly maxEntries = 16,
		private readonly idleMs = 15 * 60 * 1000,
		private readonly failureMs = 5 * 60 * 1000,
	) {}

	/**
	 * @throws MaterialError as loadMaterial does; validity dates are checked on every call
	 */
	load(input: MaterialInput, options: LoadOptions = {}): TlsMaterial {
		const now = options.now ?? new Date();
		// The secure context carries the TLS versions, so they are part of what is cached.
		const key = `${fingerprintOf(input)}|${options.versions?.min ?? ''}|${options.versions?.max ?? ''}`;
		const entry = this.entries.get(key);
		this.entries.delete(key);
		if (entry && now.getTime() - entry.usedAt <= this.idleMs) {
			if (options.checkValidity ?? true) checkValidity(entry.material.leaf, now);
			this.entries.set(key, { material: entry.material, usedAt: now.getTime() });
			return entry.material;
		}
		const failure = this.failures.get(key);
		if (failure && now.getTime() - failure.at <= this.failureMs) throw failure.error;
		this.failures.delete(key);
		let material: TlsMaterial;
		try {
			material = loadMaterial(input, { ...options, now });
		} catch (error) {
			if (error instanceof MaterialError && !DATED.has(error.code)) this.remember(key, error, now);
			throw error;
		}
		if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
		this.entries.set(key, { material, usedAt: now.getTime() });
		return material;
	}

	private remember(key: string, error: MaterialError, now: Date): void {
		if (this.failures.size >= this.maxEntries * 4) this.failures.delete(this.failures.keys().next().value as string);
		this.failures.set(key, { error, at: now.getTime() });
	}

	/** Credentials parsed successfully and held. */
	get size(): number {
		return this.entries.size;
	}

	/** Credentials whose last load failed, remembered for `failureMs`. */
	get failureCount(): number {
		return this.failures.size;
	}

	clear(): void {
		this.entries.clear();
		this.failures.clear();
	}

	[Symbol.for('nodejs.util.inspect.custom')](): string {
		return `MaterialCache { size: ${this.entries.size} }`;
	}
}

/** The process-wide cache the node uses. */
export const sharedMaterials = new MaterialCache();
