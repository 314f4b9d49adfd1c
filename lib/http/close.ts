import type { Dispatcher } from 'undici';

/**
 * How long a dispatcher may take to close gracefully. By the time an execution closes its Agent
 * every item has finished, so a connection still busy is a body nobody reads, and close() would
 * wait for it forever (undici's body timeout does not fire for a paused body).
 */
export const CLOSE_GRACE_MS = 2_000;

/**
 * Closes the dispatcher, letting requests in flight finish; destroys it when that takes longer
 * than `graceMs`. Says which it came to.
 */
export async function closeDispatcher(dispatcher: Dispatcher, graceMs = CLOSE_GRACE_MS): Promise<'closed' | 'destroyed'> {
	let timer: NodeJS.Timeout | undefined;
	const closing = dispatcher.close().then(() => 'closed' as const);
	const grace = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
	try {
		if ((await Promise.race([closing, grace])) === 'closed') return 'closed';
	} finally {
		clearTimeout(timer);
	}
	// destroy() also settles the pending close(); its outcome no longer matters.
	closing.catch(() => undefined);
	await dispatcher.destroy();
	return 'destroyed';
}
