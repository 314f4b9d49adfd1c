import { connect as connectTcp, isIP, LookupFunction, Socket } from 'node:net';
import { env as processEnv } from 'node:process';
import { connect as connectTls } from 'node:tls';

import { RequestSpecError } from '../errors';
import { PROXY_AUTH_REQUIRED, PROXY_REFUSED, ProxyTunnelError } from './failures';

/**
 * HTTP proxies for https:// origins: the node opens a CONNECT tunnel through the proxy and runs
 * TLS with the client certificate inside it, end to end with the origin. The proxy sees only the
 * host and port; it never gets the client certificate.
 */
export interface ProxyConfig {
	url: URL;
	/** Hosts reached directly: exact names, ".suffix" / "*.suffix" domains, IPs, "*" for all. */
	noProxy: string[];
}

/**
 * The proxy for this execution: the node's "Proxy" option, else HTTPS_PROXY / ALL_PROXY from the
 * environment (as n8n and curl read them) with NO_PROXY.
 */
export function resolveProxy(explicit: string | undefined, env: NodeJS.ProcessEnv = processEnv): ProxyConfig | undefined {
	const variable = ['HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy'].find((name) => env[name]?.trim());
	const text = explicit?.trim() || (variable && env[variable]?.trim());
	if (!text) return undefined;
	const url = new URL(/^[a-z]+:\/\//i.test(text) ? text : `http://${text}`);
	// Checked here, at the edge, so a bad percent-encoding fails the execution before any connection.
	proxyAuthorization(url, explicit?.trim() ? 'the "Proxy" option' : variable);
	const noProxy = explicit?.trim() ? [] : (env.NO_PROXY || env.no_proxy || '').split(/[,\s]+/).filter(Boolean);
	return { url, noProxy };
}

/**
 * The Proxy-Authorization value for the user and password in the proxy URL (RFC 7617), which
 * are percent-encoded there (RFC 3986, section 3.2.1).
 *
 * @throws RequestSpecError PROXY_CREDENTIALS_INVALID for a "%" that starts no percent-encoded
 *   UTF-8 character, e.g. the password in http://user:50%off@proxy.example:3128
 */
export function proxyAuthorization(proxy: URL, source = 'the proxy URL'): string | undefined {
	if (!proxy.username && !proxy.password) return undefined;
	const decode = (text: string, part: string) => {
		try {
			return decodeURIComponent(text);
		} catch (error) {
			const message = `The proxy ${part} in ${source} has a "%" that is not followed by two hex digits of a UTF-8 character`;
			throw new RequestSpecError('PROXY_CREDENTIALS_INVALID', message, {
				field: 'options.proxy',
				description: 'User name and password in a proxy URL are percent-encoded: write a literal "%" as %25 (e.g. 50%25off), ' +
					'and also encode @ : / # ? as %40 %3A %2F %23 %3F.',
				cause: error,
			});
		}
	};
	return `Basic ${Buffer.from(`${decode(proxy.username, 'user name')}:${decode(proxy.password, 'password')}`).toString('base64')}`;
}

/**
 * The proxy to use for one origin, or undefined to connect directly. NO_PROXY entries match as curl
 * does: "*" matches all, a name matches itself and its subdomains (a leading "." or "*." changes
 * nothing), an IP address matches itself, and "host:port" limits the entry to that port.
 */
export function proxyFor(config: ProxyConfig | undefined, host: string, port: number): URL | undefined {
	if (!config) return undefined;
	const name = host.toLowerCase();
	for (const entry of config.noProxy.map((rule) => rule.toLowerCase())) {
		if (entry === '*') return undefined;
		const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
		const [ruleHost, rulePort] = bracketed ? [bracketed[1], bracketed[2]] : entry.split(':');
		if (rulePort && Number(rulePort) !== port) continue;
		const domain = ruleHost.replace(/^\*?\./, '');
		if (name === domain || (!isIP(domain) && name.endsWith(`.${domain}`))) return undefined;
	}
	return config.url;
}

/** The proxy as it may appear in messages: without user name and password. */
export function displayProxy(proxy: URL): string {
	return `${proxy.protocol}//${proxy.host}`;
}

export interface TunnelOptions {
	timeout: number;
	lookup?: LookupFunction;
}

/**
 * Opens a CONNECT tunnel to host:port through the proxy. Credentials in the proxy URL are sent as
 * Basic Proxy-Authorization. Errors are ProxyTunnelError or the socket's own, all with `proxy`
 * (without credentials) so messages can name it. Nothing in the socket's listeners can throw:
 * the user's input is decoded before the socket is opened.
 */
export function openTunnel(proxy: URL, host: string, port: number, options: TunnelOptions): Promise<Socket> {
	let authorization: string | undefined;
	try {
		authorization = proxyAuthorization(proxy);
	} catch (error) {
		return Promise.reject(error);
	}
	const shown = displayProxy(proxy);
	return new Promise((resolve, reject) => {
		const proxyPort = Number(proxy.port) || (proxy.protocol === 'https:' ? 443 : 80);
		const proxyHost = proxy.hostname.replace(/^\[(.*)\]$/, '$1');
		const socket: Socket = proxy.protocol === 'https:'
			? connectTls({ host: proxyHost, port: proxyPort, servername: isIP(proxyHost) ? undefined : proxyHost, lookup: options.lookup })
			: connectTcp({ host: proxyHost, port: proxyPort, lookup: options.lookup });
		const fail = (error: Error) => {
			socket.destroy();
			reject(Object.assign(error, { proxy: shown }));
		};
		socket.setTimeout(options.timeout, () => fail(Object.assign(new Error(`The proxy ${shown} did not answer in time`), { code: 'UND_ERR_CONNECT_TIMEOUT' })));
		socket.once('error', fail);
		socket.once(proxy.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
			const target = isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
			const auth = authorization ? `Proxy-Authorization: ${authorization}\r\n` : '';
			socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${auth}\r\n`);
		});
		let head = Buffer.alloc(0);
		const onData = (chunk: Buffer) => {
			head = Buffer.concat([head, chunk]);
			const end = head.indexOf('\r\n\r\n');
			if (end < 0) {
				if (head.length > 16 * 1024) fail(new ProxyTunnelError(PROXY_REFUSED, 'The proxy sent an oversized answer to CONNECT', shown));
				return;
			}
			socket.off('data', onData);
			const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head.subarray(0, end).toString('latin1'))?.[1] ?? 0);
			if (status !== 200) {
				const code = status === 407 ? PROXY_AUTH_REQUIRED : PROXY_REFUSED;
				fail(new ProxyTunnelError(code, `The proxy answered CONNECT with status ${status || 'unknown'}`, shown, status));
				return;
			}
			socket.setTimeout(0);
			socket.off('error', fail);
			// Bytes after the proxy's answer already belong to the TLS handshake.
			if (head.length > end + 4) socket.unshift(head.subarray(end + 4));
			resolve(socket);
		};
		socket.on('data', onData);
	});
}
