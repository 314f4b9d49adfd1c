/**
 * The peer: what n8n's built-in HTTP Request node (V3) does for each item when "SSL Certificates"
 * are provided, reproduced from the n8n 2.40.7 installed by scripts/ensure-n8n.sh:
 *
 * - n8n-nodes-base HttpRequestV3 reads the `httpSslAuth` credential per item and puts it into
 *   `agentOptions` { ca, cert, key, passphrase } (GenericFunctions.setAgentOptions), then calls
 *   `this.helpers.request` with `encoding: null, json: false, useStream: true` (autodetected format);
 * - @n8n/backend-network executeLegacyRequest → buildAxiosConfigFromLegacyRequest adds `servername`
 *   (none for an IP address), `accept: *\/*`, a User-Agent and `responseType: 'stream'`;
 *   setAxiosAgents → buildNodeAgents builds a NEW https.Agent for that one request
 *   (EnvProxyHttpsAgent, an https.Agent subclass that only consults proxy variables), with
 *   keep-alive off, so every request pays a full TCP + TLS handshake and a fresh secure context;
 * - the response stream is read into a Buffer and parsed as JSON.
 *
 * axios is loaded from that n8n installation, so the repository gains no dependency. Without it
 * the same steps run over node:https directly and the report says the peer is approximated.
 */
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { Agent, AgentOptions, request as httpsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';

import { resolvePaths } from '../test/e2e/n8n';

export interface SslCertificates {
	ca: string;
	cert: string;
	key: string;
	passphrase: string;
}

export interface PeerClient {
	/** What sends the requests, e.g. "axios 1.21.1 from …/n8n-2.40.7/node_modules". */
	description: string;
	/** Whether n8n's own HTTP client (axios) is used, rather than the node:https approximation. */
	faithful: boolean;
	/** One item's request, as n8n's HTTP Request node makes it. */
	send: (url: URL, certificates: SslCertificates) => Promise<void>;
}

type AxiosCall = (config: Record<string, unknown>) => Promise<{ status: number; headers: Record<string, unknown>; data: Readable }>;

const USER_AGENT = 'n8n';

export function loadPeerClient(): PeerClient {
	const modules = resolvePaths().modules;
	try {
		const load = createRequire(join(modules, 'package.json'));
		const axios = load('axios') as AxiosCall & { VERSION?: string };
		return { description: `axios ${axios.VERSION ?? '?'} from ${modules}`, faithful: true, send: (url, certificates) => sendWithAxios(axios, url, certificates) };
	} catch {
		// No n8n installed (scripts/ensure-n8n.sh not run): approximate with Node's own client.
		return { description: `node:https approximation (axios not found in ${modules})`, faithful: false, send: sendWithHttps };
	}
}

/** setAgentOptions + buildLegacyAgentOptions: the credential's fields, and SNI for host names. */
function agentOptionsFor(url: URL, certificates: SslCertificates): AgentOptions {
	const options: AgentOptions = { ca: certificates.ca, cert: certificates.cert, key: certificates.key, passphrase: certificates.passphrase };
	if (!isIP(url.hostname.replace(/^\[(.*)\]$/, '$1'))) options.servername = url.hostname;
	return options;
}

/**
 * @throws Error on any status other than 200
 */
async function sendWithAxios(axios: AxiosCall, url: URL, certificates: SslCertificates): Promise<void> {
	const response = await axios({
		maxBodyLength: Infinity,
		maxContentLength: -1,
		url: url.href,
		method: 'GET',
		headers: { accept: '*/*', 'User-Agent': USER_AGENT },
		transformResponse: (data: unknown) => data,
		maxRedirects: 21,
		responseType: 'stream',
		httpsAgent: new Agent(agentOptionsFor(url, certificates)),
	});
	await readJson(response.data, response.status);
}

/**
 * @throws Error on any status other than 200
 */
async function sendWithHttps(url: URL, certificates: SslCertificates): Promise<void> {
	const response = await new Promise<IncomingMessage>((resolve, reject) => {
		const request = httpsRequest(url, { method: 'GET', headers: { accept: '*/*', 'user-agent': USER_AGENT }, agent: new Agent(agentOptionsFor(url, certificates)) }, resolve);
		request.on('error', reject);
		request.end();
	});
	await readJson(response, response.statusCode ?? 0);
}

async function readJson(stream: Readable, status: number): Promise<void> {
	const chunks: Buffer[] = [];
	for await (const chunk of stream) chunks.push(chunk as Buffer);
	if (status !== 200) throw new Error(`peer: status ${status}`);
	JSON.parse(Buffer.concat(chunks).toString('utf8'));
}
