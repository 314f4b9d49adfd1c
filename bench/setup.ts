/**
 * What an execution pays before its first byte: parsing the credential, decrypting the key
 * (OpenSSL's default PBES2 / AES-256-CBC / PBKDF2 encryption) and building the TLS secure context.
 */
import { performance } from 'node:perf_hooks';

import { MaterialCache } from '../lib/tls/cache';
import { loadMaterial, MaterialInput } from '../lib/tls/material';
import { selectMaterial } from '../lib/tls/rotation';
import { percentile } from './measure';

export interface SetupTimes {
	/** loadMaterial with every field of the credential, as on an execution's first use. */
	firstUse: number;
	/** The same without the "CA Certificates" field, to show what that field costs. */
	firstUseWithoutCa: number;
	/** MaterialCache.load when the entry is there. */
	cached: number;
	/** selectMaterial on a cache hit: the node's actual per-execution credential step. */
	selectCached: number;
}

export interface SetupCounts {
	fresh: number;
	cached: number;
}

/** p50 (ms) of each set-up path over `counts` calls. */
export function measureSetup(input: MaterialInput, counts: SetupCounts): SetupTimes {
	const cache = new MaterialCache();
	cache.load(input);
	return {
		firstUse: medianOf(counts.fresh, () => loadMaterial(input)),
		firstUseWithoutCa: medianOf(counts.fresh, () => loadMaterial({ ...input, caCertificates: '' })),
		cached: medianOf(counts.cached, () => cache.load(input)),
		selectCached: medianOf(counts.cached, () => selectMaterial(input, cache)),
	};
}

function medianOf(count: number, run: () => unknown): number {
	const times: number[] = [];
	for (let i = 0; i < count; i++) {
		const start = performance.now();
		run();
		times.push(performance.now() - start);
	}
	return percentile(times, 0.5);
}
