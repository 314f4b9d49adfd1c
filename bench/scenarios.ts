/** The measured scenarios, in the order each round runs them (limit and node interleaved). */
import { runLimit, RawTlsOptions } from './limit';
import { LatencyLog, runPool, timed } from './measure';
import { CredentialFields, runExecution } from './node';
import { PeerClient, SslCertificates } from './peer';

export type ScenarioKey = 'limit-seq' | 'node-seq' | 'limit-conc' | 'node-conc' | 'peer-seq' | 'peer-conc' | 'small-node' | 'small-peer' | 'node-plain' | 'node-oauth';

export interface Scenario {
	key: ScenarioKey;
	label: string;
	requests: number;
	executions: number;
	/** undici requests are timed through undici's diagnostics channels, the peer's around each call. */
	timing: 'undici' | 'call';
	run: (log: LatencyLog) => Promise<void>;
}

export interface Workload {
	/** Requests of the single-execution scenarios. */
	requests: number;
	/** Requests in flight for the concurrent limit and peer (the node's own default bound is 10 too). */
	concurrency: number;
	smallExecutions: number;
	smallItems: number;
}

export interface Target {
	url: URL;
	/** The key, certificate and passphrase as plain tls options, for the limit. */
	tls: RawTlsOptions;
	/** The same material as the node's credential. */
	credential: CredentialFields;
	/** The same material as n8n's "SSL Certificates" credential. */
	certificates: SslCertificates;
	peer: PeerClient;
	/** The credential with OAuth on, its token already cached; without it the OAuth pair is left out. */
	oauthCredential?: CredentialFields;
}

export function createScenarios(target: Target, work: Workload): Scenario[] {
	const { url, tls, credential, certificates, peer, oauthCredential } = target;
	const n = work.requests;
	const single = (key: ScenarioKey, label: string, timing: Scenario['timing'], run: Scenario['run']): Scenario => ({ key, label, requests: n, executions: 1, timing, run });
	const small = work.smallExecutions * work.smallItems;
	return [
		single('limit-seq', 'limit: undici Agent, sequential', 'undici', () => runLimit(url, tls, n, 1)),
		single('node-seq', 'node: 1 execution, batch size 1', 'undici', () => runExecution({ url: url.href, items: n, sequential: true, credential })),
		single('limit-conc', `limit: undici Agent, ${work.concurrency} in flight`, 'undici', () => runLimit(url, tls, n, work.concurrency)),
		single('node-conc', 'node: 1 execution, default batching', 'undici', () => runExecution({ url: url.href, items: n, sequential: false, credential })),
		single('peer-seq', 'peer: n8n HTTP Request, sequential', 'call', (log) => runPool(n, 1, () => timed(log, () => peer.send(url, certificates)))),
		// n8n's node without batching starts every item at once; bounding it like the others compares
		// like with like and keeps 1000 handshakes from overflowing the server's listen backlog.
		single('peer-conc', `peer: n8n HTTP Request, ${work.concurrency} in flight`, 'call', (log) => runPool(n, work.concurrency, () => timed(log, () => peer.send(url, certificates)))),
		{
			key: 'small-node',
			label: `small: node, ${work.smallExecutions} × ${work.smallItems} items`,
			requests: small,
			executions: work.smallExecutions,
			timing: 'undici',
			run: () => runPool(work.smallExecutions, 1, () => runExecution({ url: url.href, items: work.smallItems, sequential: true, credential })),
		},
		{
			key: 'small-peer',
			label: `small: peer, ${work.smallExecutions} × ${work.smallItems} items`,
			requests: small,
			executions: work.smallExecutions,
			timing: 'call',
			run: (log) => runPool(small, 1, () => timed(log, () => peer.send(url, certificates))),
		},
		// The cost of OAuth per item once the token is cached (a schedule's steady state): the same
		// execution without and with a Bearer token, as a pair of its own.
		...(oauthCredential ? [
			single('node-plain', 'node: 1 execution, default batching, no OAuth', 'undici', () => runExecution({ url: url.href, items: n, sequential: false, credential })),
			single('node-oauth', 'node: 1 execution, default batching, OAuth token', 'undici', () => runExecution({ url: url.href, items: n, sequential: false, credential: oauthCredential })),
		] : []),
	];
}
