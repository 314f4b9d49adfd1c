import { setTimeout as sleep } from 'node:timers/promises';
import type { Agent } from 'undici';

/**
 * How long an Agent may take to finish its requests once an execution closes it. By then every
 * item has finished, so a request still running is a body nobody reads, and close() would wait
 * for it forever (undici's body timeout does not fire for a paused body).
 */
export const CLOSE_GRACE_MS = 2_000;
const POLL_MS = 25;

/**
 * Closes the Agent gracefully once no request is running, or destroys it when one still runs
 * after `graceMs`. Says which it came to.
 *
 * It waits before calling close() rather than racing it: undici's Agent forgets its pools when
 * close() starts, so a destroy() after a pending close() has nothing left to destroy and the
 * busy connection stays open.
 */
export async function closeAgent(agent: Agent, graceMs = CLOSE_GRACE_MS): Promise<'closed' | 'destroyed'> {
	const deadline = Date.now() + graceMs;
	while (isBusy(agent) && Date.now() < deadline) await sleep(POLL_MS);
	if (isBusy(agent)) {
		await agent.destroy();
		return 'destroyed';
	}
	await agent.close();
	return 'closed';
}

function isBusy(agent: Agent): boolean {
	return Object.values(agent.stats).some((stats) => stats.running > 0 || stats.pending > 0 || ('queued' in stats && stats.queued > 0));
}
