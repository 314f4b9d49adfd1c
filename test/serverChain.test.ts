/**
 * Certificate Info's look at the partner's server (fetchServerChain): made under the same transport
 * policy as requests (Server Name, proxy, outbound rules, the credential's CAs), and never showing
 * the client certificate to a server that was not verified first.
 */
import assert from 'node:assert/strict';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, test } from 'node:test';

import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { fetchServerChain } from '../lib/http/peer';
import { resolveProxy } from '../lib/http/proxy';
import { createSsrfFilter, DEFAULT_BLOCKED_IP_RANGES } from '../lib/http/ssrf';
import { loadMaterial, TlsMaterial } from '../lib/tls/material';
import { executeCertificateInfo } from '../nodes/MtlsHttpRequest/certificateInfo';
import { startConnectProxy } from './fixtures/connectProxy';
import { createStandardPki, Issued, StandardPki } from './fixtures/pki';
import { MtlsServer, ServerOptions, startMtlsServer } from './fixtures/mtlsServer';

/** What the server saw of each TLS connection: the client certificate's CN (null: none), SNI, or its handshake error. */
interface Sighting {
	clientCn?: string | null;
	sni?: string | false | null;
	error?: string;
}

describe('reading the server chain', () => {
	let pki: StandardPki;
	let material: TlsMaterial;
	/** Trusts only Node's default CAs, so not the test servers. */
	let materialNoCa: TlsMaterial;
	let partnerOnly: Issued;
	const servers: MtlsServer[] = [];

	before(() => {
		pki = createStandardPki();
		material = loadMaterial({ certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: pki.ca.certPem });
		materialNoCa = loadMaterial({ certificateBundle: pki.bundleEc, passphrase: pki.passphrase });
		partnerOnly = pki.pki.issue(pki.ca, { cn: 'partner.example', eku: 'serverAuth', san: ['DNS:partner.example'] });
	});
	after(async () => {
		await Promise.all(servers.map((server) => server.close()));
		pki.pki.cleanup();
	});

	/** A server that asks for a client certificate; `requires` makes it refuse a connection without one. */
	const start = async (requires: boolean, options: Partial<ServerOptions> = {}) => {
		const server = await startMtlsServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.ca.certPem, rejectUnauthorized: requires, ...options });
		servers.push(server);
		const seen: Sighting[] = [];
		let notify = () => undefined as void;
		const record = (sighting: Sighting) => {
			seen.push(sighting);
			notify();
		};
		server.server.on('secureConnection', (socket: TLSSocket) => record({ clientCn: (socket.getPeerCertificate().subject?.CN as string | undefined) ?? null, sni: socket.servername }));
		server.server.on('tlsClientError', (error: NodeJS.ErrnoException) => record({ error: error.code ?? error.message }));
		/** Waits until the server has seen `count` connections, then returns what it saw. */
		const sightings = async (count: number) => {
			while (seen.length < count) await new Promise<void>((resolve) => (notify = resolve));
			return seen;
		};
		return { server, sightings };
	};

	for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
		test(`a server that does not require it never sees the client certificate (${version})`, async () => {
			const { server, sightings } = await start(false, { minVersion: version, maxVersion: version });
			const chain = await fetchServerChain(material, new URL(server.origin));
			assert.equal(chain.trusted, true);
			assert.equal(chain.protocol, version);
			assert.equal(chain.clientCertificatePresented, false);
			assert.deepEqual((await sightings(1)).map(({ clientCn }) => clientCn), [null]);
		});

		test(`an untrusted server is reported, and never sees the client certificate (${version})`, async () => {
			const { server, sightings } = await start(false, { minVersion: version, maxVersion: version });
			const chain = await fetchServerChain(materialNoCa, new URL(server.origin));
			assert.equal(chain.trusted, false);
			assert.match(chain.trustError ?? '', /UNABLE_TO_|SELF_SIGNED/);
			assert.equal(chain.certificates[0].subject.includes('CN=localhost'), true);
			assert.deepEqual((await sightings(1)).map(({ clientCn }) => clientCn), [null]);
		});
	}

	test('a TLS 1.2 server that requires the certificate gets it, once it is verified', async () => {
		const { server, sightings } = await start(true, { maxVersion: 'TLSv1.2' });
		const chain = await fetchServerChain(material, new URL(server.origin));
		assert.equal(chain.trusted, true);
		assert.equal(chain.clientCertificatePresented, true);
		const seen = await sightings(2);
		assert.equal(seen[0].error !== undefined, true, 'the first handshake, without a certificate, was refused');
		assert.equal(seen[1].clientCn, 'client-ec.example');
	});

	test('a TLS 1.2 server that requires the certificate but does not verify: fails, the certificate kept back', async () => {
		const { server, sightings } = await start(true, { maxVersion: 'TLSv1.2' });
		await assert.rejects(fetchServerChain(materialNoCa, new URL(server.origin)), { code: 'SERVER_CERT_UNTRUSTED' });
		const seen = await sightings(2);
		assert.ok(seen.every(({ clientCn }) => !clientCn), JSON.stringify(seen));
		assert.equal(server.handshakes(), 0);
	});

	test('the Server Name is sent and checked, for a server reached by IP', async () => {
		const { server, sightings } = await start(false, { keyPem: partnerOnly.keyPem, certPem: partnerOnly.certPem });
		const url = new URL(`https://127.0.0.1:${server.port}/`);
		const named = await fetchServerChain(material, url, { serverName: 'partner.example' });
		assert.equal(named.trusted, true, named.trustError);
		assert.equal(named.checkedName, 'partner.example');
		const unnamed = await fetchServerChain(material, url);
		assert.equal(unnamed.trusted, false);
		assert.equal(unnamed.trustError, 'ERR_TLS_CERT_ALTNAME_INVALID');
		assert.equal(unnamed.checkedName, '127.0.0.1');
		assert.deepEqual((await sightings(2)).map(({ sni }) => sni), ['partner.example', false]);
	});

	test('the proxy is used: the chain is read through a CONNECT tunnel', async () => {
		const { server } = await start(false);
		const proxy = await startConnectProxy();
		try {
			const chain = await fetchServerChain(material, new URL(server.origin), { proxy: resolveProxy(proxy.url, {}) });
			assert.equal(chain.trusted, true);
			assert.deepEqual(proxy.targets, [`localhost:${server.port}`]);
		} finally {
			await proxy.close();
		}
	});

	test('the outbound rules apply: a private address is refused before any connection', async () => {
		const { server } = await start(false);
		const egress = createSsrfFilter({ blockedIpRanges: DEFAULT_BLOCKED_IP_RANGES, allowedIpRanges: [], allowedHostnames: [], blockedHostnames: [] });
		const connections = { count: 0 };
		server.server.on('connection', () => connections.count++);
		await assert.rejects(fetchServerChain(material, new URL(server.origin), { egress }), { code: 'EGRESS_BLOCKED' });
		await assert.rejects(fetchServerChain(material, new URL(`https://127.0.0.1:${server.port}/`), { egress }), { code: 'EGRESS_BLOCKED' });
		assert.equal(connections.count, 0);
	});

	test('pins are reported, not enforced', async () => {
		const { server } = await start(false);
		const chain = await fetchServerChain(material, new URL(server.origin), { pins: ['AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='] });
		assert.equal(chain.pinMatches, false);
		assert.equal((await fetchServerChain(material, new URL(server.origin))).pinMatches, undefined);
	});
	describe('the Certificate Info operation', () => {
		/** Runs the operation for one item with these node parameters, the way n8n calls it. */
		async function certificateInfo(parameters: Record<string, unknown>): Promise<IDataObject[]> {
			const read = (name: string, fallback: unknown) => name.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], parameters) ?? fallback;
			const ctx = {
				getInputData: () => [{ json: {} }],
				getNodeParameter: (name: string, _itemIndex: number, fallback: unknown) => read(name, fallback),
				getCredentials: async () => ({ certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: pki.ca.certPem }),
				getNode: () => ({ id: 'info', name: 'Certificate Info', type: 'mtlsHttpRequest', typeVersion: 1, position: [0, 0], parameters }),
				continueOnFail: () => false,
				helpers: {},
			} as unknown as IExecuteFunctions;
			const [items] = await executeCertificateInfo(ctx);
			return items.map(({ json }) => json).filter((json) => json.source === 'server');
		}

		test('its Options set the Server Name and the proxy of the server connection', async () => {
			const { server, sightings } = await start(false, { keyPem: partnerOnly.keyPem, certPem: partnerOnly.certPem });
			const proxy = await startConnectProxy();
			try {
				const url = `https://127.0.0.1:${server.port}/`;
				const [leaf] = await certificateInfo({ operation: 'certificateInfo', serverUrl: url, options: { serverName: 'partner.example', proxy: proxy.url } });
				assert.equal(leaf.trusted, true, String(leaf.trustError));
				assert.equal(leaf.checkedName, 'partner.example');
				assert.equal(leaf.clientCertificatePresented, false);
				assert.deepEqual(proxy.targets, [`127.0.0.1:${server.port}`]);
				assert.deepEqual((await sightings(1)).map(({ sni, clientCn }) => [sni, clientCn]), [['partner.example', null]]);
			} finally {
				await proxy.close();
			}
		});

		test('an invalid Server Name is refused, naming the option', async () => {
			await assert.rejects(certificateInfo({ operation: 'certificateInfo', serverUrl: 'https://127.0.0.1:1/', options: { serverName: 'https://x' } }), /Server Name/);
		});
	});
});
