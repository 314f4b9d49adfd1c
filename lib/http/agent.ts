import { isIP } from 'node:net';
import * as tls from 'node:tls';
import { Agent, buildConnector } from 'undici';

import type { TlsMaterial } from '../tls/material';
import { SessionStore } from '../tls/sessions';

export interface AgentOptions {
	/** Most connections kept to one origin; more requests wait for a free one. */
	connectionsPerOrigin?: number;
	/** Milliseconds to establish TCP + TLS. */
	connectTimeout?: number;
	/** Where TLS sessions are kept for resumption; without it, sessions live as long as the Agent. */
	sessions?: SessionStore;
}

export const DEFAULT_CONNECTIONS_PER_ORIGIN = 10;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * The one place that maps our material and options onto undici and `tls.connect`. Every
 * connection shares the prebuilt secure context, so the key is loaded once and neither the key
 * nor the passphrase travels in connect options.
 */
export function createAgent(material: TlsMaterial, options: AgentOptions = {}): Agent {
	return new Agent({
		connections: options.connectionsPerOrigin ?? DEFAULT_CONNECTIONS_PER_ORIGIN,
		pipelining: 1,
		allowH2: false,
		connect: createConnector(material, options.sessions ?? new SessionStore(), options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS),
	});
}

export interface TlsTarget {
	host: string;
	port: number;
	servername?: string;
	session?: Buffer;
	/** Only for inspecting a server's certificates; requests always verify the server. */
	rejectUnauthorized?: boolean;
	timeout: number;
}

/**
 * The one mapping of our material onto `tls.connect`. An idle timer, not a deadline, bounds the
 * handshake: one that makes progress is not cut off.
 */
export function openTlsSocket(material: TlsMaterial, target: TlsTarget): tls.TLSSocket {
	const socket = tls.connect({
		host: target.host,
		port: target.port,
		servername: target.servername,
		secureContext: material.secureContext,
		rejectUnauthorized: target.rejectUnauthorized ?? true,
		session: target.session,
		ALPNProtocols: ['http/1.1'],
	});
	socket.setTimeout(target.timeout, () => {
		socket.destroy(Object.assign(new Error(`Connecting to ${target.host}:${target.port} timed out after ${target.timeout} ms`), { code: 'UND_ERR_CONNECT_TIMEOUT' }));
	});
	socket.once('secureConnect', () => socket.setTimeout(0));
	return socket;
}

/** SNI carries host names only (RFC 6066, section 3). */
export function serverNameFor(host: string): string | undefined {
	return isIP(host) ? undefined : host;
}

/**
 * Opens TLS connections like undici's own connector, but keeps sessions in a store that outlives
 * the Agent (undici's cache is per connector and only weakly held), keyed by credential and
 * destination.
 */
function createConnector(material: TlsMaterial, sessions: SessionStore, timeout: number): buildConnector.connector {
	return ({ hostname, port, servername }, callback) => {
		const host = hostname.replace(/^\[(.*)\]$/, '$1');
		const sni = servername || serverNameFor(host);
		const portNumber = Number(port) || 443;
		const key = `${material.fingerprint}|${host}|${portNumber}|${sni ?? ''}`;
		let pending: buildConnector.Callback | undefined = callback;
		const settle = (error: Error | null, socket?: tls.TLSSocket) => {
			const done = pending;
			pending = undefined;
			if (!done) return;
			if (error) done(error, null);
			else done(null, socket as tls.TLSSocket);
		};
		const socket = openTlsSocket(material, { host, port: portNumber, servername: sni, session: sessions.get(key), timeout });
		socket
			.setNoDelay(true)
			.setKeepAlive(true, 60_000)
			.on('session', (session: Buffer) => sessions.set(key, session))
			.once('secureConnect', () => settle(null, socket))
			.on('error', (error) => settle(error));
	};
}
