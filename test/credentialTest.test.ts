/**
 * The credential's Test button, called the way n8n calls it (the method of the node's
 * `methods.credentialTest`), against real servers on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';

import { MtlsHttpRequest } from '../nodes/MtlsHttpRequest/MtlsHttpRequest.node';
import { startConnectProxy } from './fixtures/connectProxy';
import { withEnv } from './fixtures/env';
import { createStandardPki, encryptKey, StandardPki } from './fixtures/pki';
import { MtlsServer, ServerOptions, startMtlsServer } from './fixtures/mtlsServer';

const node = new MtlsHttpRequest();

/**
 * A failed test's message as n8n shows it: first what probably happened, then "What to do:", then
 * "Details:", then the certificate; one part per line (n8n joins them into one paragraph).
 */
function partsOf(message: string): { what: string; fix: string; details: string; rest: string[] } {
	const [what, fix, details, ...rest] = message.split('\n');
	assert.match(fix, /^What to do: /, message);
	assert.match(details, /^Details: /, message);
	assert.ok(!message.includes('`'), `no Markdown in ${message}`);
	return { what, fix, details, rest };
}

async function runTest(data: Record<string, string>): Promise<INodeCredentialTestResult> {
	const credentialTest = node.methods.credentialTest[node.description.credentials?.[0].testedBy as 'mtlsCertificateTest'];
	const credential: ICredentialsDecrypted = { id: '1', name: 'partner', type: 'mtlsCertificateApi', data };
	// The test method uses nothing of n8n's test context.
	return credentialTest.call({} as ICredentialTestFunctions, credential);
}

const NO_PROXY_ENV = { HTTPS_PROXY: undefined, https_proxy: undefined, ALL_PROXY: undefined, all_proxy: undefined, NO_PROXY: undefined, no_proxy: undefined };

describe('credential test', () => {
	let pki: StandardPki;
	const servers: MtlsServer[] = [];
	const start = async (options: Partial<ServerOptions> = {}) => {
		const server = await startMtlsServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.ca.certPem, ...options });
		servers.push(server);
		return server;
	};

	before(() => {
		pki = createStandardPki();
	});
	after(async () => {
		await Promise.all(servers.map((server) => server.close()));
		pki.pki.cleanup();
	});

	const data = (extra: Record<string, string> = {}) => ({ certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: pki.ca.certPem, ...extra });

	test('without a Test URL it reports subject, issuer, expiry, days left and key type', async () => {
		const result = await runTest(data());
		assert.equal(result.status, 'OK');
		assert.match(result.message, /CN=client-ec\.example/);
		assert.match(result.message, /issued by ".*CN=Test Partner CA"/);
		assert.match(result.message, /valid until \d{4}-\d{2}-\d{2} \((36[45]) days left\)/);
		assert.match(result.message, /key EC prime256v1/);
	});

	test('a wrong passphrase fails with the field named and no secret shown', async () => {
		const result = await runTest(data({ passphrase: 'not it' }));
		assert.equal(result.status, 'Error');
		assert.match(result.message, /"Passphrase" does not decrypt/);
		assert.ok(!result.message.includes('not it') && !result.message.includes(pki.passphrase));
	});

	test('with a Test URL it shakes hands and says the server accepted the certificate', async () => {
		const server = await start();
		const result = await runTest(data({ testUrl: `${server.origin}/health` }));
		assert.equal(result.status, 'OK', result.message);
		assert.match(result.message, /accepted the client certificate \(HTTP 200\)/);
		assert.equal(server.requests.at(-1)?.peerSubject, 'client-ec.example');
	});

	for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
		test(`a server that trusts another CA rejects the certificate (${version})`, async () => {
			const server = await start({ clientCa: pki.otherCa.certPem, minVersion: version, maxVersion: version });
			const result = await runTest(data({ testUrl: `${server.origin}/` }));
			assert.equal(result.status, 'Error');
			assert.match(result.message, /rejected the client certificate|closed the connection/);
			assert.equal(server.requests.length, 0);
		});
	}

	test('nginx\'s "No required SSL certificate was sent" page: the certificate did not arrive', async () => {
		const server = await start({ rejectUnauthorized: false });
		server.route('/', (_req, res) => {
			res.statusCode = 400;
			res.end('<html><head><title>400 No required SSL certificate was sent</title></head></html>');
		});
		const result = await runTest(data({ testUrl: `${server.origin}/` }));
		assert.equal(result.status, 'Error');
		assert.match(result.message, /^The partner's server did not receive your client certificate\./);
		assert.match(result.message, /did not receive a client certificate \(HTTP 400 "No required SSL certificate was sent"\)/);
	});

	test('HTTP 403 after the handshake: TLS is fine, the API refuses the identity', async () => {
		const server = await start();
		server.route('/forbidden', (_req, res) => {
			res.statusCode = 403;
			res.end('forbidden');
		});
		const result = await runTest(data({ testUrl: `${server.origin}/forbidden` }));
		assert.equal(result.status, 'OK');
		assert.match(result.message, /accepted the TLS handshake .* HTTP 403/);
	});

	describe('the instance\'s rules apply as to executions', () => {
		test('with n8n\'s SSRF protection on, a Test URL on a private address is refused before any connection', async () => {
			const server = await start();
			const handshakes = server.handshakes();
			for (const url of [`${server.origin}/`, `https://127.0.0.1:${server.port}/`, `https://[::ffff:7f00:1]:${server.port}/`]) {
				const result = await withEnv({ ...NO_PROXY_ENV, N8N_SSRF_PROTECTION_ENABLED: 'true' }, () => runTest(data({ testUrl: url })));
				assert.equal(result.status, 'Error', url);
				assert.match(result.message, /not allowed by this n8n instance's outbound rules/, url);
				assert.doesNotMatch(result.message, /HTTP \d{3}/, 'no status reveals what answers there');
			}
			await new Promise((resolve) => setTimeout(resolve, 50));
			assert.equal(server.handshakes(), handshakes, 'the server saw no connection');
		});

		test('the rules come from n8n\'s own settings: an allowed host name passes', async () => {
			const server = await start();
			const env = { ...NO_PROXY_ENV, N8N_SSRF_PROTECTION_ENABLED: 'true', N8N_SSRF_ALLOWED_HOSTNAMES: 'localhost' };
			const result = await withEnv(env, () => runTest(data({ testUrl: `${server.origin}/` })));
			assert.equal(result.status, 'OK', result.message);
			const off = await withEnv({ ...NO_PROXY_ENV, N8N_SSRF_PROTECTION_ENABLED: 'false' }, () => runTest(data({ testUrl: `${server.origin}/` })));
			assert.equal(off.status, 'OK', off.message);
		});

		test('HTTPS_PROXY is used, the certificate going through the tunnel; NO_PROXY bypasses it', async () => {
			const server = await start();
			const proxy = await startConnectProxy();
			try {
				const result = await withEnv({ ...NO_PROXY_ENV, HTTPS_PROXY: proxy.url }, () => runTest(data({ testUrl: `${server.origin}/` })));
				assert.equal(result.status, 'OK', result.message);
				assert.deepEqual(proxy.targets, [`localhost:${server.port}`]);
				assert.equal(server.requests.at(-1)?.peerSubject, 'client-ec.example');
				const direct = await withEnv({ ...NO_PROXY_ENV, HTTPS_PROXY: proxy.url, NO_PROXY: 'localhost' }, () => runTest(data({ testUrl: `${server.origin}/` })));
				assert.equal(direct.status, 'OK', direct.message);
				assert.equal(proxy.targets.length, 1);
			} finally {
				await proxy.close();
			}
		});
	});

	test('an untrusted server certificate is reported with the CA field as the fix', async () => {
		const server = await start();
		const result = await runTest(data({ caCertificates: '', testUrl: `${server.origin}/` }));
		assert.equal(result.status, 'Error');
		assert.match(result.message, /not trusted.*"CA Certificates"/);
	});

	for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
		test(`a rejected certificate (${version}): the likely cause first, the fix, then the details and the certificate`, async () => {
			const server = await start({ clientCa: pki.otherCa.certPem, minVersion: version, maxVersion: version });
			const result = await runTest(data({ testUrl: `${server.origin}/` }));
			assert.equal(result.status, 'Error');
			const { what, fix, details, rest } = partsOf(result.message);
			assert.match(what, /^The partner's server (did not accept|closed the connection: most likely it did not accept|broke off .* did not accept) your/);
			assert.match(what, /your client certificate\.$/);
			assert.match(fix, /registered for this environment/);
			assert.match(details, /\((CLIENT_CERT_REJECTED|CONNECTION_CLOSED|TLS_HANDSHAKE_FAILED)\)/);
			assert.match(rest[0], /^Your certificate: "[^"]*CN=client-ec\.example" issued by/);
		});
	}

	test('nginx\'s rejection page: the same headline; the openssl hint in quotes, not Markdown', async () => {
		const server = await start({ rejectUnauthorized: false });
		server.route('/', (_req, res) => {
			res.statusCode = 400;
			res.end('<html><head><title>400 The SSL certificate error</title></head></html>');
		});
		const result = await runTest(data({ testUrl: `${server.origin}/` }));
		const { what, details } = partsOf(result.message);
		assert.equal(what, "The partner's server did not accept your client certificate.");
		assert.match(details, /"openssl s_client -connect localhost:\d+"/);
	});

	test('warnings get a line of their own after the certificate, on failure as on success', async () => {
		const server = await start({ clientCa: pki.otherCa.certPem });
		const weakKey = encryptKey(pki.clientEc.keyPem, pki.passphrase, ['-v1', 'PBE-SHA1-3DES']);
		const weak = data({ certificateBundle: weakKey + pki.clientEc.certPem });
		const failed = await runTest({ ...weak, testUrl: `${server.origin}/` });
		const { rest } = partsOf(failed.message);
		assert.match(rest[0], /^Your certificate: /);
		assert.match(rest[1], /^Warning: The private key is protected with weak legacy encryption/);
		const passed = await runTest(weak);
		assert.equal(passed.status, 'OK');
		assert.match(passed.message.split('\n')[1], /^Warning: The private key is protected with weak legacy encryption/);
	});

	test('a bundle that cannot be read: the message names the field, then what to do', async () => {
		const result = await runTest(data({ passphrase: '' }));
		assert.equal(result.status, 'Error');
		const [what, fix] = result.message.split('\n');
		assert.match(what, /"Passphrase" field is empty\.$/);
		assert.match(fix, /^What to do: /);
	});
});
