import { connect as connectTcp, isIP, LookupFunction, Socket } from 'node:net';
import { env as processEnv } from 'node:process';
import { connect as connectTls } from 'node:tls';

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
	const fromEnv = env.HTTPS_PROXY || env.https_proxy || env.ALL_PROXY || env.all_proxy;
	const text = explicit?.trim() || fromEnv?.trim();
	if (!text) return undefined;
	const url = new URL(/^[a-z]+:\/\//i.test(text) ? text : `http://${text}`);
	const noProxy = explicit?.trim() ? [] : (env.NO_PROXY || env.no_proxy || '').split(/[,\s]+/).filter(Boolean);
	return { url, noProxy };
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
 * Basic Proxy-Authorization. Errors carry `code` ERR_MTLS_PROXY_* or the socket's own, and
 * `proxy` (without credentials) so messages can name it.
 */
export function openTunnel(proxy: URL, host: string, port: number, options: TunnelOptions): Promise<Socket> {
	return new Promise((resolve, reject) => {
		const proxyPort = Number(proxy.port) || (proxy.protocol === 'https:' ? 443 : 80);
		const proxyHost = proxy.hostname.replace(/^\[(.*)\]$/, '$1');
		const socket: Socket = proxy.protocol === 'https:'
			? connectTls({ host: proxyHost, port: proxyPort, servername: isIP(proxyHost) ? undefined : proxyHost, lookup: options.lookup })
			: connectTcp({ host: proxyHost, port: proxyPort, lookup: options.lookup });
		const fail = (error: Error) => {
			socket.destroy();
			reject(Object.assign(error, { proxy: displayProxy(proxy) }));
		};
		socket.setTimeout(options.timeout, () => fail(Object.assign(new Error(`The proxy ${displayProxy(proxy)} did not answer in time`), { code: 'UND_ERR_CONNECT_TIMEOUT' })));
		socket.once('error', fail);
		socket.once(proxy.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
			const target = isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
			const auth = proxy.username ? `Proxy-Authorization: Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}\r\n` : '';
			socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${auth}\r\n`);
		});
		let head = Buffer.alloc(0);
		const onData = (chunk: Buffer) => {
			head = Buffer.concat([head, chunk]);
			const end = head.indexOf('\r\n\r\n');
			if (end < 0) {
				if (head.length > 16 * 1024) fail(Object.assign(new Error('The proxy sent an oversized answer to CONNECT'), { code: 'ERR_MTLS_PROXY_REFUSED' }));
				return;
			}
			socket.off('data', onData);
			const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head.subarray(0, end).toString('latin1'))?.[1] ?? 0);
			if (status !== 200) {
				fail(Object.assign(new Error(`The proxy answered CONNECT with status ${status || 'unknown'}`), { code: status === 407 ? 'ERR_MTLS_PROXY_AUTH' : 'ERR_MTLS_PROXY_REFUSED', status }));
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
