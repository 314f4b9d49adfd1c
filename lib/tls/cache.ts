import { checkValidity, fingerprintOf, loadMaterial, LoadOptions, MaterialInput, TlsMaterial } from './material';

/**
 * Parsed credentials of recent executions, in memory only, so a schedule firing every minute
 * does not decrypt the key again. An entry holds the TLS secure context (the decrypted key lives
 * in OpenSSL's memory) and public certificate facts, never the passphrase or PEM text. Entries are
 * keyed by a hash of all credential fields, so an edited credential is parsed afresh.
 */
export class MaterialCache {
	private readonly entries = new Map<string, { material: TlsMaterial; usedAt: number }>();

	constructor(
		private readonly maxEntries = 16,
		private readonly idleMs = 15 * 60 * 1000,
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
		const material = loadMaterial(input, { ...options, now });
		if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
		this.entries.set(key, { material, usedAt: now.getTime() });
		return material;
	}

	get size(): number {
		return this.entries.size;
	}

	clear(): void {
		this.entries.clear();
	}

	[Symbol.for('nodejs.util.inspect.custom')](): string {
		return `MaterialCache { size: ${this.entries.size} }`;
	}
}

/** The process-wide cache the node uses. */
export const sharedMaterials = new MaterialCache();
