/**
 * The ceiling: a bare undici Agent with keep-alive, given the key, certificate and passphrase as
 * plain `tls.connect` options, doing the same useful work per request (read and parse the JSON).
 */
import { Agent } from 'undici';

import { runPool } from './measure';

export interface RawTlsOptions {
	key: string;
	cert: string;
	passphrase: string;
	ca: string;
}

/** Sends `count` GET requests to `url`, `concurrency` at a time, through one Agent. */
export async function runLimit(url: URL, tls: RawTlsOptions, count: number, concurrency: number): Promise<void> {
	const agent = new Agent({ connect: { ...tls } });
	try {
		await runPool(count, concurrency, () => fetchJson(agent, url));
	} finally {
		await agent.close();
	}
}

/**
 * @throws Error on any status other than 200
 */
async function fetchJson(agent: Agent, url: URL): Promise<void> {
	const response = await agent.request({ origin: url.origin, path: url.pathname, method: 'GET' });
	const text = await response.body.text();
	if (response.statusCode !== 200) throw new Error(`limit: status ${response.statusCode} from ${url.href}`);
	JSON.parse(text);
}
