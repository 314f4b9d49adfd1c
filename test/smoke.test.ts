import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStandardPki } from './fixtures/pki';
import { startMtlsServer } from './fixtures/mtlsServer';
import { loadMaterial } from '../lib/tls/material';
import { createAgent } from '../lib/http/agent';
import { send } from '../lib/http/send';

test('smoke', async () => {
	const t0 = Date.now();
	const s = createStandardPki();
	console.log('pki ms', Date.now() - t0);
	const server = await startMtlsServer({ keyPem: s.server.keyPem, certPem: s.server.certPem, clientCa: s.ca.certPem });
	const material = loadMaterial({ certificateBundle: s.bundleEc, passphrase: s.passphrase, caCertificates: s.ca.certPem });
	const agent = createAgent(material);
	for (let i = 0; i < 5; i++) {
		const r = await send(agent, { method: 'GET', url: new URL(`${server.origin}/x?i=${i}`), headers: {}, redirect: { follow: true, max: 21, allowCrossOrigin: false } });
		assert.equal(r.statusCode, 200);
		if (i === 0) console.log(r.body.toString());
	}
	console.log('handshakes', server.handshakes());
	await agent.close();
	await server.close();
	s.pki.cleanup();
});
