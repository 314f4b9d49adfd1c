import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { after, before, describe, test } from 'node:test';

import { createAgent } from '../lib/http/agent';
import { send } from '../lib/http/send';
import { MaterialCache } from '../lib/tls/cache';
import { SessionStore } from '../lib/tls/sessions';
import { createStandardPki, StandardPki } from './fixtures/pki';
import { MtlsServer, startMtlsServer } from './fixtures/mtlsServer';

const redirect = { follow: true, max: 21, allowCrossOrigin: false };

describe('caches across executions', () => {
	let pki: StandardPki;
	let server: MtlsServer;

	before(async () => {
		pki = createStandardPki();
		server = await startMtlsServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.ca.certPem });
	});
	after(async () => {
		await server.close();
		pki.pki.cleanup();
	});

	const input = () => ({ certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: pki.ca.certPem });

	test('the material cache is hit for the same credential and missed when a field changes', () => {
		const cache = new MaterialCache();
		const first = cache.load(input());
		assert.equal(cache.load(input()), first);
		assert.notEqual(cache.load({ ...input(), caCertificates: '' }), first);
		assert.notEqual(cache.load({ ...input(), certificateBundle: pki.bundleRsa }), first);
		assert.equal(cache.size, 3);
		assert.throws(() => cache.load({ ...input(), passphrase: 'wrong' }), { code: 'PASSPHRASE_WRONG' });
	});

	test('a cached credential is still refused once its certificate has expired', () => {
		const cache = new MaterialCache();
		const material = cache.load(input());
		const later = new Date(new Date(material.leaf.validTo).getTime() + 1000);
		assert.throws(() => cache.load(input(), { now: later }), { code: 'CERTIFICATE_EXPIRED' });
	});

	test('caches print no secrets', () => {
		const cache = new MaterialCache();
		cache.load(input());
		const text = inspect(cache, { depth: 10 });
		assert.ok(!text.includes(pki.passphrase));
		assert.ok(!text.includes('PRIVATE KEY'));
	});

	test('a second execution (new Agent) resumes the TLS session of the first', async () => {
		const sessions = new SessionStore();
		const material = new MaterialCache().load(input());
		const before = { handshakes: server.handshakes(), resumed: server.resumed() };
		for (let execution = 0; execution < 3; execution++) {
			const agent = createAgent(material, { sessions });
			try {
				for (let item = 0; item < 2; item++) {
					const response = await send(agent, { method: 'GET', url: new URL(`${server.origin}/e${execution}`), headers: {}, redirect });
					assert.equal(JSON.parse(response.body.toString()).peerSubject, 'client-ec.example');
				}
			} finally {
				await agent.close();
			}
		}
		assert.equal(server.handshakes() - before.handshakes, 3);
		assert.equal(server.resumed() - before.resumed, 2);
		assert.ok(sessions.size >= 1);
	});

	test('a session ticket is used once: parallel connections do not all resume the same one', async () => {
		const sessions = new SessionStore();
		const material = new MaterialCache().load(input());
		const first = createAgent(material, { sessions });
		await send(first, { method: 'GET', url: new URL(`${server.origin}/first`), headers: {}, redirect });
		await first.close();
		const kept = 2; // an OpenSSL TLS 1.3 server sends two tickets per connection
		const before = { handshakes: server.handshakes(), resumed: server.resumed() };
		const second = createAgent(material, { sessions });
		try {
			await Promise.all(Array.from({ length: 6 }, (_, index) => send(second, { method: 'GET', url: new URL(`${server.origin}/p${index}`), headers: {}, redirect })));
		} finally {
			await second.close();
		}
		const handshakes = server.handshakes() - before.handshakes;
		assert.ok(handshakes > 1, 'parallel requests opened several connections');
		assert.ok(server.resumed() - before.resumed <= kept, `resumed ${server.resumed() - before.resumed} of ${handshakes}`);
		assert.ok(server.resumed() - before.resumed >= 1);
	});

	test('sessions are never shared between credentials', async () => {
		const sessions = new SessionStore();
		const cache = new MaterialCache();
		const before = server.resumed();
		for (const bundle of [pki.bundleEc, pki.bundleRsa]) {
			const agent = createAgent(cache.load({ ...input(), certificateBundle: bundle }), { sessions });
			try {
				const response = await send(agent, { method: 'GET', url: new URL(`${server.origin}/who`), headers: {}, redirect });
				assert.equal(JSON.parse(response.body.toString()).peerSubject, bundle === pki.bundleEc ? 'client-ec.example' : 'client-rsa.example');
			} finally {
				await agent.close();
			}
		}
		assert.equal(server.resumed() - before, 0);
	});
});
