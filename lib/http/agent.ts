import { createHash } from 'node:crypto';
import { isIP, LookupFunction } from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { Agent, buildConnector } from 'undici';

import type { TlsMaterial } from '../tls/material';
import { SessionStore } from '../tls/sessions';
import { checkConnectionHost, EgressFilter, secureLookupOf } from './egress';
import { openTunnel, ProxyConfig, proxyFor } from './proxy';
import { HANDSHAKE_INTERRUPTED } from './failures';

export interface AgentOptions {
	/** Most connections kept to one origin; more requests wait for a free one. */
	connectionsPerOrigin?: number;
	/** Milliseconds to establish TCP + TLS. */
	connectTimeout?: number;
	/** Where TLS sessions are kept for resumption; without it, sessions live as long as the Agent. */
	sessions?: SessionStore;
	/** SNI and the name the server certificate must match, instead of the URL's host. */
	serverName?: string;
	/** Accept a server certificate that does not verify (the client certificate is still sent). */
	allowUnauthorized?: boolean;
	/** SHA-256 digests (base64) of allowed server public keys; checked on every connection. */
	pins?: string[];
	/** Offer HTTP/2 by ALPN. */
	allowH2?: boolean;
	/** The n8n instance's outbound rules, applied to every address connected to. */
	egress?: EgressFilter;
	/** An HTTP proxy to tunnel through (CONNECT); TLS with the client certificate runs inside. */
	proxy?: ProxyConfig;
}

/** What every connection of an Agent shares. */
interface ConnectionPolicy {
	sessions: SessionStore;
	timeout: number;
	serverName?: string;
	allowUnauthorized: boolean;
	pins: string[];
	allowH2: boolean;
	egress?: EgressFilter;
	lookup?: LookupFunction;
	proxy?: ProxyConfig;
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
		allowH2: options.allowH2 ?? false,
		connect: createConnector(material, {
			sessions: options.sessions ?? new SessionStore(),
			timeout: options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS,
			serverName: options.serverName || undefined,
			allowUnauthorized: options.allowUnauthorized ?? false,
			pins: options.pins ?? [],
			allowH2: options.allowH2 ?? false,
			egress: options.egress,
			lookup: secureLookupOf(options.egress),
			proxy: options.proxy,
		}),
	});
}

export interface TlsTarget {
	host: string;
	port: number;
	servername?: string;
	session?: Buffer;
	/** Verify the server certificate (default true). */
	rejectUnauthorized?: boolean;
	timeout: number;
	alpn?: string[];
	/** DNS lookup that enforces outbound rules on the resolved addresses. */
	lookup?: LookupFunction;
	/** An established tunnel to run TLS in, instead of a new TCP connection. */
	socket?: Duplex;
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
		ALPNProtocols: target.alpn ?? ['http/1.1'],
		lookup: target.lookup,
		socket: target.socket,
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
function createConnector(material: TlsMaterial, policy: ConnectionPolicy): buildConnector.connector {
	const { sessions, timeout } = policy;
	return ({ hostname, port, servername }, callback) => {
		const host = hostname.replace(/^\[(.*)\]$/, '$1');
		const sni = policy.serverName ?? (servername || serverNameFor(host));
		const portNumber = Number(port) || 443;
		// A session carries the client identity and the verification result it was made with.
		const key = `${material.fingerprint}|${host}|${portNumber}|${sni ?? ''}|${policy.allowUnauthorized ? 'unverified' : 'verified'}`;
		const proxy = proxyFor(policy.proxy, host, portNumber);
		try {
			// An IP address is never looked up, so the outbound rules are checked on it directly.
			const connectHost = proxy ? proxy.hostname.replace(/^\[(.*)\]$/, '$1') : host;
			if (isIP(connectHost)) checkConnectionHost(policy.egress, connectHost);
		} catch (error) {
			callback(error as Error, null);
			return;
		}
		let pending: buildConnector.Callback | undefined = callback;
		const settle = (error: Error | null, socket?: tls.TLSSocket) => {
			const done = pending;
			pending = undefined;
			if (!done) return;
			if (error) done(markHandshakeInterrupted(error), null);
			else done(null, keepTlsAlert(socket as tls.TLSSocket));
		};
		const startTls = (tunnel?: Duplex) => {
			const socket = openTlsSocket(material, {
				host,
				port: portNumber,
				servername: sni,
				session: sessions.get(key),
				timeout,
				rejectUnauthorized: !policy.allowUnauthorized,
				alpn: policy.allowH2 ? ['h2', 'http/1.1'] : ['http/1.1'],
				lookup: policy.lookup,
				socket: tunnel,
			});
			if (!tunnel) socket.setNoDelay(true).setKeepAlive(true, 60_000);
			socket
				.on('session', (session: Buffer) => sessions.set(key, session))
				.once('secureConnect', () => {
					const mismatch = checkPins(socket, policy.pins);
					if (mismatch) socket.destroy(mismatch);
					else settle(null, socket);
				})
				.on('error', (error) => settle(error));
		};
		if (!proxy) return startTls();
		openTunnel(proxy, host, portNumber, { timeout, lookup: policy.lookup }).then(
			(tunnel) => startTls(tunnel.setNoDelay(true).setKeepAlive(true, 60_000)),
			(error: Error) => settle(error),
		);
	};
}

/** The curl-style pin of a server's public key: SHA-256 of its DER SubjectPublicKeyInfo, base64. */
export function publicKeyPinOf(socket: tls.TLSSocket): string | undefined {
	const certificate = socket.getPeerX509Certificate();
	return certificate && createHash('sha256').update(certificate.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
}

function checkPins(socket: tls.TLSSocket, pins: string[]): Error | undefined {
	if (pins.length === 0) return undefined;
	const seen = publicKeyPinOf(socket);
	if (seen && pins.includes(seen)) return undefined;
	return Object.assign(new Error('The server public key does not match the pinned keys'), { code: 'ERR_MTLS_PIN_MISMATCH', seenPin: seen ? `sha256//${seen}` : 'none' });
}

/*
 * A server that refuses the client certificate says so in ways undici does not pass on, and the
 * certificate is what users most need to hear about:
 * - servers built on Node's `tls` close the connection during the handshake without an alert,
 *   which reaches us as a bare ECONNRESET, like any dropped connection;
 * - under TLS 1.3 the server checks the client certificate after the client has finished its side
 *   of the handshake (RFC 8446, section 4.4.2.4), so the alert of an OpenSSL-based server ("unknown
 *   ca", "certificate required") arrives while the first request is in flight. undici keeps it,
 *   then overwrites it with the "other side closed" error of the end of stream that follows.
 */

function markHandshakeInterrupted(error: Error): Error {
	// A refused TCP connection is ECONNREFUSED: a reset before secureConnect came during TLS.
	if ((error as { code?: unknown }).code !== 'ECONNRESET') return error;
	return Object.assign(new Error('The connection was closed during the TLS handshake', { cause: error }), { code: HANDSHAKE_INTERRUPTED });
}

const TLS_ALERT = /^ERR_SSL_(SSLV3|TLSV1|TLSV13)_ALERT_/;

/** Puts the server's TLS alert on `cause` of the socket error undici reports after it. */
function keepTlsAlert(socket: tls.TLSSocket): tls.TLSSocket {
	let alert: Error | undefined;
	socket.prependListener('error', (error: Error & { code?: unknown }) => {
		if (!alert && typeof error.code === 'string' && TLS_ALERT.test(error.code)) alert = error;
		else if (alert && error !== alert && error.cause === undefined) error.cause = alert;
	});
	return socket;
}
