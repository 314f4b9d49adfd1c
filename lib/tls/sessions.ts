/**
 * TLS sessions kept between executions, so a schedule that runs every minute resumes its
 * session instead of paying a full handshake each time. Keys always include the credential's
 * fingerprint: a resumed session carries the client identity it was made with, so it must never
 * be offered on behalf of another credential.
 *
 * Each stored session is handed out once: TLS 1.3 clients should not reuse a ticket on several
 * connections (RFC 8446, appendix C.4), and servers that accept a ticket only once would turn the
 * second use into a full handshake anyway. Servers send several tickets per connection; a few are
 * kept per destination.
 */
export interface StoredSession {
	session: Buffer;
	/**
	 * The pin of the server key seen on the connection that made the session, once it matched the
	 * pinned keys. A resumed handshake shows no server certificate, so this is what a resumption
	 * checks against.
	 */
	pin?: string;
}

interface Entry extends StoredSession {
	storedAt: number;
}

export class SessionStore {
	private readonly sessions = new Map<string, Entry[]>();

	constructor(
		private readonly maxKeys = 256,
		private readonly maxAgeMs = 60 * 60 * 1000,
		private readonly perKey = 4,
	) {}

	/** Takes a fresh session for the destination, if one is kept. */
	get(key: string, now = Date.now()): StoredSession | undefined {
		const queue = this.sessions.get(key);
		while (queue?.length) {
			const { storedAt, ...stored } = queue.pop() as Entry;
			if (now - storedAt <= this.maxAgeMs) return stored;
		}
		this.sessions.delete(key);
		return undefined;
	}

	set(key: string, stored: StoredSession, now = Date.now()): void {
		const queue = this.sessions.get(key) ?? [];
		this.sessions.delete(key);
		if (this.sessions.size >= this.maxKeys) this.sessions.delete(this.sessions.keys().next().value as string);
		queue.push({ ...stored, storedAt: now });
		if (queue.length > this.perKey) queue.shift();
		this.sessions.set(key, queue);
	}

	/** Destinations with at least one session kept. */
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
