import { inspect } from 'node:util';

export interface TokenFacts {
	readonly tokenType: 'Bearer';
	readonly scope?: string;
	/** Milliseconds since the epoch. */
	readonly obtainedAt: number;
	readonly expiresAt: number;
	/** true: `cnf.x5t#S256` matches the certificate; false: a JWT without `cnf`; null: opaque. */
	readonly bound: boolean | null;
	/** The credential material it was obtained with (TlsMaterial.fingerprint). */
	readonly fingerprint: string;
}

/**
 * An access token and what is known about it. The token is a private field: JSON.stringify,
 * util.inspect and error serializers see only the facts, so it cannot slip into logs or items.
 */
export class CachedToken implements TokenFacts {
	readonly #value: string;
	readonly tokenType = 'Bearer' as const;
	readonly scope?: string;
	readonly obtainedAt: number;
	readonly expiresAt: number;
	readonly bound: boolean | null;
	readonly fingerprint: string;

	constructor(value: string, facts: Omit<TokenFacts, 'tokenType'>) {
		this.#value = value;
		this.scope = facts.scope;
		this.obtainedAt = facts.obtainedAt;
		this.expiresAt = facts.expiresAt;
		this.bound = facts.bound;
		this.fingerprint = facts.fingerprint;
	}

	/** The Authorization header value (RFC 6750 §2.1). */
	authorization(): string {
		return `Bearer ${this.#value}`;
	}

	/** The token itself, for the binding check and tests. */
	reveal(): string {
		return this.#value;
	}
}

interface Entry {
	token: CachedToken;
	refreshAt: number;
}

/** Lifetime assumed when the server gives no expires_in (RFC 6749 §5.1 only recommends it). */
export const DEFAULT_LIFETIME_MS = 5 * 60 * 1000;
/** Refresh this long before expiry at most, so a request does not leave with a token about to lapse. */
const MAX_MARGIN_MS = 60 * 1000;

/**
 * Access tokens in process memory, keyed by credential fingerprint + token endpoint + client and
 * request settings. Concurrent callers of one key share a single token request (single flight);
 * a token is reused until `expires_in` minus a margin (10 % of its life, at most 60 s).
 * Nothing is written to disk, execution data or logs.
 */
export class TokenCache {
	private readonly entries = new Map<string, Entry>();
	private readonly inflight = new Map<string, Promise<CachedToken>>();

	constructor(
		private readonly now: () => number = Date.now,
		private readonly maxEntries = 64,
	) {}

	/** The cached token for `key`, or the one `fetch` obtains (one fetch at a time per key). */
	async get(key: string, fetch: () => Promise<CachedToken>): Promise<CachedToken> {
		const entry = this.entries.get(key);
		if (entry && this.now() < entry.refreshAt) {
			// Most recently used last, so the bound evicts the credential unused the longest.
			this.entries.delete(key);
			this.entries.set(key, entry);
			return entry.token;
		}
		const pending = this.inflight.get(key);
		if (pending) return pending;
		const settled = fetch()
			.then(
				(token) => this.store(key, token),
				(error: unknown) => {
					// A refresh that fails inside the margin leaves a token that still works: use it.
					const current = this.entries.get(key);
					if (current && this.now() < current.token.expiresAt) return current.token;
					throw error;
				},
			)
			.finally(() => this.inflight.delete(key));
		this.inflight.set(key, settled);
		return settled;
	}

	/**
	 * Drops the token of `key` after the API rejected it, unless a newer one has replaced it
	 * meanwhile (another item's retry already fetched it).
	 */
	reject(key: string, token: CachedToken): void {
		if (this.entries.get(key)?.token === token) this.entries.delete(key);
	}

	/** Drops every token obtained with the given credential material (after a rotation). */
	dropMaterial(fingerprint: string): number {
		let dropped = 0;
		for (const [key, entry] of this.entries) {
			if (entry.token.fingerprint !== fingerprint) continue;
			this.entries.delete(key);
			dropped++;
		}
		return dropped;
	}

	has(key: string): boolean {
		return this.entries.has(key);
	}

	get size(): number {
		return this.entries.size;
	}

	clear(): void {
		this.entries.clear();
	}

	/** A refresh never throws away a token that lives longer than the one it brought. */
	private store(key: string, token: CachedToken): CachedToken {
		const existing = this.entries.get(key);
		if (existing && existing.token.expiresAt > token.expiresAt && this.now() < existing.refreshAt) return existing.token;
		const lifetime = token.expiresAt - token.obtainedAt;
		this.entries.delete(key);
		if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
		this.entries.set(key, { token, refreshAt: token.expiresAt - Math.min(MAX_MARGIN_MS, lifetime / 10) });
		return token;
	}

	[inspect.custom](): string {
		return `TokenCache { size: ${this.entries.size} }`;
	}
}

/** The process-wide cache the node uses: a schedule running every minute reuses the token. */
export const sharedTokens = new TokenCache();
