/**
 * TLS sessions kept between executions, so a schedule that runs every minute resumes its
 * session instead of paying a full handshake each time. Keys always include the credential's
 * fingerprint: a resumed session carries the client identity it was made with, so it must never
 * be offered on behalf of another credential.
 */
export class SessionStore {
	private readonly sessions = new Map<string, { session: Buffer; storedAt: number }>();

	constructor(
		private readonly maxEntries = 256,
		private readonly maxAgeMs = 60 * 60 * 1000,
	) {}

	get(key: string, now = Date.now()): Buffer | undefined {
		const entry = this.sessions.get(key);
		if (!entry) return undefined;
		if (now - entry.storedAt > this.maxAgeMs) {
			this.sessions.delete(key);
			return undefined;
		}
		return entry.session;
	}

	set(key: string, session: Buffer, now = Date.now()): void {
		this.sessions.delete(key);
		if (this.sessions.size >= this.maxEntries) this.sessions.delete(this.sessions.keys().next().value as string);
		this.sessions.set(key, { session, storedAt: now });
	}

	/** Forgets every session of one credential, e.g. after the server rejected it. */
	forget(prefix: string): void {
		for (const key of this.sessions.keys()) if (key.startsWith(prefix)) this.sessions.delete(key);
	}

	get size(): number {
		return this.sessions.size;
	}

	/** Session tickets are secrets of their own: never print them. */
	[Symbol.for('nodejs.util.inspect.custom')](): string {
		return `SessionStore { size: ${this.sessions.size} }`;
	}
}

/** The process-wide store the node uses. */
export const sharedSessions = new SessionStore();
