/**
 * "CA Certificates" are added to Node's default trust store, not used instead of it. Node's
 * default store includes NODE_EXTRA_CA_CERTS, which is read at start-up, so the check runs in a
 * child process started with it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { createStandardPki, Issued, StandardPki } from './fixtures/pki';
import { MtlsServer, startMtlsServer } from './fixtures/mtlsServer';

const run = promisify(execFile);

describe('trust store', () => {
	let pki: StandardPki;
	let partner: MtlsServer;
	let publicLike: MtlsServer;
	let extraCaFile: string;

	before(async () => {
		pki = createStandardPki();
		// A server whose CA stands for a public or company root: known to Node, not to the credential.
		const otherServer: Issued = pki.pki.issue(pki.otherCa, { cn: 'localhost', eku: 'serverAuth', san: ['DNS:localhost'] });
		partner = await startMtlsServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.ca.certPem });
		publicLike = await startMtlsServer({ keyPem: otherServer.keyPem, certPem: otherServer.certPem, clientCa: pki.ca.certPem });
		extraCaFile = join(pki.pki.dir, 'extra-ca.pem');
		writeFileSync(extraCaFile, pki.otherCa.certPem);
	});
	after(async () => {
		await Promise.all([partner.close(), publicLike.close()]);
		pki.pki.cleanup();
	});

	/** Requests both servers from a child process with one credential; prints each outcome. */
	async function requestBoth(caCertificates: string): Promise<string[]> {
		const lib = join(__dirname, '..', 'lib');
		const script = `
			const { loadMaterial } = require(${JSON.stringify(join(lib, 'tls', 'material.js'))});
			const { createAgent } = require(${JSON.stringify(join(lib, 'http', 'agent.js'))});
			const { send } = require(${JSON.stringify(join(lib, 'http', 'send.js'))});
			(async () => {
				const input = JSON.parse(process.env.MTLS_INPUT);
				const agent = createAgent(loadMaterial(input));
				for (const origin of process.argv.slice(1)) {
					try {
						const response = await send(agent, { method: 'GET', url: new URL(origin + '/'), headers: {}, redirect: { follow: false, max: 0, allowCrossOrigin: false } });
						console.log(JSON.parse(response.body.toString()).peerSubject);
					} catch (error) {
						console.log(error.code);
					}
				}
				await agent.close();
			})();`;
		const input = JSON.stringify({ certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates });
		const { stdout } = await run(process.execPath, ['-e', script, partner.origin, publicLike.origin], { env: { ...process.env, NODE_EXTRA_CA_CERTS: extraCaFile, MTLS_INPUT: input } });
		return stdout.trim().split('\n');
	}

	test('with the partner CA in the credential, hosts under the default store still verify', async () => {
		assert.deepEqual(await requestBoth(pki.ca.certPem), ['client-ec.example', 'client-ec.example']);
	});

	test('without it, only the default store applies', async () => {
		assert.deepEqual(await requestBoth(''), ['SERVER_CERT_UNTRUSTED', 'client-ec.example']);
	});
});
