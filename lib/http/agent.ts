import { Agent } from 'undici';

import type { TlsMaterial } from '../tls/material';

export interface AgentOptions {
	/** Most connections kept to one origin; more requests wait for a free one. */
	connectionsPerOrigin?: number;
	/** Milliseconds to establish TCP + TLS. */
	connectTimeout?: number;
}

export const DEFAULT_CONNECTIONS_PER_ORIGIN = 10;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * The one place that maps our material and options onto undici and `tls.connect`. Every
 * connection shares the prebuilt secure context, so the key is loaded once per execution and
 * neither the key nor the passphrase travels in connect options.
 */
export function createAgent(material: TlsMaterial, options: AgentOptions = {}): Agent {
	return new Agent({
		connections: options.connectionsPerOrigin ?? DEFAULT_CONNECTIONS_PER_ORIGIN,
		pipelining: 1,
		allowH2: false,
		connect: {
			secureContext: material.secureContext,
			rejectUnauthorized: true,
			timeout: options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS,
		},
	});
}
