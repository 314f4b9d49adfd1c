/**
 * OAuth 2.0 client credentials over mutual TLS (RFC 8705) against a real authorization server
 * (oidc-provider over https with requestCert) and a resource server that accepts only tokens bound
 * to the certificate it sees. Token requests are counted at the server.
 */
import assert from 'node:assert/strict';
import { createPublicKey, randomUUID, X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import type { ICredentialDataDecryptedObject, ICredentialTestFunctions, IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import type { Agent } from 'undici';

import { createAgent } from '../lib/http/agent';
import { open, readBody } from '../lib/http/send';
import type { HttpRequest, StreamedResponse } from '../lib/http/send';
import { jwkThumbprint } from '../lib/oauth/assertion';
import { sendWithToken } from '../lib/oauth/authorize';
import { checkBinding, certificateThumbprint } from '../lib/oauth/binding';
import { CachedToken, TokenCache } from '../lib/oauth/cache';
import { DiscoveryCache } from '../lib/oauth/discovery';
import { OAuthError } from '../lib/oauth/errors';
import { cacheKey, OAuthSession, OAuthSessionOptions } from '../lib/oauth/session';
import { OAuthInput, readOAuthSettings } from '../lib/oauth/settings';
import { loadSigningKey } from '../lib/oauth/signingKey';
import { loadMaterial, MaterialInput, TlsMaterial } from '../lib/tls/material';
import { executeCertificateInfo } from '../nodes/MtlsHttpRequest/certificateInfo';
import { executeRequests } from '../nodes/MtlsHttpRequest/execute';
import { MtlsHttpRequest } from '../nodes/MtlsHttpRequest/MtlsHttpRequest.node';
import {
	AuthorizationServer, publicJwk, RESOURCE, ResourceServer, startAuthorizationServer, startResourceServer, subjectDn, thumbprintOf,
} from './fixtures/oauthServer';
import { createStandardPki, encryptKey, generateKey, Issued, openssl, StandardPki } from './fixtures/pki';

const SECRET = 'n8n-oauth-test-secret';

function selfSigned(dir: string, cn: string): Issued {
	const keyPem = generateKey('ec');
	const keyFile = join(dir, `${cn}.key`);
	writeFileSync(keyFile, keyPem);
	const certPem = openssl(['req', '-x509', '-new', '-key', keyFile, '-subj', `/CN=${cn}/O=mTLS Test`, '-days', '30', '-sha256',
		'-addext', 'extendedKeyUsage=clientAuth', '-addext', 'keyUsage=critical,digitalSignature']);
	return { keyPem, certPem, name: cn };
}

interface Client {
	input: MaterialInput;
	material: TlsMaterial;
	agent: Agent;
}

describe('OAuth 2.0 client credentials over mTLS', () => {
	let std: StandardPki;
	let as: AuthorizationServer;
	let as8414: AuthorizationServer;
	let api: ResourceServer;
	const issued: Record<string, Issued> = {};
	const clients: Record<string, Client> = {};

	const client = (issue: Issued): Client => {
		const input = { certificateBundle: encryptKey(issue.keyPem, std.passphrase) + issue.certPem, passphrase: std.passphrase, caCertificates: std.ca.certPem };
		const material = loadMaterial(input);
		return { input, material, agent: createAgent(material) };
	};

	before(async () => {
		std = createStandardPki();
		issued.ec = std.clientEc;
		issued.rsa = std.clientRsa;
		issued.ed = std.pki.issue(std.ca, { cn: 'client-ed.example', keyType: 'ed25519' });
		issued.selfSigned = selfSigned(std.pki.dir, 'self-signed.example');
		issued.stranger = std.pki.issue(std.otherCa, { cn: 'client-ec.example' });
		issued.successor = std.pki.issue(std.ca, { cn: 'client-ec.example' });
		issued.unbound = std.pki.issue(std.ca, { cn: 'client-unbound.example' });
		for (const [name, issue] of Object.entries(issued)) clients[name] = client(issue);
		const registrations = [
			{ client_id: 'tls-client', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: subjectDn(issued.ec) },
			{ client_id: 'self-signed-client', token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: { keys: [publicJwk(issued.selfSigned, true)] } },
			{ client_id: 'jwt-ec', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [publicJwk(issued.ec)] } },
			{ client_id: 'jwt-rsa', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [publicJwk(issued.rsa)] } },
			{ client_id: 'jwt-ed', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [publicJwk(issued.ed)] } },
			{ client_id: 'basic-client', token_endpoint_auth_method: 'client_secret_basic', client_secret: SECRET },
			{ client_id: 'post-client', token_endpoint_auth_method: 'client_secret_post', client_secret: SECRET },
			{ client_id: 'unbound-client', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: subjectDn(issued.unbound), tls_client_certificate_bound_access_tokens: false },
		];
		as = await startAuthorizationServer({ server: std.server, clientCa: [std.ca.certPem], clients: registrations });
		as8414 = await startAuthorizationServer({ server: std.server, clientCa: [std.ca.certPem], clients: registrations, rfc8414: true });
		api = await startResourceServer({ server: std.server, clientCa: [std.ca.certPem], signingKey: as.signingKey });
	});

	after(async () => {
		for (const { agent } of Object.values(clients)) await agent.close();
		await Promise.all([as?.close(), as8414?.close(), api?.close()]);
		std?.pki.cleanup();
	});

	/** A session as the node builds one per execution, with its own cache unless one is given. */
	const sessionFor = (name: string, oauth: OAuthInput, options: Partial<OAuthSessionOptions> = {}) => {
		const { material, agent, input } = clients[name];
		const settings = readOAuthSettings({ authentication: 'oauth2ClientCredentials', tokenUrl: `${as.origin}/token`, ...oauth });
		return new OAuthSession({
			settings,
			material,
			dispatcher: agent,
			signingKey: () => loadSigningKey(input),
			cache: new TokenCache(),
			discovery: new DiscoveryCache(),
			...options,
		});
	};
	const get = (path = '/accounts'): HttpRequest => ({ method: 'GET', url: new URL(`${api.origin}${path}`), headers: {}, redirect: { follow: false, max: 0, allowCrossOrigin: false } });
	const callApi = async (session: OAuthSession, name: string, request = get()) => {
		const response = await sendWithToken(session, request, (next) => open(clients[name].agent, next), (r: StreamedResponse) => readBody(r).then(() => undefined));
		return { status: response.statusCode, body: (await readBody(response)).toString('utf8') };
	};

	const methods: Array<[string, string, OAuthInput]> = [
		['tls_client_auth', 'ec', { clientId: 'tls-client', audience: RESOURCE, tokenParameters: { parameter: [{ name: 'purpose', value: 'test' }] } }],
		['self_signed_tls_client_auth', 'selfSigned', { clientId: 'self-signed-client', clientAuthMethod: 'self_signed_tls_client_auth' }],
		['private_key_jwt (ES256)', 'ec', { clientId: 'jwt-ec', clientAuthMethod: 'private_key_jwt' }],
		['private_key_jwt (RS256)', 'rsa', { clientId: 'jwt-rsa', clientAuthMethod: 'private_key_jwt' }],
		['private_key_jwt (EdDSA)', 'ed', { clientId: 'jwt-ed', clientAuthMethod: 'private_key_jwt' }],
		['client_secret_basic', 'ec', { clientId: 'basic-client', clientAuthMethod: 'client_secret_basic', clientSecret: SECRET }],
		['client_secret_post', 'ec', { clientId: 'post-client', clientAuthMethod: 'client_secret_post', clientSecret: SECRET }],
	];
	for (const [label, name, oauth] of methods) {
		test(`${label}: a certificate-bound token the API accepts on the same certificate`, async () => {
			const before = as.tokenRequests();
			const session = sessionFor(name, { scope: 'accounts', ...oauth });
			const token = await session.token();
			assert.equal(as.tokenRequests(), before + 1);
			assert.equal(token.bound, true);
			assert.equal(token.scope, 'accounts');
			assert.ok(token.expiresAt > Date.now() + 500_000);
			const claims = JSON.parse(Buffer.from(token.reveal().split('.')[1], 'base64url').toString()) as { cnf: Record<string, string> };
			assert.equal(claims.cnf['x5t#S256'], thumbprintOf(clients[name].material.leaf));
			const response = await callApi(session, name);
			assert.equal(response.status, 200, response.body);
			const form = as.tokenForms.at(-1) as URLSearchParams;
			assert.equal(form.get('grant_type'), 'client_credentials');
			assert.equal(form.get('client_secret'), oauth.clientAuthMethod === 'client_secret_post' ? SECRET : null);
			assert.equal(form.has('client_assertion'), oauth.clientAuthMethod === 'private_key_jwt');
			assert.equal(form.get('resource'), oauth.audience ?? null);
			assert.equal(form.get('purpose'), oauth.audience ? 'test' : null);
		});
	}

	test('private_key_jwt: kid is the RFC 7638 thumbprint, x5t#S256 the certificate, aud the token endpoint, 60 s, fresh jti', async () => {
		const assertions: Array<{ header: Record<string, string>; claims: Record<string, string | number> }> = [];
		for (let i = 0; i < 2; i++) {
			await sessionFor('rsa', { clientId: 'jwt-rsa', clientAuthMethod: 'private_key_jwt' }).token();
			const [header, claims] = String(as.tokenForms.at(-1)?.get('client_assertion')).split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
			assertions.push({ header, claims });
		}
		const [first, second] = assertions;
		assert.equal(first.header.alg, 'RS256');
		assert.equal(first.header.kid, jwkThumbprint(loadSigningKey(clients.rsa.input)));
		assert.equal(first.header['x5t#S256'], certificateThumbprint(clients.rsa.material.leaf));
		assert.equal(first.claims.aud, `${as.origin}/token`);
		assert.equal(first.claims.iss, 'jwt-rsa');
		assert.equal(first.claims.sub, 'jwt-rsa');
		assert.ok(Number(first.claims.exp) - Number(first.claims.iat) <= 60);
		assert.notEqual(first.claims.jti, second.claims.jti);
	});

	test('RFC 7638 thumbprint matches the RFC\'s own example key', () => {
		// RFC 7638 §3.1
		const jwk = {
			kty: 'RSA', e: 'AQAB',
			n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
		};
		assert.equal(jwkThumbprint(createPublicKey({ key: jwk, format: 'jwk' })), 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
	});

	test('discovery: RFC 8414 metadata first, and its mtls_endpoint_aliases.token_endpoint wins (RFC 8705 §5)', async () => {
		const session = sessionFor('rsa', { tokenUrl: '', issuerUrl: as8414.origin, clientId: 'jwt-rsa', clientAuthMethod: 'private_key_jwt' });
		const token = await session.token();
		assert.equal(token.bound, true);
		assert.equal(as8414.paths[0], '/.well-known/oauth-authorization-server');
		assert.equal(as8414.tokenRequests(), 1);
		// The metadata lists PS256 but not RS256 (as FAPI servers do): the RSA key signs with PS256.
		const header = JSON.parse(Buffer.from(String(as8414.tokenForms[0].get('client_assertion')).split('.')[0], 'base64url').toString()) as { alg: string };
		assert.equal(header.alg, 'PS256');
	});

	test('discovery: metadata naming another issuer is refused (RFC 8414 §3.3), before any token request', async () => {
		const impostor = await startAuthorizationServer({ server: std.server, clientCa: [std.ca.certPem], clients: [], rfc8414: true, metadataIssuer: 'https://as.elsewhere.example' });
		try {
			const session = sessionFor('ec', { tokenUrl: '', issuerUrl: impostor.origin, clientId: 'tls-client' });
			await assert.rejects(session.token(), { code: 'OAUTH_DISCOVERY_FAILED', field: 'issuerUrl', message: /for issuer "https:\/\/as.elsewhere.example"/ });
			assert.equal(impostor.tokenRequests(), 0);
		} finally {
			await impostor.close();
		}
	});

	test('discovery: falls back to openid-configuration when there is no RFC 8414 document', async () => {
		const seen = as.paths.length;
		const session = sessionFor('ec', { tokenUrl: '', issuerUrl: as.origin, clientId: 'tls-client' });
		assert.equal((await session.token()).bound, true);
		assert.deepEqual(as.paths.slice(seen), ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration', '/token']);
	});

	test('discovery: an issuer without metadata is OAUTH_DISCOVERY_FAILED naming the Issuer URL', async () => {
		const session = sessionFor('ec', { tokenUrl: '', issuerUrl: `${api.origin}/nothing`, clientId: 'tls-client' });
		await assert.rejects(session.token(), { code: 'OAUTH_DISCOVERY_FAILED', field: 'issuerUrl' });
	});

	test('one token for 1000 requests over two executions; concurrent requests share one token request', async () => {
		const cache = new TokenCache();
		const before = as.tokenRequests();
		const apiBefore = api.calls.length;
		for (let execution = 0; execution < 2; execution++) {
			const session = sessionFor('ec', { clientId: 'tls-client' }, { cache });
			const statuses = await Promise.all(Array.from({ length: 500 }, () => callApi(session, 'ec').then((r) => r.status)));
			assert.deepEqual(new Set(statuses), new Set([200]));
		}
		assert.equal(as.tokenRequests() - before, 1);
		assert.equal(api.calls.length - apiBefore, 1000);
	});

	test('expiry: a token is reused until expires_in minus the margin, then refreshed', async () => {
		let now = Date.now();
		const cache = new TokenCache(() => now);
		const before = as.tokenRequests();
		const first = await sessionFor('ec', { clientId: 'tls-client' }, { cache, now: () => now }).token();
		now += 500_000;
		assert.equal(await sessionFor('ec', { clientId: 'tls-client' }, { cache, now: () => now }).token(), first);
		// 600 s token: refreshed 60 s before it expires.
		now += 50_000;
		const second = await sessionFor('ec', { clientId: 'tls-client' }, { cache, now: () => now }).token();
		assert.notEqual(second.reveal(), first.reveal());
		assert.equal(as.tokenRequests() - before, 2);
	});

	test('a refresh never replaces a token that lives longer', async () => {
		let now = 1_000_000;
		const cache = new TokenCache(() => now);
		const token = (value: string, expiresAt: number) => new CachedToken(value, { obtainedAt: now, expiresAt, bound: null, fingerprint: 'f' });
		const longer = await cache.get('k', async () => token('long', now + 3_600_000));
		// A slow refresh started earlier brings a token that expires sooner: the longer one stays.
		const slow = cache.get('other', async () => token('short', now + 60_000));
		await slow;
		cache.reject('k', token('unrelated', 0));
		assert.equal(await cache.get('k', async () => token('never', now)), longer);
		now += 3_600_000;
		const replaced = await cache.get('k', async () => token('new', now + 3_600_000));
		assert.equal(replaced.reveal(), 'new');
	});

	test('joining another execution\'s token request that fails (its Agent closed): this execution asks itself, once', async () => {
		const cache = new TokenCache();
		const closed = createAgent(clients.ec.material);
		await closed.destroy();
		const before = as.tokenRequests();
		const cancelled = sessionFor('ec', { clientId: 'tls-client' }, { cache, dispatcher: closed });
		const running = sessionFor('ec', { clientId: 'tls-client' }, { cache });
		const [lost, token] = await Promise.allSettled([cancelled.token(), running.token()]);
		assert.equal(lost.status, 'rejected');
		assert.equal(token.status === 'fulfilled' && token.value.bound, true);
		assert.equal(as.tokenRequests() - before, 1);
	});

	test('a refresh that fails inside the margin keeps using the token that still works', async () => {
		let now = 1_000_000;
		const cache = new TokenCache(() => now);
		const first = await cache.get('k', async () => new CachedToken('t1', { obtainedAt: now, expiresAt: now + 600_000, bound: null, fingerprint: 'f' }));
		now += 570_000;
		assert.equal(await cache.get('k', async () => Promise.reject(new Error('token endpoint down'))), first);
		now += 40_000;
		await assert.rejects(cache.get('k', async () => Promise.reject(new Error('token endpoint down'))), /down/);
	});

	test('401 invalid_token: the token is dropped, a new one fetched, the request sent once more', async () => {
		const cache = new TokenCache();
		const session = sessionFor('ec', { clientId: 'tls-client' }, { cache });
		const token = await session.token();
		api.revoked.add(token.reveal());
		const before = as.tokenRequests();
		const apiBefore = api.calls.length;
		const response = await callApi(sessionFor('ec', { clientId: 'tls-client' }, { cache }), 'ec');
		assert.equal(response.status, 200);
		assert.equal(as.tokenRequests() - before, 1);
		assert.deepEqual(api.calls.slice(apiBefore).map((call) => call.status), [401, 200]);
		// A POST with a body is not repeated: the 401 is the answer, and no new token is fetched.
		const later = sessionFor('ec', { clientId: 'tls-client' }, { cache });
		api.revoked.add((await later.token()).reveal());
		const tokenRequests = as.tokenRequests();
		const post = await callApi(later, 'ec', { ...get(), method: 'POST', body: '{"amount":1}', headers: { 'content-type': 'application/json' } });
		assert.equal(post.status, 401);
		assert.equal(as.tokenRequests(), tokenRequests);
	});

	test('a request with its own Authorization header is sent as is, with a hint', async () => {
		const before = as.tokenRequests();
		const session = sessionFor('ec', { clientId: 'tls-client' });
		const response = await callApi(session, 'ec', { ...get(), headers: { Authorization: 'Bearer user-token' } });
		assert.equal(response.status, 401);
		assert.equal(as.tokenRequests(), before);
		assert.match([...session.hints][0], /own Authorization header/);
	});

	test('unknown client ID: OAUTH_TOKEN_REQUEST_FAILED with invalid_client and the subject DN to register', async () => {
		const session = sessionFor('ec', { clientId: `nobody-${randomUUID()}` });
		await assert.rejects(session.token(), (error: OAuthError) => {
			assert.equal(error.code, 'OAUTH_TOKEN_REQUEST_FAILED');
			assert.equal(error.oauthError, 'invalid_client');
			assert.match(error.message, /\(invalid_client/);
			assert.match(error.description ?? '', /does not know this certificate .*register its subject DN "O=mTLS Test, CN=client-ec.example"/);
			return true;
		});
	});

	test('a certificate from another CA: invalid_client; the same error for every later item, without another request', async () => {
		const session = sessionFor('stranger', { clientId: 'tls-client' });
		const before = as.tokenRequests();
		const apiBefore = api.calls.length;
		for (let item = 0; item < 3; item++) {
			await assert.rejects(callApi(session, 'stranger'), { code: 'OAUTH_TOKEN_REQUEST_FAILED', oauthError: 'invalid_client' });
		}
		assert.equal(as.tokenRequests() - before, 1);
		assert.equal(api.calls.length, apiBefore);
	});

	test('wrong secret and unknown scope: the partner\'s error and the fix for it', async () => {
		await assert.rejects(sessionFor('ec', { clientId: 'basic-client', clientAuthMethod: 'client_secret_basic', clientSecret: 'wrong' }).token(), {
			code: 'OAUTH_TOKEN_REQUEST_FAILED', oauthError: 'invalid_client', description: /check "Client ID" and "Client Secret"/,
		});
		await assert.rejects(sessionFor('ec', { clientId: 'tls-client', scope: 'admin' }).token(), {
			code: 'OAUTH_TOKEN_REQUEST_FAILED', oauthError: 'invalid_scope', description: /correct the "Scope" field/,
		});
	});

	test('a token bound to another certificate: OAUTH_TOKEN_NOT_BOUND, and the API is never called', async () => {
		as.bindTo(clients.rsa.material.leaf);
		try {
			const apiBefore = api.calls.length;
			const cache = new TokenCache();
			const session = sessionFor('ec', { clientId: 'basic-client', clientAuthMethod: 'client_secret_basic', clientSecret: SECRET }, { cache });
			await assert.rejects(callApi(session, 'ec'), (error: OAuthError) => {
				assert.equal(error.code, 'OAUTH_TOKEN_NOT_BOUND');
				assert.match(error.message, /bound the access token to another certificate/);
				assert.ok(!inspect(error).includes('eyJ'), 'the token is not in the error');
				return true;
			});
			assert.equal(api.calls.length, apiBefore);
			assert.equal(cache.size, 0);
		} finally {
			as.bindTo(undefined);
		}
	});

	test('a JWT without cnf under tls_client_auth: used, with a hint that binding was expected', async () => {
		const session = sessionFor('unbound', { clientId: 'unbound-client' });
		const token = await session.token();
		assert.equal(token.bound, false);
		assert.match([...session.hints][0], /without "cnf".*RFC 8705.*certificate-bound access tokens for client "unbound-client"/);
		assert.equal(checkBinding('opaque-token-value', 'x'), null);
	});

	test('rotation: switching to the next certificate drops the tokens of the old one', async () => {
		const cache = new TokenCache();
		const old = sessionFor('ec', { clientId: 'tls-client' }, { cache });
		await old.token();
		const settings = readOAuthSettings({ authentication: 'oauth2ClientCredentials', tokenUrl: `${as.origin}/token`, clientId: 'tls-client' });
		const oldKey = cacheKey(clients.ec.material.fingerprint, new URL(`${as.origin}/token`), settings);
		assert.ok(cache.has(oldKey));
		const next = sessionFor('successor', { clientId: 'tls-client' }, { cache, retired: [clients.ec.material.fingerprint] });
		assert.ok(!cache.has(oldKey));
		const token = await next.token();
		assert.equal(JSON.parse(Buffer.from(token.reveal().split('.')[1], 'base64url').toString()).cnf['x5t#S256'], thumbprintOf(clients.successor.material.leaf));
		assert.equal((await callApi(next, 'successor')).status, 200);
	});

	test('the token stays out of JSON, inspect and the cache\'s description', async () => {
		const cache = new TokenCache();
		const token = await sessionFor('ec', { clientId: 'tls-client' }, { cache }).token();
		const value = token.reveal();
		assert.ok(!JSON.stringify(token).includes(value));
		assert.ok(!inspect(token, { depth: 5, showHidden: true }).includes(value));
		assert.ok(!inspect(cache, { depth: 5 }).includes(value));
		assert.equal(new X509Certificate(issued.ec.certPem).fingerprint256, clients.ec.material.leaf.fingerprint256);
	});

	describe('in the node', () => {
		/** The parts of n8n's execution context the Request operation uses. */
		const execution = (credential: IDataObject, itemCount: number, options: { continueOnFail?: boolean; parameters?: IDataObject } = {}) => {
			const hints: string[] = [];
			const parameters: IDataObject = { operation: 'request', method: 'GET', url: `${api.origin}/accounts`, ...options.parameters };
			const read = (name: string) => name.split('.').reduce<unknown>((value, part) => (value as IDataObject | undefined)?.[part], parameters);
			const ctx = {
				getInputData: () => Array.from({ length: itemCount }, () => ({ json: {} })),
				getNodeParameter: (name: string, _itemIndex: number, fallback?: unknown) => read(name) ?? fallback,
				getCredentials: async () => credential,
				getNode: () => ({ id: '1', name: 'mTLS HTTP Request', type: 'n8n-nodes-mtls.mtlsHttpRequest', typeVersion: 1, parameters }),
				continueOnFail: () => options.continueOnFail ?? false,
				addExecutionHints: (...added: Array<{ message: string }>) => hints.push(...added.map((hint) => hint.message)),
				helpers: {},
			};
			return { ctx: ctx as unknown as IExecuteFunctions, hints };
		};
		const credentialOf = (name: string, oauth: IDataObject): IDataObject => ({
			...clients[name].input, authentication: 'oauth2ClientCredentials', tokenUrl: `${as.origin}/token`, ...oauth,
		});
		const errorsOf = (output: INodeExecutionData[][]) => output[0].map((item) => (item.json.error as IDataObject | undefined)?.code);

		test('1000 items in two executions: one token request, every API call accepted', async () => {
			const before = as.tokenRequests();
			const apiBefore = api.calls.length;
			// A client of its own, so no other test's token is in the process-wide cache.
			const credential = credentialOf('rsa', { clientId: 'jwt-rsa', clientAuthMethod: 'private_key_jwt', scope: 'payments' });
			for (let run = 0; run < 2; run++) {
				const output = await executeRequests(execution(credential, 500).ctx);
				assert.equal(output[0].length, 500);
				assert.deepEqual(new Set(output[0].map((item) => item.json.ok)), new Set([true]));
			}
			assert.equal(as.tokenRequests() - before, 1);
			assert.equal(api.calls.length - apiBefore, 1000);
			assert.deepEqual(new Set(api.calls.slice(apiBefore).map((call) => call.status)), new Set([200]));
		});

		test('continue on fail: OAUTH_TOKEN_REQUEST_FAILED on every item with invalid_client, from one token request', async () => {
			const before = as.tokenRequests();
			const apiBefore = api.calls.length;
			const { ctx } = execution(credentialOf('stranger', { clientId: 'tls-client' }), 5, { continueOnFail: true });
			const output = await executeRequests(ctx);
			assert.deepEqual(errorsOf(output), Array(5).fill('OAUTH_TOKEN_REQUEST_FAILED'));
			assert.match(String((output[0][0].json.error as IDataObject).message), /invalid_client/);
			assert.match(String((output[0][0].json.error as IDataObject).description), /register its subject DN/);
			assert.equal(as.tokenRequests() - before, 1);
			assert.equal(api.calls.length, apiBefore);
		});

		test('continue on fail: OAUTH_TOKEN_NOT_BOUND, and the API never sees the token', async () => {
			as.bindTo(clients.rsa.material.leaf);
			try {
				const apiBefore = api.calls.length;
				const credential = credentialOf('ec', { clientId: 'post-client', clientAuthMethod: 'client_secret_post', clientSecret: SECRET, scope: 'payments' });
				const output = await executeRequests(execution(credential, 3, { continueOnFail: true }).ctx);
				assert.deepEqual(errorsOf(output), Array(3).fill('OAUTH_TOKEN_NOT_BOUND'));
				assert.equal(api.calls.length, apiBefore);
			} finally {
				as.bindTo(undefined);
			}
		});

		test('invalid settings fail before any connection, naming the field', async () => {
			const before = as.tokenRequests();
			const { ctx } = execution(credentialOf('ec', { clientId: '' }), 2, { continueOnFail: true });
			const output = await executeRequests(ctx);
			assert.deepEqual(errorsOf(output), ['OAUTH_SETTINGS_INVALID', 'OAUTH_SETTINGS_INVALID']);
			assert.match(String((output[0][0].json.error as IDataObject).message), /"Client ID" field is empty/);
			assert.equal(as.tokenRequests(), before);
		});

		test('Authentication "none" sends no token', async () => {
			const apiBefore = api.calls.length;
			const output = await executeRequests(execution({ ...clients.ec.input, authentication: 'none' }, 1, { continueOnFail: true }).ctx);
			assert.equal(output[0][0].json.error !== undefined, true);
			assert.equal(api.calls[apiBefore].token, undefined);
		});

		test('the credential test reports type, lifetime, scope and binding, never the token', async () => {
			const node = new MtlsHttpRequest();
			const runTest = (data: IDataObject) => node.methods.credentialTest.mtlsCertificateTest.call({} as ICredentialTestFunctions, { id: '1', name: 'x', type: 'mtlsCertificateApi', data: data as ICredentialDataDecryptedObject });
			const passed = await runTest(credentialOf('ec', { clientId: 'tls-client', scope: 'accounts' }));
			assert.equal(passed.status, 'OK', passed.message);
			assert.match(passed.message, /Bearer token for client "tls-client" \(tls_client_auth\), valid for 600 s, scope "accounts", bound to this certificate/);
			assert.ok(!/eyJ/.test(passed.message));
			const failed = await runTest(credentialOf('stranger', { clientId: 'tls-client' }));
			assert.equal(failed.status, 'Error');
			assert.match(failed.message, /invalid_client/);
		});

		test('Certificate Info gives the x5t#S256 to register', async () => {
			const { ctx } = execution(clients.selfSigned.input as unknown as IDataObject, 1, { parameters: { operation: 'certificateInfo' } });
			const [rows] = await executeCertificateInfo(ctx);
			assert.equal(rows[0].json.x5tS256, thumbprintOf(clients.selfSigned.material.leaf));
		});
	});

	test('OAuth errors and the credential test show no secret, assertion, passphrase or token', async () => {
		const wrongSecret = 'almost-the-secret-Kq93';
		const node = new MtlsHttpRequest();
		const secrets = [SECRET, wrongSecret, std.passphrase];
		const failures: unknown[] = [];
		const capture = (promise: Promise<unknown>) => promise.then(() => assert.fail('expected a failure'), (error: unknown) => failures.push(error));
		await capture(sessionFor('ec', { clientId: 'post-client', clientAuthMethod: 'client_secret_post', clientSecret: wrongSecret }).token());
		await capture(sessionFor('ec', { clientId: 'basic-client', clientAuthMethod: 'client_secret_basic', clientSecret: wrongSecret }).token());
		// An assertion signed with a key the client did not register: refused, and the assertion is a bearer credential.
		await capture(sessionFor('rsa', { clientId: 'jwt-ec', clientAuthMethod: 'private_key_jwt' }).token());
		const assertion = String(as.tokenForms.at(-1)?.get('client_assertion'));
		as.bindTo(clients.rsa.material.leaf);
		try {
			await capture(sessionFor('ec', { clientId: 'post-client', clientAuthMethod: 'client_secret_post', clientSecret: SECRET }).token());
		} finally {
			as.bindTo(undefined);
		}
		const tested = await node.methods.credentialTest.mtlsCertificateTest.call({} as ICredentialTestFunctions, {
			id: '1', name: 'x', type: 'mtlsCertificateApi',
			data: { ...clients.ec.input, authentication: 'oauth2ClientCredentials', tokenUrl: `${as.origin}/token`, clientId: 'post-client', clientAuthMethod: 'client_secret_post', clientSecret: wrongSecret },
		});
		assert.equal(tested.status, 'Error');
		assert.deepEqual(failures.map((error) => (error as OAuthError).code), ['OAUTH_TOKEN_REQUEST_FAILED', 'OAUTH_TOKEN_REQUEST_FAILED', 'OAUTH_TOKEN_REQUEST_FAILED', 'OAUTH_TOKEN_NOT_BOUND']);
		const shown = [...failures.map((error) => `${inspect(error, { depth: 10 })}\n${JSON.stringify(error)}`), tested.message].join('\n');
		for (const secret of [...secrets, assertion, assertion.split('.')[2]]) assert.ok(!shown.includes(secret), 'a secret is shown');
		assert.ok(!/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/.test(shown), 'no JWT (token or assertion) is shown');
	});

	test('settings: missing Client ID, no endpoint, http Token URL, reserved parameter, secret missing', () => {
		const base = { authentication: 'oauth2ClientCredentials', tokenUrl: 'https://as.example/token', clientId: 'c' };
		const cases: Array<[OAuthInput, string]> = [
			[{ ...base, clientId: ' ' }, 'clientId'],
			[{ ...base, tokenUrl: '' }, 'tokenUrl'],
			[{ ...base, tokenUrl: 'http://as.example/token' }, 'tokenUrl'],
			[{ ...base, tokenParameters: { parameter: [{ name: 'client_id', value: 'x' }] } }, 'tokenParameters'],
			[{ ...base, clientAuthMethod: 'client_secret_post' }, 'clientSecret'],
		];
		for (const [input, field] of cases) assert.throws(() => readOAuthSettings(input), { code: 'OAUTH_SETTINGS_INVALID', field });
		const settings = readOAuthSettings({ ...base, issuerUrl: 'https://issuer.example', audience: ' https://api.example ', tokenParameters: { parameter: [{ name: 'x', value: '1' }] } });
		assert.equal(settings.tokenUrl?.href, 'https://as.example/token');
		assert.equal(settings.audience, 'https://api.example');
		assert.equal(settings.clientAuthMethod, 'tls_client_auth');
		assert.deepEqual(settings.tokenParameters, [{ name: 'x', value: '1' }]);
	});
});
