/** The client certificate goes to the origin through a CONNECT tunnel, never to the proxy. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { MtlsError } from '../lib/errors';
import { createAgent } from '../lib/http/agent';
import { resolveProxy, proxyFor } from '../lib/http/proxy';
import { send } from '../lib/http/send';
import { loadMaterial, TlsMaterial } from '../lib/tls/material';
import { ParamReader, readSettings } from '../nodes/MtlsHttpRequest/parameters';
import { ConnectProxy, startConnectProxy } from './fixtures/connectProxy';
import { createStandardPki, StandardPki } from './fixtures/pki';
import { MtlsServer, startMtlsServer } from './fixtures/mtlsServer';

describe('proxy', () => {
	let pki: StandardPki;
	let server: MtlsServer;
	let material: TlsMaterial;
	const proxies: ConnectProxy[] = [];
	const startProxy = async (credentials?: string) => {
		const proxy = await startConnectProxy({ credentials });
		proxies.push(proxy);
		return proxy;
	};

	before(async () => {
		pki = createStandardPki();
		server = await startMtlsServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.ca.certPem });
		material = loadMaterial({ certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: pki.ca.certPem });
	});
	after(async () => {
		await Promise.all(proxies.map((proxy) => proxy.close()));
		await server.close();
		pki.pki.cleanup();
	});

	async function get(proxyUrl: string | undefined, env: NodeJS.ProcessEnv = {}) {
		const agent = createAgent(material, { proxy: resolveProxy(proxyUrl, env) });
		try {
			const response = await send(agent, { method: 'GET', url: new URL(`${server.origin}/through`), headers: {}, redirect: { follow: false, max: 0, allowCrossOrigin: false } });
			return JSON.parse(response.body.toString()) as { peerSubject: string; authorized: boolean };
		} finally {
			await agent.close();
		}
	}

	test('the origin sees the client certificate; the proxy sees only CONNECT and encrypted bytes', async () => {
		const proxy = await startProxy();
		const seen = await get(proxy.url);
		assert.equal(seen.peerSubject, 'client-ec.example');
		assert.equal(seen.authorized, true);
		assert.deepEqual(proxy.targets, [`localhost:${server.port}`]);
		assert.ok(proxy.clientBytes().length > 0);
		assert.ok(!proxy.clientBytes().includes('GET /through'), 'the request went through the tunnel encrypted');
		assert.ok(!proxy.clientBytes().includes(Buffer.from(pki.clientEc.certPem.split('\n')[1], 'base64').subarray(0, 24)), 'under TLS 1.3 the client certificate is encrypted too');
	});

	test('proxy credentials in the URL are sent as Basic Proxy-Authorization', async () => {
		const proxy = await startProxy('svc:s3cr%23t');
		const seen = await get(proxy.url);
		assert.equal(seen.peerSubject, 'client-ec.example');
		assert.deepEqual(proxy.authorizations, [`Basic ${Buffer.from('svc:s3cr#t').toString('base64')}`]);
	});

	test('without the right credentials: PROXY_AUTH_FAILED naming the proxy but not the password', async () => {
		const proxy = await startProxy('svc:right');
		await assert.rejects(get(proxy.url.replace('svc:right', 'svc:wrong')), (error: { code: string; message: string }) => {
			assert.equal(error.code, 'PROXY_AUTH_FAILED');
			assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${proxy.port}`));
			assert.ok(!error.message.includes('wrong'));
			return true;
		});
	});

	test('percent-encoded credentials are decoded once: %25 is "%", %C3%A4 is "ä"', async () => {
		const proxy = await startProxy('svc:50%25off%20p%C3%A4ss');
		assert.equal((await get(proxy.url)).peerSubject, 'client-ec.example');
		assert.deepEqual(proxy.authorizations, [`Basic ${Buffer.from('svc:50%off päss').toString('base64')}`]);
	});

	test('a bare "%" in the proxy password: PROXY_CREDENTIALS_INVALID before any connection, password not shown', async () => {
		const proxy = await startProxy();
		const url = proxy.url.replace('http://', 'http://svc:50%off@');
		for (const resolve of [() => resolveProxy(url), () => resolveProxy(undefined, { HTTPS_PROXY: url })]) {
			assert.throws(resolve, (error: MtlsError) => {
				assert.equal(error.code, 'PROXY_CREDENTIALS_INVALID');
				assert.match(error.message, /The proxy password in (the "Proxy" option|HTTPS_PROXY) has a "%"/);
				assert.match(error.description ?? '', /%25/);
				assert.ok(!`${error.message} ${error.description}`.includes('50%off'));
				return true;
			});
		}
		assert.equal(proxy.targets.length, 0);
	});

	test('through the node\'s "Proxy" option the execution fails at once with that code, not a wrapped PROXY_INVALID', () => {
		const param = (<T>(name: string, fallback?: T) => (name === 'options.proxy' ? 'http://svc:50%off@proxy.example:3128' : fallback)) as ParamReader;
		assert.throws(() => readSettings(param, 1), { code: 'PROXY_CREDENTIALS_INVALID', field: 'options.proxy' });
	});

	test('the same URL handed straight to the Agent fails the request with that code; nothing throws in a socket listener', async () => {
		const proxy = await startProxy();
		const uncaught: unknown[] = [];
		const record = (error: unknown) => uncaught.push(error);
		process.on('uncaughtException', record);
		const agent = createAgent(material, { proxy: { url: new URL(proxy.url.replace('http://', 'http://svc:50%off@')), noProxy: [] } });
		try {
			await assert.rejects(send(agent, { method: 'GET', url: new URL(`${server.origin}/through`), headers: {}, redirect: { follow: false, max: 0, allowCrossOrigin: false } }), { code: 'PROXY_CREDENTIALS_INVALID' });
		} finally {
			await agent.close();
			process.off('uncaughtException', record);
		}
		assert.deepEqual(uncaught, []);
		assert.equal(proxy.targets.length, 0, 'the proxy was never asked');
	});

	test('HTTPS_PROXY from the environment is used, and NO_PROXY bypasses it', async () => {
		const proxy = await startProxy();
		assert.equal((await get(undefined, { HTTPS_PROXY: proxy.url })).peerSubject, 'client-ec.example');
		assert.equal(proxy.targets.length, 1);
		assert.equal((await get(undefined, { HTTPS_PROXY: proxy.url, NO_PROXY: 'example.com,localhost' })).peerSubject, 'client-ec.example');
		assert.equal(proxy.targets.length, 1, 'NO_PROXY host was reached directly');
	});

	test('an unreachable proxy is named in the error', async () => {
		const proxy = await startProxy();
		await proxy.close();
		await assert.rejects(get(proxy.url), { code: 'PROXY_UNREACHABLE' });
	});

	test('NO_PROXY matching follows curl', () => {
		const config = resolveProxy(undefined, { https_proxy: 'proxy.example:3128', no_proxy: '.internal.example, 10.1.2.3, api.partner.example:8443' });
		assert.equal(config?.url.href, 'http://proxy.example:3128/');
		assert.equal(proxyFor(config, 'svc.internal.example', 443), undefined);
		assert.equal(proxyFor(config, 'internal.example', 443), undefined);
		assert.equal(proxyFor(config, '10.1.2.3', 443), undefined);
		assert.equal(proxyFor(config, 'api.partner.example', 8443), undefined);
		assert.ok(proxyFor(config, 'api.partner.example', 443));
		assert.ok(proxyFor(config, 'notinternal.example', 443));
		assert.equal(resolveProxy(undefined, {}), undefined);
		assert.deepEqual(resolveProxy('http://p:1', { NO_PROXY: '*' })?.noProxy, [], 'an explicit proxy option ignores NO_PROXY');
	});
});
