import { isIP, LookupFunction } from 'node:net';

import { EgressFilter, secureLookupOf } from './egress';
import type { ProxyConfig } from './proxy';

/**
 * How every connection to a partner is made: the same rules for executions, the credential's Test
 * button and Certificate Info, so none of them reaches what another may not, or takes a different
 * route.
 */
export interface TransportPolicy {
	/** The n8n instance's outbound rules, applied to every address connected to. */
	egress?: EgressFilter;
	/** An HTTP proxy to tunnel through (CONNECT); TLS with the client certificate runs inside. */
	proxy?: ProxyConfig;
	/** SNI and the name the server certificate must match, instead of the URL's host. */
	serverName?: string;
	/** Accept a server certificate that does not verify (the client certificate is still sent). */
	allowUnauthorized?: boolean;
	/** SHA-256 digests (base64) of allowed server public keys; checked on every connection. */
	pins?: string[];
}

/** A policy ready for connections: defaults filled in, the outbound rules' DNS lookup made once. */
export interface ConnectionPolicy {
	egress?: EgressFilter;
	lookup?: LookupFunction;
	proxy?: ProxyConfig;
	serverName?: string;
	allowUnauthorized: boolean;
	pins: string[];
}

export function preparePolicy(policy: TransportPolicy = {}): ConnectionPolicy {
	return {
		egress: policy.egress,
		lookup: secureLookupOf(policy.egress),
		proxy: policy.proxy,
		serverName: policy.serverName || undefined,
		allowUnauthorized: policy.allowUnauthorized ?? false,
		pins: policy.pins ?? [],
	};
}

/**
 * The name sent as SNI and checked against the server certificate: the "Server Name" option, else
 * the URL's host. Never a Host header: undici would make one the TLS name, so a header meant for
 * the HTTP layer would silently change which certificate is accepted. SNI carries host names only
 * (RFC 6066, section 3), so an IP address is checked against the certificate's IP entries.
 */
export function serverNameOf(policy: Pick<TransportPolicy, 'serverName'>, host: string): string | undefined {
	return policy.serverName || (isIP(host) ? undefined : host);
}
