/**
 * What a large paginated execution leaves on n8n's heap (issue 10, point 1). Inside the real n8n
 * that scripts/ensure-n8n.sh installs, one `n8n execute-batch` process runs three workflows:
 *
 *   probe "before" → <pages> pages of <mb> MB through "Response Contains Next URL" → probe "after"
 *
 * A probe is a request of the mTLS node that the server answers only after it had n8n's main
 * process (started with --expose-gc and bench/heapProbe.ts preloaded) record its heap: as it is
 * and after full garbage collections. The difference of the two after-GC figures is what the
 * execution left behind (expression caches and the like); its output is no longer referenced by
 * then. Once per expression engine (vm, the 2.x default, and legacy).
 *
 *   node .test-build/bench/paginationHeap.js [--pages=20] [--mb=4] [--engines=vm,legacy]
 *
 * Prints a table and one JSON line per engine. A measurement for the record, not a test.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import { createStandardPki } from '../test/fixtures/pki';
import { startMtlsServer, type MtlsServer } from '../test/fixtures/mtlsServer';
import { linearWorkflow, mtlsNode, MTLS_CREDENTIAL_TYPE, N8N_VERSION, prepareN8n, type CredentialJson, type N8n, type WorkflowJson } from '../test/e2e/n8n';

const MB = 1024 * 1024;
/** execute-batch runs workflows in the order of their ids. */
const IDS = { before: 'mtlsHeap1Before', paginate: 'mtlsHeap2Pages', after: 'mtlsHeap3After' };

interface HeapReading {
	heapUsed: number;
	heapAfterGc: number;
}

interface EngineResult {
	engine: string;
	pages: number;
	pageMb: number;
	status: string;
	/** Heap in MB at the "before" probe, after GC. */
	beforeMb: number;
	/** Heap in MB at the "after" probe, as it was and after GC. */
	afterMb: number;
	afterGcMb: number;
	/** afterGcMb − beforeMb. */
	retainedMb: number;
	/** First page request to last page request, as the server saw them. */
	paginationS: number;
}

function option(name: string, fallback: string): string {
	const prefix = `--${name}=`;
	return process.argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length) ?? fallback;
}

/** A JSON page of about `bytes`: records of ~200 bytes, and the link to the next page. */
function pageBody(page: number, pages: number, bytes: number): string {
	const note = 'n'.repeat(150);
	const records = Array.from({ length: Math.ceil(bytes / 200) }, (_, i) => ({ id: page * 1_000_000 + i, name: `customer ${page}-${i}`, note }));
	return JSON.stringify({ page, data: records, next: page < pages ? `/page?n=${page + 1}` : null });
}

function sendJson(res: ServerResponse, body: string): void {
	res.setHeader('content-type', 'application/json');
	res.end(body);
}

function readings(file: string): { pid?: number; heaps: HeapReading[] } {
	if (!existsSync(file)) return { heaps: [] };
	const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { pid?: number } & Partial<HeapReading>);
	return { pid: lines.find((line) => line.pid)?.pid, heaps: lines.filter((line): line is HeapReading & { pid?: number } => line.heapUsed !== undefined) };
}

/** The server side of a probe: signal n8n's main process and wait for its reading. */
async function probe(file: string): Promise<void> {
	const { pid, heaps } = readings(file);
	if (!pid) throw new Error('the heap probe is not loaded in n8n (no pid in the probe file)');
	process.kill(pid, 'SIGUSR2');
	for (let waited = 0; waited < 30_000; waited += 50) {
		if (readings(file).heaps.length > heaps.length) return;
		await delay(50);
	}
	throw new Error('n8n did not answer the heap probe within 30 s');
}

function workflows(server: MtlsServer, credential: CredentialJson): WorkflowJson[] {
	// The probes use an expression too, so the engine is warm before the first reading.
	const probeNode = (label: string) => mtlsNode('mTLS', credential, { method: 'GET', url: `={{ "${server.origin}/probe?label=" + "${label}" }}` });
	return [
		linearWorkflow(IDS.before, 'heap: probe before', [probeNode('before')]),
		linearWorkflow(IDS.paginate, 'heap: large pages', [mtlsNode('mTLS', credential, {
			method: 'GET',
			url: `${server.origin}/page?n=1`,
			options: { pagination: { pagination: {
				paginationMode: 'responseContainsNextURL',
				nextURL: '={{ $response.body.next }}',
				paginationCompleteWhen: 'other',
				completeExpression: '={{ $response.body.next === null }}',
			} } },
		})]),
		linearWorkflow(IDS.after, 'heap: probe after', [probeNode('after')]),
	];
}

async function measure(n8n: N8n, server: MtlsServer, engine: string, pages: number, pageMb: number, arrivals: string[], pageTimes: number[]): Promise<EngineResult> {
	const work = mkdtempSync(join(tmpdir(), 'mtls-heap-'));
	const file = join(work, 'probe.jsonl');
	arrivals.length = 0;
	pageTimes.length = 0;
	server.route('/probe', (_req, res, seen) => {
		arrivals.push(new URL(seen.url, server.origin).searchParams.get('label') ?? '?');
		probe(file).then(() => sendJson(res, '{"ok":true}'), (error: Error) => {
			res.statusCode = 500;
			res.end(error.message);
		});
	});
	try {
		const probeScript = join(__dirname, 'heapProbe.js');
		const { runs, log } = await n8n.runWorkflows(Object.values(IDS), {
			nodeArgs: ['--expose-gc', '--require', probeScript],
			env: { MTLS_HEAP_PROBE_FILE: file, N8N_EXPRESSION_ENGINE: engine },
		});
		// The readings only mean something when n8n ran the workflows in this order.
		const pageCount = arrivals.filter((label) => label === 'page').length;
		if (arrivals[0] !== 'before' || arrivals.at(-1) !== 'after' || pageCount !== pages) {
			throw new Error(`unexpected requests: ${arrivals[0]}, ${pageCount} pages, ${arrivals.at(-1)}\n${log.slice(-3000)}`);
		}
		const { heaps } = readings(file);
		if (heaps.length !== 2) throw new Error(`expected 2 heap readings, got ${heaps.length}\n${log.slice(-3000)}`);
		const [before, after] = heaps;
		const mb = (bytes: number) => Math.round((bytes / MB) * 10) / 10;
		return {
			engine,
			pages,
			pageMb,
			status: runs[IDS.paginate]?.status ?? 'not run',
			beforeMb: mb(before.heapAfterGc),
			afterMb: mb(after.heapUsed),
			afterGcMb: mb(after.heapAfterGc),
			retainedMb: mb(after.heapAfterGc - before.heapAfterGc),
			paginationS: Math.round((pageTimes.at(-1)! - pageTimes[0]) / 100) / 10,
		};
	} finally {
		rmSync(work, { recursive: true, force: true });
	}
}

async function main(): Promise<void> {
	const pages = Number(option('pages', '20'));
	const pageMb = Number(option('mb', '4'));
	const engines = option('engines', 'vm,legacy').split(',');
	const pki = createStandardPki();
	const server = await startMtlsServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.ca.certPem });
	const arrivals: string[] = [];
	const pageTimes: number[] = [];
	const bodies = Array.from({ length: pages }, (_, i) => pageBody(i + 1, pages, pageMb * MB));
	server.route('/page', (_req, res, seen) => {
		arrivals.push('page');
		pageTimes.push(performance.now());
		sendJson(res, bodies[Number(new URL(seen.url, server.origin).searchParams.get('n')) - 1] ?? '{"next":null}');
	});
	const credential: CredentialJson = {
		id: 'mtlsCredHeap0001',
		name: 'Partner (EC)',
		type: MTLS_CREDENTIAL_TYPE,
		data: { certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: pki.ca.certPem },
	};
	let n8n: N8n | undefined;
	try {
		n8n = await prepareN8n([credential], workflows(server, credential));
		const results: EngineResult[] = [];
		for (const engine of engines) results.push(await measure(n8n, server, engine, pages, pageMb, arrivals, pageTimes));
		console.log(`n8n ${N8N_VERSION}, ${pages} pages × ${pageMb} MB; heap in MB (V8 heapUsed of n8n's main process)`);
		console.table(results.map(({ engine, status, beforeMb, afterMb, afterGcMb, retainedMb, paginationS }) => ({ engine, status, before: beforeMb, after: afterMb, 'after GC': afterGcMb, retained: retainedMb, 'pagination s': paginationS })));
		for (const result of results) console.log(JSON.stringify(result));
	} finally {
		await server.close();
		n8n?.dispose();
		pki.pki.cleanup();
	}
}

main().catch((error: unknown) => {
	console.error(error);
	process.exitCode = 1;
});
