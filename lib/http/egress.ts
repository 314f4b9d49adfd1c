import type { LookupAddress } from 'node:dns';
import { BlockList, isIP, LookupFunction } from 'node:net';

import { MtlsError, TransportError } from '../errors';
import { toTransportError } from './failures';

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
 * The unspecified addresses (RFC 1122, section 3.2.1.3; RFC 4291, section 2.5.2): connecting to
 * one reaches this machine, yet n8n 2.40.7's default rules let "::" through. Nobody's API lives
 * there, so with the rules on they are refused whatever the instance's ranges say.
 */
const UNSPECIFIED = new BlockList();
UNSPECIFIED.addSubnet('0.0.0.0', 8, 'ipv4');
UNSPECIFIED.addAddress('::', 'ipv6');

function isUnspecified(address: string): boolean {
	const family = isIP(address);
	return family !== 0 && UNSPECIFIED.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

function unspecified(host: string): TransportError {
	return blocked(host, new Error(`${host} is an unspecified address, which reaches this machine`));
}

/**
 * @throws TransportError EGRESS_BLOCKED before any connection to a forbidden URL, or what its
 *   DNS lookup failed with (HOST_NOT_FOUND, …): n8n's validateUrl resolves the host and rejects
 *   with the DNS error
 */
export async function checkUrl(filter: EgressFilter | undefined, url: URL, redirect = false): Promise<void> {
	if (!filter) return;
	if (isUnspecified(url.hostname.replace(/^\[(.*)\]$/, '$1'))) throw unspecified(url.host);
	if (redirect) {
		try {
			filter.validateRedirectSync(url.href);
		} catch (error) {
			throw blocked(url.host, error);
		}
	}
	let result: Awaited<ReturnType<EgressFilter['validateUrl']>>;
	try {
		result = await filter.validateUrl(url);
	} catch (error) {
		throw toTransportError(error, url);
	}
	if (!result.ok) throw refusal(url, result.error);
}

/** A DNS failure keeps its own code; anything else the filter returns is a refusal. */
function refusal(url: URL, error: Error): MtlsError {
	return typeof (error as { code?: unknown }).code === 'string' ? toTransportError(error, url) : blocked(url.host, error);
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
		lookup(hostname, options, (error, address, family) => {
			if (error) {
				callback(typeof error.code !== 'string' ? (blocked(hostname, error) as NodeJS.ErrnoException) : error, address, family);
				return;
			}
			const addresses = Array.isArray(address) ? (address as LookupAddress[]).map((entry) => entry.address) : [address];
			if (addresses.some(isUnspecified)) return callback(unspecified(hostname) as NodeJS.ErrnoException, '', 0);
			callback(null, address, family);
		});
}

/**
 * @throws TransportError EGRESS_BLOCKED for an IP literal no DNS lookup will see
 */
export function checkConnectionHost(filter: EgressFilter | undefined, host: string): void {
	if (!filter) return;
	if (isUnspecified(host)) throw unspecified(host);
	const result = filter.validateConnectionHost(host);
	if (!result.ok) throw blocked(host, result.error);
}
