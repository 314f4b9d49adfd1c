import { X509Certificate } from 'node:crypto';
import { checkServerIdentity, createSecureContext, DetailedPeerCertificate, SecureContext, TLSSocket } from 'node:tls';

import { addCertificateAuthorities } from '../tls/context';
import type { TlsMaterial, TlsVersions } from '../tls/material';
import { connectSecurely, publicKeyPin, TLS_ALERT } from './agent';
import { checkUrl } from './egress';
import { HANDSHAKE_INTERRUPTED, toTransportError } from './failures';
import { preparePolicy, serverNameOf, TransportPolicy } from './policy';

export interface ServerChain {
	/** Whether the server's certificate verified against the trust store and the name checked. */
	trusted: boolean;
	/** Why it did not, in OpenSSL's words (e.g. CERT_HAS_EXPIRED). */
	trustError?: string;
	/** The name the certificate was checked against: the Server Name, else the URL's host. */
	checkedName: string;
	/** The server's certificate first, then its issuers as Node built the chain (the root from the trust store included). */
	certificates: X509Certificate[];
	protocol: string | null;
	/** Whether the client certificate had to be presented to read the chain (see fetchServerChain). */
	clientCertificatePresented: boolean;
	/** Whether the server's key is one of the policy's pins; undefined without pins. */
	pinMatches?: boolean;
}

export interface ChainProbeOptions extends TransportPolicy {
	/** TLS versions to offer, as for requests. */
	versions?: TlsVersions;
	timeout?: number;
}

/**
 * Reads the certificate chain a server presents, over a connection made by the same transport
 * policy as requests (outbound rules, proxy, Server Name, the credential's CAs). Nothing is sent
 * over the connection, and the server is not required to be trusted, so monitoring can report an
 * expired or unknown server certificate instead of only failing on it.
 *
 * The client certificate is never presented to a server that is not verified: the first handshake
 * has none, and reads any chain. A server that requires a client certificate ends a TLS 1.2
 * handshake before it completes (under TLS 1.3 it completes first, then the server ends the
 * connection); only then is the handshake repeated with the certificate, which goes out only once
 * the server is verified and matches the pins, whatever the policy says about unverified servers.
 *
 * @throws TransportError when no TLS connection can be made, or the outbound rules forbid it
 */
export async function fetchServerChain(material: TlsMaterial, url: URL, options: ChainProbeOptions = {}): Promise<ServerChain> {
	const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
	const port = Number(url.port) || 443;
	const policy = preparePolicy(options);
	const timeout = options.timeout ?? 10_000;
	let socket: TLSSocket;
	let presented = false;
	try {
		await checkUrl(policy.egress, url);
		try {
			socket = await connectSecurely(host, port, policy, { secureContext: trustContextOf(material, options.versions), timeout, rejectUnauthorized: false });
		} catch (error) {
			if (!refusedInHandshake(error)) throw error;
			socket = await connectSecurely(host, port, policy, { secureContext: material.secureContext, timeout, rejectUnauthorized: true, pins: policy.pins });
			presented = true;
		}
	} catch (error) {
		throw toTransportError(error, url);
	}
	try {
		const checkedName = serverNameOf(policy, host) ?? host;
		const peer = socket.getPeerCertificate(true);
		const certificates = chainOf(peer);
		const trustError = verificationErrorOf(socket, checkedName, peer);
		return {
			trusted: trustError === undefined,
			trustError,
			checkedName,
			certificates,
			protocol: socket.getProtocol(),
			clientCertificatePresented: presented,
			pinMatches: policy.pins.length && certificates[0] ? policy.pins.includes(publicKeyPin(certificates[0])) : undefined,
		};
	} finally {
		await closeGracefully(socket);
	}
}

/** Why the server is not trusted for the name, in OpenSSL's and Node's codes; undefined when it is. */
function verificationErrorOf(socket: TLSSocket, checkedName: string, peer: DetailedPeerCertificate): string | undefined {
	const verifyError = socket.authorizationError;
	if (verifyError) return String((verifyError as { code?: string }).code ?? verifyError);
	if (!socket.authorized) return 'UNVERIFIED';
	return checkServerIdentity(checkedName, peer) ? 'ERR_TLS_CERT_ALTNAME_INVALID' : undefined;
}

/** The credential's trust store without its client certificate: a handshake with it presents none. */
function trustContextOf(material: TlsMaterial, versions: TlsVersions = {}): SecureContext {
	const context = createSecureContext({ minVersion: versions.min ?? 'TLSv1.2', maxVersion: versions.max ?? 'TLSv1.3' });
	if (material.ca.length) addCertificateAuthorities(context, material.ca);
	return context;
}

/** A TLS alert or a close mid-handshake: how a server ends a handshake that brought no client certificate. */
function refusedInHandshake(error: unknown): boolean {
	const code = (error as { code?: unknown }).code;
	return code === HANDSHAKE_INTERRUPTED || (typeof code === 'string' && TLS_ALERT.test(code));
}

function chainOf(peer: DetailedPeerCertificate): X509Certificate[] {
	const chain: X509Certificate[] = [];
	const seen = new Set<string>();
	for (let current: DetailedPeerCertificate | undefined = peer; current?.raw && !seen.has(current.fingerprint256); current = current.issuerCertificate) {
		seen.add(current.fingerprint256);
		chain.push(new X509Certificate(current.raw));
	}
	return chain;
}

/**
 * Under TLS 1.3 the client's certificate and Finished message are still on their way when the
 * client sees the handshake done; destroying the socket then leaves the server with a reset
 * handshake. Ending it flushes them and sends close_notify; a silent server gets a second.
 */
async function closeGracefully(socket: TLSSocket): Promise<void> {
	if (socket.destroyed) return;
	await new Promise<void>((resolve) => {
		socket.on('error', () => undefined);
		socket.setTimeout(1000, () => socket.destroy());
		socket.once('close', () => resolve());
		socket.end();
	});
}
