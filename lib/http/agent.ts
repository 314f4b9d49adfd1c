import { createHash, X509Certificate } from 'node:crypto';
import { isIP, LookupFunction } from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { Agent, buildConnector } from 'undici';

import type { TlsMaterial } from '../tls/material';
import { SessionStore, StoredSession } from '../tls/sessions';
import { checkConnectionHost } from './egress';
import { HANDSHAKE_INTERRUPTED, PinMismatchError } from './failures';
import { ConnectionPolicy, preparePolicy, serverNameOf, TransportPolicy } from './policy';
import { openTunnel, proxyFor } from './proxy';

export interface AgentOptions extends TransportPolicy {
	/** Most connections kept to one origin; more requests wait for a free one. */
	connectionsPerOrigin?: number;
	/** Milliseconds to establish TCP + TLS. */
	connectTimeout?: number;
	/** Where TLS sessions are kept for resumption; without it, sessions live as long as the Agent. */
	sessions?: SessionStore;
	/** Offer HTTP/2 by ALPN. */
	allowH2?: boolean;
}

export const DEFAULT_CONNECTIONS_PER_ORIGIN = 10;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * The one place that maps our material and options onto undici and `tls.connect`. Every
 * connection shares the prebuilt secure context, so the key is loaded once and neither the key
 * nor the passphrase travels in connect options.
 */
export function createAgent(material: TlsMaterial, options: AgentOptions = {}): Agent {
	const allowH2 = options.allowH2 ?? false;
	return new Agent({
		connections: options.connectionsPerOrigin ?? DEFAULT_CONNECTIONS_PER_ORIGIN,
		pipelining: 1,
		allowH2,
		connect: createConnector(material, preparePolicy(options), {
			sessions: options.sessions ?? new SessionStore(),
			timeout: options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS,
			alpn: allowH2 ? ['h2', 'http/1.1'] : ['http/1.1'],
		}),
	});
}

export interface TlsTarget {
	host: string;
	port: number;
	/** Client certificate and trust store; a context without a certificate presents none. */
	secureContext: tls.SecureContext;
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
	/** Checks the server's certificate before the client certificate is sent (see checkBeforePresenting). */
	checkServer?: (socket: tls.TLSSocket) => Error | undefined;
}

/**
 * The one mapping onto `tls.connect`. An idle timer, not a deadline, bounds the handshake: one
 * that makes progress is not cut off.
 */
export function openTlsSocket(target: TlsTarget): tls.TLSSocket {
	const socket = tls.connect({
		host: target.host,
		port: target.port,
		servername: target.servername,
		secureContext: target.secureContext,
		rejectUnauthorized: target.rejectUnauthorized ?? true,
		session: target.session,
		ALPNProtocols: target.alpn ?? ['http/1.1'],
		lookup: target.lookup,
		socket: target.socket,
		// Passed on to the TLSSocket by tls.connect, though @types/node lists it for TLSSocket only.
		...({ requestOCSP: target.checkServer !== undefined } as tls.ConnectionOptions),
	});
	const { checkServer } = target;
	if (checkServer) {
		socket.once('OCSPResponse', () => {
			const refusal = checkServer(socket);
			if (refusal) socket.destroy(refusal);
		});
	}
	socket.setTimeout(target.timeout, () => {
		socket.destroy(Object.assign(new Error(`Connecting to ${target.host}:${target.port} timed out after ${target.timeout} ms`), { code: 'UND_ERR_CONNECT_TIMEOUT' }));
	});
	socket.once('secureConnect', () => socket.setTimeout(0));
	return socket;
}

export interface SecureConnectOptions {
	secureContext: tls.SecureContext;
	timeout: number;
	/** Verify the server certificate; default: as the policy says. */
	rejectUnauthorized?: boolean;
	session?: Buffer;
	alpn?: string[];
	/** Pins the server's key must match before the client certificate is sent. */
	pins?: string[];
	/** Called with the TLS socket as soon as it exists, before the handshake (to listen for sessions). */
	onSocket?: (socket: tls.TLSSocket) => void;
}

/**
 * Opens a TLS connection to host:port the way the policy says: outbound rules on every address,
 * through the proxy when one applies, with the policy's server name. The server is verified and
 * matched against `pins` before the client certificate goes out (see checkBeforePresenting);
 * resolves once the handshake is done. A resumed session shows no certificate: its pin is the
 * caller's to check.
 */
export async function connectSecurely(host: string, port: number, policy: ConnectionPolicy, options: SecureConnectOptions): Promise<tls.TLSSocket> {
	const proxy = proxyFor(policy.proxy, host, port);
	// An IP address is never looked up, so the outbound rules are checked on it directly.
	const connectHost = proxy ? proxy.hostname.replace(/^\[(.*)\]$/, '$1') : host;
	if (isIP(connectHost)) checkConnectionHost(policy.egress, connectHost);
	const tunnel = proxy ? await openTunnel(proxy, host, port, { timeout: options.timeout, lookup: policy.lookup }) : undefined;
	tunnel?.setNoDelay(true).setKeepAlive(true, 60_000);
	const servername = serverNameOf(policy, host);
	const verify = options.rejectUnauthorized ?? !policy.allowUnauthorized;
	const pins = options.pins ?? [];
	const socket = openTlsSocket({
		host,
		port,
		secureContext: options.secureContext,
		servername,
		session: options.session,
		timeout: options.timeout,
		rejectUnauthorized: verify,
		alpn: options.alpn,
		lookup: policy.lookup,
		socket: tunnel,
		checkServer: verify || pins.length ? (tlsSocket) => checkBeforePresenting(tlsSocket, servername ?? host, verify, pins) : undefined,
	});
	if (!tunnel) socket.setNoDelay(true).setKeepAlive(true, 60_000);
	options.onSocket?.(socket);
	return new Promise((resolve, reject) => {
		socket.once('secureConnect', () => resolve(socket)).on('error', (error) => reject(markHandshakeInterrupted(error)));
	});
}

/**
 * Node checks the server only once the handshake is over (OpenSSL runs with SSL_VERIFY_NONE and
 * Node reads the result afterwards), when the client certificate has already gone out: a server
 * that fails verification, the name check or the pins would still have learnt who we are. OpenSSL
 * asks for the certificate status (OCSP, requested for this) right after it received and verified
 * the server's certificate and before the client sends its own, under TLS 1.2 and 1.3; the result
 * read there drops such a server first. `_handle.verifyError()` is what Node's own check reads
 * after the handshake; should a Node version lack it, that later check remains. A resumed session,
 * which shows no certificate, is checked after the handshake too.
 */
function checkBeforePresenting(socket: tls.TLSSocket, checkedName: string, verify: boolean, pins: string[]): Error | undefined {
	// getPeerX509Certificate() this early leaves Node's later name check with an empty certificate.
	const peer = socket.getPeerCertificate();
	if (!peer?.raw) return undefined;
	if (verify) {
		const verifyError = (socket as { _handle?: { verifyError?: () => Error | null } })._handle?.verifyError?.();
		if (verifyError) return verifyError;
		const nameError = tls.checkServerIdentity(checkedName, peer);
		if (nameError) return nameError;
	}
	return checkPins(publicKeyPin(new X509Certificate(peer.raw)), pins);
}

interface ConnectorOptions {
	sessions: SessionStore;
	timeout: number;
	alpn: string[];
}

/**
 * Opens TLS connections like undici's own connector, but keeps sessions in a store that outlives
 * the Agent (undici's cache is per connector and only weakly held), keyed by credential,
 * destination and the checks a session passed. undici's `servername` is not used: it comes from a
 * Host header (see serverNameOf).
 */
function createConnector(material: TlsMaterial, policy: ConnectionPolicy, options: ConnectorOptions): buildConnector.connector {
	const { sessions } = options;
	return ({ hostname, port }, callback) => {
		const host = hostname.replace(/^\[(.*)\]$/, '$1');
		const portNumber = Number(port) || 443;
		const key = sessionKeyOf(material, host, portNumber, policy);
		const offered = sessions.get(key);
		// A session may arrive before the pins are checked (TLS 1.2) or after (TLS 1.3 tickets); it is
		// kept only once they passed, with the pin that passed, since a resumption shows no certificate.
		const held: Buffer[] = [];
		let passed: { pin?: string } | undefined;
		const keep = (session: Buffer) => (passed ? sessions.set(key, { session, pin: passed.pin }) : held.push(session));
		connectSecurely(host, portNumber, policy, {
			secureContext: material.secureContext,
			timeout: options.timeout,
			session: offered?.session,
			alpn: options.alpn,
			pins: policy.pins,
			onSocket: (socket) => socket.on('session', keep),
		}).then(
			(socket) => {
				const pin = policy.pins.length ? serverPinOf(socket, offered) : undefined;
				const mismatch = checkPins(pin, policy.pins);
				if (mismatch) {
					socket.destroy();
					callback(mismatch, null);
					return;
				}
				passed = { pin };
				for (const session of held.splice(0)) keep(session);
				// A TLS 1.2 session may serve many connections, and a resumption brings no new one.
				if (offered && socket.isSessionReused() && socket.getProtocol() === 'TLSv1.2') keep(offered.session);
				callback(null, keepTlsAlert(socket));
			},
			(error: Error) => callback(error, null),
		);
	};
}

/** A session carries the client identity, the name and verification it was made with, and the pins it passed. */
function sessionKeyOf(material: TlsMaterial, host: string, port: number, policy: ConnectionPolicy): string {
	const verification = policy.allowUnauthorized ? 'unverified' : 'verified';
	return [material.fingerprint, host, port, serverNameOf(policy, host) ?? '', verification, [...policy.pins].sort().join(',')].join('|');
}

/** The curl-style pin of a public key: SHA-256 of its DER SubjectPublicKeyInfo, base64. */
export function publicKeyPin(certificate: X509Certificate): string {
	return createHash('sha256').update(certificate.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
}

/** The pin of the server's key, when the handshake showed its certificate. */
export function publicKeyPinOf(socket: tls.TLSSocket): string | undefined {
	const certificate = socket.getPeerX509Certificate();
	return certificate && publicKeyPin(certificate);
}

/**
 * The server key's pin: from its certificate, or, on a resumed session, where Node shows no
 * certificate, the pin the session was stored with after it passed.
 */
function serverPinOf(socket: tls.TLSSocket, offered: StoredSession | undefined): string | undefined {
	return publicKeyPinOf(socket) ?? (socket.isSessionReused() ? offered?.pin : undefined);
}

function checkPins(seen: string | undefined, pins: string[]): Error | undefined {
	if (pins.length === 0) return undefined;
	if (seen && pins.includes(seen)) return undefined;
	return new PinMismatchError(seen ? `sha256//${seen}` : 'none');
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

/** A TLS alert from the peer; OpenSSL 3.5 (Node 24) names the generic ones ERR_SSL_SSL/TLS_ALERT_…. */
export const TLS_ALERT = /^ERR_SSL_(SSLV3|TLSV1|TLSV13|SSL\/TLS)_ALERT_/;

/** Puts the server's TLS alert on `cause` of the socket error undici reports after it. */
function keepTlsAlert(socket: tls.TLSSocket): tls.TLSSocket {
	let alert: Error | undefined;
	socket.prependListener('error', (error: Error & { code?: unknown }) => {
		if (!alert && typeof error.code === 'string' && TLS_ALERT.test(error.code)) alert = error;
		else if (alert && error !== alert && error.cause === undefined) error.cause = alert;
	});
	return socket;
}
