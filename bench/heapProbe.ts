/**
 * Preloaded into n8n's main process by bench/paginationHeap.ts (`node --expose-gc --require …`).
 * On SIGUSR2 it appends one JSON line to the file named by MTLS_HEAP_PROBE_FILE: the V8 heap in
 * use as it is, then after full garbage collections. It writes its pid there first, so the
 * benchmark knows which process to signal. Plain Node, no n8n imports: it only observes.
 */
import { appendFileSync } from 'node:fs';

const file = process.env.MTLS_HEAP_PROBE_FILE;
const gc = (globalThis as { gc?: () => void }).gc;

if (file && gc) {
	appendFileSync(file, `${JSON.stringify({ pid: process.pid })}\n`);
	process.on('SIGUSR2', () => {
		const heapUsed = process.memoryUsage().heapUsed;
		// Twice: the first pass can leave objects that only become unreachable after finalizers ran.
		gc();
		gc();
		appendFileSync(file, `${JSON.stringify({ heapUsed, heapAfterGc: process.memoryUsage().heapUsed })}\n`);
	});
}
