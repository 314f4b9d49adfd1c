/** The TLS controls partners ask for: SNI override, versions, pinning, insecure mode, HTTP/2. */
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { createSecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, test } from 'node:test';

import { AgentOptions, createAgent } from '../lib/http/agent';
import { send } from '../lib/http/send';
import { loadMaterial, TlsVersions } from '../lib/tls/material';
import { SessionStore } from '../lib/tls/sessions';
import { ParamReader, readSettings } from '../nodes/MtlsHttpRequest/parameters';
import { createStandardPki, Issued, StandardPki } from './fixtures/pki';
import { MtlsServer, ServerOptions, startMtlsServer } from './fixtures/mtlsServer';

const pinOf = (certPem: string) => createHash('sha256').update(new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' })).digest('base64');

describe('TLS controls', () => {
	let pki: StandardPki;
	let partnerOnly: Issued;
	const servers: MtlsServer[] = [];

	before(() => {
		pki = createStandardPki();
		partnerOnly = pki.pki.issue(pki.ca, { cn: 'partner.example', eku: 'serverAuth', san: ['DNS:partner.example'] });
	});
	after(async () => {
		await Promise.all(servers.map((server) => server.close()));
		pki.pki.cleanup();
	});

	const start = async (options: Partial<ServerOptions> = {}) => {
		const server = await startMtlsServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.ca.certPem, ...options });
		servers.push(server);
		return server;
	};

	async function get(url: string, agentOptions: AgentOptions = {}, versions?: TlsVersions, caCertificates: string = pki.ca.certPem) {
		const material = loadMaterial({ certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates }, { versions });
		const agent = createAgent(material, agentOptions);
		try {
			const response = await send(agent, { method: 'GET', url: new URL(url), headers: {}, redirect: { follow: false, max: 0, allowCrossOrigin: false } });
			return JSON.parse(response.body.toString()) as { peerSubject: string; authorized: boolean };
		} finally {
			await agent.close();
		}
	}

	test('Server Name overrides SNI and the name checked, for servers reached by IP', async () => {
		const server = await start({ keyPem: partnerOnly.keyPem, certPem: partnerOnly.certPem });
		let sni: string | false | null | undefined;
		server.server.on('secureConnection', (socket) => {
			sni = socket.servername;
		});
		await assert.rejects(get(`https://127.0.0.1:${server.port}/`), { code: 'SERVER_HOSTNAME_MISMATCH' });
		const seen = await get(`https://127.0.0.1:${server.port}/`, { serverName: 'partner.example' });
		assert.equal(seen.peerSubject, 'client-ec.example');
		assert.equal(sni, 'partner.example');
	});

	test('a matching pin passes; a mismatch fails and shows the pin actually seen', async () => {
		const server = await start();
		const pin = pinOf(pki.server.certPem);
		assert.equal((await get(`${server.origin}/`, { pins: [pin] })).peerSubject, 'client-ec.example');
		const before = server.requests.length;
		await assert.rejects(get(`${server.origin}/`, { pins: [pinOf(pki.clientEc.certPem)] }), (error: { code: string; message: string }) => {
			assert.equal(error.code, 'SERVER_PIN_MISMATCH');
			assert.ok(error.message.includes(`sha256//${pin}`), error.message);
			return true;
		});
		assert.equal(server.requests.length, before, 'no request reaches a server whose key does not match');
	});

	// Node gives no peer certificate on a resumed session: the pin has to come from the session.
	for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
		test(`pins hold across executions that resume the shared session (${version})`, async () => {
			const server = await start({ minVersion: version, maxVersion: version });
			const sessions = new SessionStore();
			const pins = [pinOf(pki.server.certPem)];
			const resumedBefore = server.resumed();
			for (let execution = 0; execution < 6; execution++) {
				assert.equal((await get(`${server.origin}/`, { pins, sessions })).peerSubject, 'client-ec.example', `execution ${execution + 1}`);
			}
			assert.ok(server.resumed() - resumedBefore >= 4, `sessions were resumed (${server.resumed() - resumedBefore} of 6)`);
		});
	}

	test('a session made under one pin set is not offered under another', async () => {
		const server = await start();
		const sessions = new SessionStore();
		const pin = pinOf(pki.server.certPem);
		await get(`${server.origin}/`, { sessions });
		const resumedBefore = server.resumed();
		await assert.rejects(get(`${server.origin}/`, { sessions, pins: [pinOf(pki.clientEc.certPem)] }), { code: 'SERVER_PIN_MISMATCH' });
		assert.equal((await get(`${server.origin}/`, { sessions, pins: [pin] })).peerSubject, 'client-ec.example');
		assert.equal(server.resumed(), resumedBefore, 'the unpinned session was not resumed by the pinned connections');
	});

	/*
	 * Node verifies the server after the handshake, when the client certificate has gone out; the
	 * agent checks it in between, so a server that fails gets nothing of the client's identity.
	 */
	for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
		const cases: Array<[string, AgentOptions, string | undefined, string]> = [
			['an untrusted server', {}, '', 'SERVER_CERT_UNTRUSTED'],
			['a server with another name', { serverName: 'partner.example' }, undefined, 'SERVER_HOSTNAME_MISMATCH'],
			['a server whose key is not pinned', { pins: ['AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='] }, undefined, 'SERVER_PIN_MISMATCH'],
		];
		for (const [name, options, caCertificates, code] of cases) {
			test(`${name} never sees the client certificate (${version}): ${code}`, async () => {
				const server = await start({ minVersion: version, maxVersion: version, rejectUnauthorized: false });
				const seen = new Promise<string | null>((resolve) => {
					server.server.once('secureConnection', (socket: TLSSocket) => resolve((socket.getPeerCertificate().subject?.CN as string | undefined) ?? null));
					server.server.once('tlsClientError', () => resolve(null));
				});
				await assert.rejects(get(`${server.origin}/`, options, undefined, caCertificates), { code });
				assert.equal(await seen, null);
			});
		}
	}

	test('Maximum TLS Version 1.2 against a TLS 1.3-only server fails clearly', async () => {
		const server = await start({ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
		await assert.rejects(get(`${server.origin}/`, {}, { max: 'TLSv1.2' }), { code: 'TLS_HANDSHAKE_FAILED' });
		assert.equal((await get(`${server.origin}/`)).peerSubject, 'client-ec.example');
	});

	test('Minimum TLS Version 1.3 against a TLS 1.2-only server fails clearly', async () => {
		const server = await start({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
		await assert.rejects(get(`${server.origin}/`, {}, { min: 'TLSv1.3' }), { code: 'TLS_HANDSHAKE_FAILED' });
	});

	test('insecure mode accepts an unverifiable server and still presents the client certificate', async () => {
		const server = await start();
		await assert.rejects(get(`${server.origin}/`, {}, undefined, ''), { code: 'SERVER_CERT_UNTRUSTED' });
		const seen = await get(`${server.origin}/`, { allowUnauthorized: true }, undefined, '');
		assert.equal(seen.peerSubject, 'client-ec.example');
		assert.equal(seen.authorized, true);
	});

	test('HTTP/2 is offered only when allowed', async () => {
		const h2 = createSecureServer({ key: pki.server.keyPem, cert: pki.server.certPem, ca: pki.ca.certPem, requestCert: true, rejectUnauthorized: true, allowHTTP1: true }, (req, res) => {
			res.setHeader('content-type', 'application/json');
			res.end(JSON.stringify({ httpVersion: req.httpVersion }));
		});
		await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
		const url = `https://localhost:${(h2.address() as AddressInfo).port}/`;
		try {
			assert.deepEqual(await get(url), { httpVersion: '1.1' });
			assert.deepEqual(await get(url, { allowH2: true }), { httpVersion: '2.0' });
		} finally {
			await new Promise((resolve) => h2.close(resolve));
		}
	});

	describe('option validation', () => {
		const settings = (options: Record<string, unknown>) => readSettings((<T>(name: string, fallback?: T) => (name.startsWith('options.') && name.slice(8) in options ? options[name.slice(8)] : fallback) as T) as ParamReader, 1);

		test('pins are parsed from the curl form, several separated by ";"', () => {
			const pin = pinOf(pki.server.certPem);
			assert.deepEqual(settings({ pinnedPublicKeys: `sha256//${pin}; sha256//${pin}` }).tls.pins, [pin, pin]);
		});

		for (const [name, options, code] of [
			['a pin without the sha256// prefix', { pinnedPublicKeys: 'AbCd' }, 'PIN_INVALID'],
			['minimum above maximum', { minTlsVersion: 'TLSv1.3', maxTlsVersion: 'TLSv1.2' }, 'TLS_VERSIONS_INVALID'],
			['a URL as server name', { serverName: 'https://partner.example' }, 'SERVER_NAME_INVALID'],
		] as const) {
			test(`rejects ${name}`, () => assert.throws(() => settings(options), { code }));
		}
	});
});
