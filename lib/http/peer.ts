import { X509Certificate } from 'node:crypto';
import { checkServerIdentity, DetailedPeerCertificate, PeerCertificate, TLSSocket } from 'node:tls';

import type { TlsMaterial } from '../tls/material';
import { openTlsSocket, serverNameFor } from './agent';
import { checkUrl, EgressFilter, secureLookupOf } from './egress';
import { toTransportError } from './failures';

export interface ServerChain {
	/** Whether the server's certificate verified against the trust store and the host name. */
	trusted: boolean;
	/** Why it did not, in OpenSSL's words (e.g. CERT_HAS_EXPIRED). */
	trustError?: string;
	/** The server's certificate first, then its issuers as Node built the chain (the root from the trust store included). */
	certificates: X509Certificate[];
	protocol: string | null;
}

/**
 * Connects to a server with the client certificate and reads the certificate chain it presents.
 * Nothing is sent over the connection; the server is not required to be trusted, so monitoring can
 * report an expired or unknown server certificate instead of only failing on it.
 *
 * @throws TransportError when no TLS connection can be made
 */
export async function fetchServerChain(material: TlsMaterial, url: URL, timeout = 10_000, egress?: EgressFilter): Promise<ServerChain> {
	const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
	await checkUrl(egress, url);
	const socket = openTlsSocket(material, { host, port: Number(url.port) || 443, servername: serverNameFor(host), rejectUnauthorized: false, timeout, lookup: secureLookupOf(egress) });
	try {
		await new Promise<void>((resolve, reject) => {
			socket.once('secureConnect', resolve);
			socket.once('error', reject);
		});
		const verifyError = socket.authorizationError;
		const hostError = verifyError ? undefined : checkHost(socket.getPeerCertificate(), host);
		return {
			trusted: socket.authorized && !hostError,
			trustError: verifyError ? String((verifyError as { code?: string }).code ?? verifyError) : hostError,
			certificates: chainOf(socket.getPeerCertificate(true)),
			protocol: socket.getProtocol(),
		};
	} catch (error) {
		throw toTransportError(error, url);
	} finally {
		await closeGracefully(socket);
	}
}

function checkHost(certificate: PeerCertificate, host: string): string | undefined {
	const error = checkServerIdentity(host, certificate);
	return error ? 'ERR_TLS_CERT_ALTNAME_INVALID' : undefined;
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
