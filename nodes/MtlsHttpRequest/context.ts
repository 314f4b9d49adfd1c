import type { IExecuteFunctions } from 'n8n-workflow';

import type { EgressFilter } from '../../lib/http/egress';

/** What the node takes from n8n's execution context besides parameters and credentials. */

/** Execution hints appear above the output in the editor; older n8n versions have none. */
export function addHints(ctx: IExecuteFunctions, messages: string[]): void {
	if (messages.length === 0) return;
	ctx.addExecutionHints?.(...messages.map((message) => ({ message, type: 'warning' as const, location: 'outputPane' as const })));
}

/**
 * The instance's outbound rules (n8n 2.x), so an admin's SSRF protection covers this node's own
 * HTTP client too. n8n versions without it get no filter, as with any node there.
 */
export function egressFilterOf(ctx: IExecuteFunctions): EgressFilter | undefined {
	const helpers = ctx.helpers as Partial<Pick<IExecuteFunctions['helpers'], 'getSecureEgressFilter'>>;
	return typeof helpers.getSecureEgressFilter === 'function' ? (helpers.getSecureEgressFilter() as EgressFilter) : undefined;
}
