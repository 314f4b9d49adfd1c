import { createHash, KeyObject, X509Certificate } from 'node:crypto';
import type { Dispatcher } from 'undici';

import type { HttpRequest } from '../http/send';
import { formatName } from '../tls/inspect';
import { certificateThumbprint, checkBinding, readJwtClaims } from './binding';
import { CachedToken, DEFAULT_LIFETIME_MS, sharedTokens, TokenCache } from './cache';
import { discover, DiscoveryCache, sharedDiscovery } from './discovery';
import { CERTIFICATE_METHODS, OAuthSettings } from './settings';
import { requestToken } from './token';

export interface OAuthSessionOptions {
	settings: OAuthSettings;
	/** The material connections present now: its fingerprint keys the cache, tokens must be bound to its leaf. */
	material: { fingerprint: string; leaf: X509Certificate };
	/** The execution's mTLS dispatcher: the token request goes through it like every API call. */
	dispatcher: Dispatcher;
	/** Fingerprints of material no longer presented (the rotated-out certificate): their tokens are dropped. */
	retired?: string[];
	/** Loads the private key for private_key_jwt, only when a token is requested. */
	signingKey?: () => KeyObject;
	shared?: Pick<HttpRequest, 'signal' | 'egress' | 'timeout'>;
	cache?: TokenCache;
	discovery?: DiscoveryCache;
	now?: () => number;
}

/**
 * OAuth for one execution: finds the token endpoint, gets a token from the shared cache or the
 * authorization server, and checks its certificate binding. A refused request fails the rest of
 * the execution the same way instead of being repeated for each item.
 */
export class OAuthSession {
	/** Execution hints (binding absent, token not used); never contain the token. */
	readonly hints = new Set<string>();
	readonly thumbprint: string;
	private readonly cache: TokenCache;
	private readonly now: () => number;
	private failure?: { error: unknown };
	/** This execution's call into the cache: its items wait on one, not one each. */
	private pending?: Promise<CachedToken>;

	constructor(private readonly options: OAuthSessionOptions) {
		this.cache = options.cache ?? sharedTokens;
		this.now = options.now ?? Date.now;
		this.thumbprint = certificateThumbprint(options.material.leaf);
		for (const fingerprint of options.retired ?? []) {
			if (fingerprint !== options.material.fingerprint) this.cache.dropMaterial(fingerprint);
		}
	}

	/**
	 * The token to send now.
	 *
	 * @throws OAuthError OAUTH_TOKEN_REQUEST_FAILED, OAUTH_TOKEN_NOT_BOUND, OAUTH_DISCOVERY_FAILED, …
	 * @throws TransportError when the authorization server cannot be reached
	 */
	async token(): Promise<CachedToken> {
		if (this.failure) throw this.failure.error;
		try {
			const { endpoint } = await this.target();
			this.pending ??= this.obtain().finally(() => {
				this.pending = undefined;
			});
			const token = await this.pending;
			if (token.bound === false && CERTIFICATE_METHODS.has(this.options.settings.clientAuthMethod)) {
				const { clientAuthMethod, clientId } = this.options.settings;
				this.hints.add(`The access token is a JWT without "cnf" (x5t#S256): ${endpoint.host} did not bind it to the client certificate `
					+ `as RFC 8705 expects with ${clientAuthMethod}. It was used anyway; ask the partner to enable certificate-bound access tokens `
					+ `for client "${clientId}".`);
			}
			return token;
		} catch (error) {
			this.failure = { error };
			throw error;
		}
	}

	/**
	 * A token from the shared cache. When this execution joined another one's token request and that
	 * failed (its execution may have been cancelled, closing the Agent it went through), this one
	 * asks once itself; a failure of its own request is final for the execution.
	 */
	private async obtain(): Promise<CachedToken> {
		const { key, endpoint, signingAlgorithms } = await this.target();
		let own = false;
		const fetch = () => {
			own = true;
			return this.fetch(endpoint, signingAlgorithms);
		};
		try {
			return await this.cache.get(key, fetch);
		} catch (error) {
			if (own) throw error;
			return this.cache.get(key, fetch);
		}
	}

	/** The API rejected `token` (invalid_token): the next token() obtains a new one. */
	async reject(token: CachedToken): Promise<void> {
		this.cache.reject((await this.target()).key, token);
	}

	private endpoint?: Promise<{ key: string; endpoint: URL; signingAlgorithms?: string[] }>;

	private target(): Promise<{ key: string; endpoint: URL; signingAlgorithms?: string[] }> {
		this.endpoint ??= this.resolve();
		return this.endpoint;
	}

	private async resolve(): Promise<{ key: string; endpoint: URL; signingAlgorithms?: string[] }> {
		const { settings, dispatcher, shared } = this.options;
		// RFC 8705 §5 aside, a Token URL typed by the user wins over what the issuer publishes.
		const issuer = settings.issuerUrl as URL;
		const found = settings.tokenUrl
			? { tokenEndpoint: settings.tokenUrl, signingAlgorithms: undefined }
			: await (this.options.discovery ?? sharedDiscovery).get(issuer, () => discover(dispatcher, issuer, shared));
		const key = cacheKey(this.options.material.fingerprint, found.tokenEndpoint, settings);
		return { key, endpoint: found.tokenEndpoint, signingAlgorithms: found.signingAlgorithms };
	}

	private async fetch(endpoint: URL, signingAlgorithms?: string[]): Promise<CachedToken> {
		const { settings, material, dispatcher, shared, signingKey } = this.options;
		const obtainedAt = this.now();
		const response = await requestToken(dispatcher, settings, {
			endpoint,
			subject: formatName(material.leaf.subject),
			thumbprint: this.thumbprint,
			signingKey,
			signingAlgorithms,
			shared,
		});
		// Before the token is kept or sent anywhere: one bound to another certificate cannot work.
		const bound = checkBinding(response.accessToken, this.thumbprint);
		return new CachedToken(response.accessToken, {
			scope: response.scope ?? settings.scope,
			obtainedAt,
			expiresAt: expiryOf(response.accessToken, response.expiresIn, obtainedAt),
			bound,
			fingerprint: material.fingerprint,
		});
	}
}

/** expires_in when given; else a JWT's own `exp`; else a default the 401 retry makes safe. */
function expiryOf(token: string, expiresIn: number | undefined, obtainedAt: number): number {
	if (expiresIn !== undefined) return obtainedAt + expiresIn * 1000;
	const exp = readJwtClaims(token)?.exp;
	if (typeof exp === 'number' && exp * 1000 > obtainedAt) return exp * 1000;
	return obtainedAt + DEFAULT_LIFETIME_MS;
}

/**
 * Credential fingerprint + token endpoint + scope + audience, and every other setting that changes
 * what the server issues (client, method, extra parameters, secret), hashed so no secret is kept in a key.
 */
export function cacheKey(fingerprint: string, endpoint: URL, settings: OAuthSettings): string {
	const parts = [
		endpoint.href,
		settings.scope ?? '',
		settings.audience ?? '',
		settings.clientId,
		settings.clientAuthMethod,
		settings.clientSecret ?? '',
		settings.tokenParameters,
	];
	return `${fingerprint}|${createHash('sha256').update(JSON.stringify(parts)).digest('base64url')}`;
}
