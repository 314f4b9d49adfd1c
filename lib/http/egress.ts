import type { LookupFunction } from 'node:net';

import { TransportError } from '../errors';

/**
 * The outbound rules of the n8n instance, in the shape n8n hands to nodes with their own HTTP
 * client (`getSecureEgressFilter()` in n8n 2.x). Structural, so lib/ needs nothing from n8n;
 * without it (older n8n) nothing is filtered.
 */
export interface EgressFilter {
	validateUrl(url: string | URL): Promise<{ ok: true } | { ok: false; error: Error }>;
	validateConnectionHost(host: string): { ok: true } | { ok: false; error: Error };
	createSecureLookup(): LookupFunction;
	validateRedirectSync(url: string): void;
}

function blocked(host: string, cause: unknown): TransportError {
	return new TransportError('EGRESS_BLOCKED', `Connections to ${host} are not allowed by this n8n instance's outbound rules`, {
		description: "An administrator restricts which addresses workflows may reach (n8n's SSRF protection). Ask them to allow the partner's host, or check the URL.",
		cause,
	});
}

/**
 * @throws TransportError EGRESS_BLOCKED before any connection to a forbidden URL
 */
export async function checkUrl(filter: EgressFilter | undefined, url: URL, redirect = false): Promise<void> {
	if (!filter) return;
	if (redirect) {
		try {
			filter.validateRedirectSync(url.href);
		} catch (error) {
			throw blocked(url.host, error);
		}
	}
	const result = await filter.validateUrl(url);
	if (!result.ok) throw blocked(url.host, result.error);
}

/**
 * The filter's DNS lookup, with its refusals turned into EGRESS_BLOCKED. n8n refuses an address
 * with an error that has no `code` (SsrfBlockedIpError), unlike a failed DNS query (ENOTFOUND,
 * EAI_AGAIN, …), which passes through as it is.
 */
export function secureLookupOf(filter: EgressFilter | undefined): LookupFunction | undefined {
	if (!filter) return undefined;
	const lookup = filter.createSecureLookup();
	return (hostname, options, callback) =>
		lookup(hostname, options, (error, address, family) =>
			callback(error && typeof error.code !== 'string' ? (blocked(hostname, error) as NodeJS.ErrnoException) : error, address, family),
		);
}

/**
 * @throws TransportError EGRESS_BLOCKED for an IP literal no DNS lookup will see
 */
export function checkConnectionHost(filter: EgressFilter | undefined, host: string): void {
	if (!filter) return;
	const result = filter.validateConnectionHost(host);
	if (!result.ok) throw blocked(host, result.error);
}
