import type { Dispatcher } from 'undici';

import { HttpRequest, send } from '../http/send';
import { OAuthError } from './errors';

export interface Discovered {
	tokenEndpoint: URL;
	/** token_endpoint_auth_signing_alg_values_supported, for private_key_jwt. */
	signingAlgorithms?: string[];
}

const METADATA_BYTES = 512 * 1024;
const METADATA_TIMEOUT_MS = 30_000;

type SharedOptions = Pick<HttpRequest, 'signal' | 'egress' | 'timeout'>;
/** Metadata changes rarely; a schedule running every minute asks again once an hour. */
const DISCOVERY_TTL_MS = 60 * 60 * 1000;

/**
 * Where the metadata of an issuer lives: RFC 8414 §3.1 inserts the well-known segment before the
 * issuer's path; OpenID Connect Discovery §4 appends it. A URL that already names a well-known
 * document is used as is.
 */
export function metadataUrls(issuer: URL): URL[] {
	if (issuer.pathname.includes('/.well-known/')) return [issuer];
	const path = issuer.pathname.replace(/\/$/, '');
	return [
		new URL(`/.well-known/oauth-authorization-server${path}`, issuer.origin),
		new URL(`${path}/.well-known/openid-configuration`, issuer.origin),
	];
}

/**
 * Reads the token endpoint from the issuer's metadata, preferring the mTLS alias (RFC 8705 §5):
 * servers that authenticate clients by certificate often serve it on another host or port.
 *
 * @throws OAuthError OAUTH_DISCOVERY_FAILED
 * @throws TransportError when the issuer cannot be reached
 */
export async function discover(dispatcher: Dispatcher, issuer: URL, shared: SharedOptions = {}): Promise<Discovered> {
	const tried: string[] = [];
	for (const url of metadataUrls(issuer)) {
		const request: HttpRequest = {
			method: 'GET',
			url,
			headers: { accept: 'application/json' },
			redirect: { follow: true, max: 3, allowCrossOrigin: false },
			timeout: METADATA_TIMEOUT_MS,
			...shared,
		};
		const response = await send(dispatcher, request, METADATA_BYTES);
		tried.push(`${url.pathname} (HTTP ${response.statusCode})`);
		if (response.statusCode !== 200) continue;
		const metadata = parseObject(response.body.toString('utf8'));
		if (!metadata) continue;
		return fromMetadata(metadata, issuer, url);
	}
	throw new OAuthError('OAUTH_DISCOVERY_FAILED', `No authorization server metadata at ${issuer.origin} (tried ${tried.join(', ')})`, {
		field: 'issuerUrl',
		description: 'Check the "Issuer URL" (the partner\'s issuer identifier), or enter the token endpoint in "Token URL" instead.',
	});
}

function fromMetadata(metadata: Record<string, unknown>, issuer: URL, source: URL): Discovered {
	// RFC 8414 §3.3: metadata naming another issuer must not be used (it would send the client's
	// credentials where that other issuer says). A URL of the document itself names no issuer to compare.
	const named = typeof metadata.issuer === 'string' ? metadata.issuer.replace(/\/$/, '') : undefined;
	const expected = source === issuer ? undefined : issuer.href.replace(/\/$/, '');
	if (expected && named !== expected) {
		const message = `The metadata at ${source.origin}${source.pathname} is for issuer "${String(metadata.issuer ?? '')}", not "${expected}"`;
		throw new OAuthError('OAUTH_DISCOVERY_FAILED', message, {
			field: 'issuerUrl',
			description: 'Enter the issuer exactly as the partner publishes it (the "issuer" of its metadata), or set the Token URL instead.',
		});
	}
	const aliases = metadata.mtls_endpoint_aliases as Record<string, unknown> | undefined;
	const candidate = (aliases && typeof aliases === 'object' ? aliases.token_endpoint : undefined) ?? metadata.token_endpoint;
	let endpoint: URL | undefined;
	try {
		endpoint = typeof candidate === 'string' ? new URL(candidate) : undefined;
	} catch {
		endpoint = undefined;
	}
	if (!endpoint || endpoint.protocol !== 'https:') {
		throw new OAuthError('OAUTH_DISCOVERY_FAILED', `The metadata of ${issuer.origin} has no https token_endpoint`, {
			field: 'issuerUrl',
			description: 'Enter the token endpoint in "Token URL" (it wins over the Issuer URL).',
		});
	}
	const algorithms = metadata.token_endpoint_auth_signing_alg_values_supported;
	const signingAlgorithms = Array.isArray(algorithms) ? algorithms.filter((alg): alg is string => typeof alg === 'string') : undefined;
	return { tokenEndpoint: endpoint, signingAlgorithms };
}

function parseObject(text: string): Record<string, unknown> | undefined {
	try {
		const value = JSON.parse(text) as unknown;
		return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
	} catch {
		// Not metadata (an HTML page at that path): try the next location.
		return undefined;
	}
}

/** Discovered metadata per issuer, in memory, shared by executions. */
export class DiscoveryCache {
	private readonly entries = new Map<string, { value: Promise<Discovered>; at: number }>();

	constructor(private readonly now: () => number = Date.now, private readonly ttlMs = DISCOVERY_TTL_MS) {}

	get(issuer: URL, load: () => Promise<Discovered>): Promise<Discovered> {
		const entry = this.entries.get(issuer.href);
		if (entry && this.now() - entry.at < this.ttlMs) return entry.value;
		const value = load();
		this.entries.set(issuer.href, { value, at: this.now() });
		// A failure is not remembered: the next execution asks again.
		value.catch(() => this.entries.get(issuer.href)?.value === value && this.entries.delete(issuer.href));
		return value;
	}

	clear(): void {
		this.entries.clear();
	}
}

export const sharedDiscovery = new DiscoveryCache();
