import type { IExecuteFunctions } from 'n8n-workflow';

import type { EgressFilter } from '../../lib/http/egress';
import type { TransportPolicy } from '../../lib/http/policy';
import { ProxyConfig, resolveProxy } from '../../lib/http/proxy';
import { ssrfFilterFromEnv } from '../../lib/http/ssrf';
import type { TlsSettings } from './parameters';

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
export function egressFilterOf(ctx: { helpers: object }): EgressFilter | undefined {
	const helpers = ctx.helpers as Partial<Pick<IExecuteFunctions['helpers'], 'getSecureEgressFilter'>>;
	return typeof helpers.getSecureEgressFilter === 'function' ? (helpers.getSecureEgressFilter() as EgressFilter) : undefined;
}

/** How requests and Certificate Info connect: the instance's outbound rules and the node's TLS and proxy options. */
export function transportPolicyOf(ctx: IExecuteFunctions, settings: { tls: TlsSettings; proxy?: ProxyConfig }): TransportPolicy {
	return {
		egress: egressFilterOf(ctx),
		proxy: settings.proxy,
		serverName: settings.tls.serverName,
		allowUnauthorized: settings.tls.allowUnauthorized,
		pins: settings.tls.pins,
	};
}

/**
 * How the credential's Test button connects. n8n hands a credential test no egress filter, so the
 * instance's SSRF protection is rebuilt from its own settings (see lib/http/ssrf.ts): the Test
 * must not reach what an execution may not. The credential has no proxy field (a route is the
 * workflow's choice, not part of an identity), so HTTPS_PROXY / NO_PROXY apply, as they do to
 * executions without a Proxy option.
 *
 * @throws TypeError for an HTTPS_PROXY that is not a URL
 */
export function credentialTestPolicy(): TransportPolicy {
	return { egress: ssrfFilterFromEnv(), proxy: resolveProxy(undefined) };
}
