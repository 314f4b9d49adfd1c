/**
 * createAgent + send against real TLS servers on 127.0.0.1: who the server saw, how each failure
 * is classified, redirects, connection reuse, timeouts and cancellation.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import type { Agent } from 'undici';

import { MtlsError, RequestSpecError, TransportError } from '../lib/errors';
import { AgentOptions, createAgent } from '../lib/http/agent';
import { HttpRequest, HttpResponse, send } from '../lib/http/send';
import { loadMaterial, TlsMaterial } from '../lib/tls/material';
import { TOOL_CROSS_ORIGIN } from '../nodes/MtlsHttpRequest/toolUse';
import { createStandardPki, encryptKey, Issued, StandardPki } from './fixtures/pki';
import { MtlsServer, Seen, ServerOptions, startMtlsServer } from './fixtures/mtlsServer';
import { closedPort, PlainServer, startHttpServer, startOpensslServer, startSilentServer } from './fixtures/servers';

const FOLLOW = { follow: true, max: 5, allowCrossOrigin: false };

function request(url: string, extra: Partial<HttpRequest> = {}): HttpRequest {
	return { method: 'GET', url: new URL(url), headers: {}, redirect: FOLLOW, ...extra };
}

/** What the echo route saw, from the response body. */
function seenIn(response: HttpResponse): Seen {
	return JSON.parse(response.body.toString('utf8')) as Seen;
}

/** The error a promise rejects with; fails the test if it resolves. */
async function failure(promise: Promise<unknown>): Promise<MtlsError> {
	try {
		await promise;
	} catch (error) {
		assert.ok(error instanceof MtlsError, `not an MtlsError: ${inspect(error)}`);
		return error;
	}
	assert.fail('the request succeeded');
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 2_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
}

describe('requests over mutual TLS', () => {
	let pki: StandardPki;
	let materialEc: TlsMaterial;
	let materialRsa: TlsMaterial;
	/** Trusts only Node's default CAs, so not the test servers. */
	let materialNoCa: TlsMaterial;
	let otherNameServer: Issued;
	/** Key + intermediate + leaf, the leaf issued by an intermediate CA under the test root. */
	let materialViaIntermediate: TlsMaterial;
	/** Closed after each test: servers and agents a test opened. */
	const open: Array<{ close: () => Promise<void> }> = [];

	const startServer = async (options: Partial<ServerOptions> = {}): Promise<MtlsServer> => {
		const server = await startMtlsServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.ca.certPem, ...options });
		open.push(server);
		return server;
	};
	const startPlain = async (start: () => Promise<PlainServer>): Promise<PlainServer> => {
		const server = await start();
		open.push(server);
		return server;
	};
	const agentFor = (material: TlsMaterial, options?: AgentOptions): Agent => {
		const agent = createAgent(material, options);
		open.push(agent);
		return agent;
	};

	before(() => {
		pki = createStandardPki();
		const ca = pki.ca.certPem;
		materialEc = loadMaterial({ certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: ca });
		materialRsa = loadMaterial({ certificateBundle: pki.bundleRsa, passphrase: pki.passphrase, caCertificates: ca });
		materialNoCa = loadMaterial({ certificateBundle: pki.bundleEc, passphrase: pki.passphrase });
		otherNameServer = pki.pki.issue(pki.ca, { cn: 'other.example', eku: 'serverAuth', san: ['DNS:other.example'] });
		const intermediate = pki.pki.createIntermediate(pki.ca, 'Transport Issuing CA');
		const client = pki.pki.issue(intermediate, { cn: 'client-chain.example' });
		materialViaIntermediate = loadMaterial({
			certificateBundle: encryptKey(client.keyPem, pki.passphrase) + intermediate.certPem + client.certPem,
			passphrase: pki.passphrase,
			caCertificates: ca,
		});
	});
	afterEach(async () => {
		await Promise.all(open.splice(0).map((item) => item.close()));
	});
	after(() => pki.pki.cleanup());

	describe('the server sees the client certificate', () => {
		for (const [name, material, cn] of [['EC P-256', () => materialEc, 'client-ec.example'], ['RSA 2048', () => materialRsa, 'client-rsa.example']] as const) {
			test(`${name}: GET with query and headers`, async () => {
				const server = await startServer();
				const response = await send(agentFor(material()), request(`${server.origin}/hello?x=1&y=ä`, { headers: { 'x-trace': 'abc' } }));
				assert.equal(response.statusCode, 200);
				assert.equal(response.statusMessage, 'OK');
				const seen = seenIn(response);
				assert.equal(seen.authorized, true);
				assert.equal(seen.peerSubject, cn);
				assert.equal(seen.url, '/hello?x=1&y=%C3%A4');
				assert.equal(seen.headers['x-trace'], 'abc');
			});
		}

		test('POST with a body', async () => {
			const server = await startServer();
			const body = JSON.stringify({ amount: 12.5, currency: 'EUR' });
			const response = await send(agentFor(materialEc), request(`${server.origin}/payments`, { method: 'POST', body, headers: { 'content-type': 'application/json' } }));
			const seen = seenIn(response);
			assert.equal(seen.method, 'POST');
			assert.equal(seen.body, body);
			assert.equal(seen.headers['content-type'], 'application/json');
			assert.equal(seen.headers['content-length'], String(Buffer.byteLength(body)));
		});

		test('a certificate from an intermediate CA, server trusting only the root: the bundle chain is sent', async () => {
			const server = await startServer();
			const seen = seenIn(await send(agentFor(materialViaIntermediate), request(`${server.origin}/`)));
			assert.equal(seen.authorized, true);
			assert.equal(seen.peerSubject, 'client-chain.example');
		});
	});

	describe('TLS failures are classified', () => {
		test('a server certificate from a CA that is not trusted: SERVER_CERT_UNTRUSTED', async () => {
			const server = await startServer();
			const error = await failure(send(agentFor(materialNoCa), request(`${server.origin}/`)));
			assert.ok(error instanceof TransportError);
			assert.equal(error.code, 'SERVER_CERT_UNTRUSTED');
			assert.match(error.description ?? '', /"CA Certificates"/);
			assert.equal(server.requests.length, 0);
		});

		test('a server certificate for another name: SERVER_HOSTNAME_MISMATCH', async () => {
			const server = await startServer({ keyPem: otherNameServer.keyPem, certPem: otherNameServer.certPem });
			const error = await failure(send(agentFor(materialEc), request(`https://localhost:${server.port}/`)));
			assert.equal(error.code, 'SERVER_HOSTNAME_MISMATCH');
			assert.match(error.message, /not valid for the host name "localhost"/);
			assert.equal(server.requests.length, 0);
		});

		test('a Host header changes the HTTP Host only: SNI and the name checked stay the URL\'s host', async () => {
			const server = await startServer();
			let sni: string | false | null | undefined;
			server.server.on('secureConnection', (socket) => {
				sni = socket.servername;
			});
			const response = await send(agentFor(materialEc), request(`https://localhost:${server.port}/`, { headers: { host: 'partner.example' } }));
			assert.equal(seenIn(response).headers.host, 'partner.example');
			assert.equal(sni, 'localhost');
		});

		// Needs lib/http/failures.ts to name the checked host (the `host` of Node's error), not the URL's.
		test('with a Server Name, a mismatch names the name that was checked', async () => {
			const server = await startServer();
			const error = await failure(send(agentFor(materialEc, { serverName: 'partner.example' }), request(`https://localhost:${server.port}/`)));
			assert.equal(error.code, 'SERVER_HOSTNAME_MISMATCH');
			assert.match(error.message, /not valid for the host name "partner\.example"/);
		});

		/*
		 * A server that trusts another CA. Node's TLS server closes the connection without an alert:
		 * under TLS 1.2 during the handshake, under TLS 1.3 after it (the client has finished and
		 * sent its request), when nothing tells a refused certificate from a dropped connection.
		 * OpenSSL-based servers (nginx, Apache) send an "unknown ca" alert in both versions.
		 */
		const rejections: Array<{ name: string; start: () => Promise<MtlsServer | PlainServer>; codes: string[] }> = [
			{
				name: 'Node server, TLS 1.2 (closes during the handshake)',
				start: () => startServer({ clientCa: pki.otherCa.certPem, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }),
				codes: ['TLS_HANDSHAKE_FAILED'],
			},
			{
				name: 'Node server, TLS 1.3 (closes after the handshake)',
				start: () => startServer({ clientCa: pki.otherCa.certPem, minVersion: 'TLSv1.3' }),
				codes: ['CLIENT_CERT_REJECTED', 'CONNECTION_CLOSED'],
			},
			{
				name: 'OpenSSL server, TLS 1.2 (alert during the handshake)',
				start: () => startPlain(() => startOpensslServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.otherCa.certPem, version: 'TLSv1.2' })),
				codes: ['CLIENT_CERT_REJECTED'],
			},
			{
				name: 'OpenSSL server, TLS 1.3 (alert after the handshake, while the request is in flight)',
				start: () => startPlain(() => startOpensslServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.otherCa.certPem, version: 'TLSv1.3' })),
				codes: ['CLIENT_CERT_REJECTED'],
			},
		];
		for (const rejection of rejections) {
			test(`a server that trusts another CA rejects us: ${rejection.name}`, async () => {
				const server = await rejection.start();
				const agent = agentFor(materialEc);
				const attempts = [request(`${server.origin}/`), request(`${server.origin}/upload`, { method: 'POST', body: 'x'.repeat(256 * 1024) })];
				for (const attempt of attempts) {
					const error = await failure(send(agent, attempt));
					assert.ok(rejection.codes.includes(error.code), `${attempt.method}: ${error.code} (${error.message}) not in ${rejection.codes}`);
					if (error.code === 'CLIENT_CERT_REJECTED') assert.match(error.description ?? '', /does not trust the CA/);
				}
				if ('requests' in server) assert.equal(server.requests.length, 0);
			});
		}

		test('a plain HTTP server on the port: NOT_TLS', async () => {
			const plain = await startPlain(() => startHttpServer());
			const error = await failure(send(agentFor(materialEc), request(`https://localhost:${plain.port}/`)));
			assert.equal(error.code, 'NOT_TLS');
		});
	});

	describe('connection failures are classified', () => {
		test('nobody listening on the port: CONNECTION_REFUSED', async () => {
			const port = await closedPort();
			const error = await failure(send(agentFor(materialEc), request(`https://localhost:${port}/`)));
			assert.equal(error.code, 'CONNECTION_REFUSED');
		});

		test('a server that accepts TCP and never answers the handshake: CONNECT_TIMEOUT', async () => {
			const silent = await startPlain(startSilentServer);
			const started = Date.now();
			const error = await failure(send(agentFor(materialEc, { connectTimeout: 200 }), request(`https://localhost:${silent.port}/`)));
			assert.equal(error.code, 'CONNECT_TIMEOUT');
			assert.ok(Date.now() - started < 2_000);
		});

		test('the request\'s timeout covers connecting too, not only the wait for headers (issue 12)', async () => {
			const silent = await startPlain(startSilentServer);
			// The Agent's connect timeout (10 s by default) would answer CONNECT_TIMEOUT; the request's own 300 ms comes first.
			const error = await failure(send(agentFor(materialEc), request(`https://localhost:${silent.port}/`, { timeout: 300 })));
			assert.equal(error.code, 'RESPONSE_TIMEOUT');
		});
	});

	describe('URL and redirects', () => {
		test('http:// and other schemes are refused before any connection', async () => {
			const plain = await startPlain(() => startHttpServer());
			const agent = agentFor(materialEc);
			for (const [url, code] of [[`http://localhost:${plain.port}/`, 'URL_NOT_HTTPS'], [`ftp://localhost:${plain.port}/`, 'URL_BAD_PROTOCOL']]) {
				const error = await failure(send(agent, request(url)));
				assert.ok(error instanceof RequestSpecError);
				assert.equal(error.code, code);
				assert.equal(error.field, 'url');
			}
			assert.equal(plain.connections(), 0);
		});

		const methodChanges: Array<{ status: number; method: string; becomes: string }> = [
			{ status: 301, method: 'GET', becomes: 'GET' },
			{ status: 302, method: 'GET', becomes: 'GET' },
			{ status: 301, method: 'POST', becomes: 'GET' },
			{ status: 302, method: 'POST', becomes: 'GET' },
			{ status: 303, method: 'POST', becomes: 'GET' },
			{ status: 303, method: 'PUT', becomes: 'GET' },
			{ status: 307, method: 'POST', becomes: 'POST' },
			{ status: 308, method: 'PUT', becomes: 'PUT' },
			{ status: 302, method: 'PUT', becomes: 'PUT' },
		];
		for (const { status, method, becomes } of methodChanges) {
			const bodyFate = method === 'GET' ? '' : becomes === method ? ' with the body' : ' without the body';
			test(`same-origin ${status} after ${method} is followed as ${becomes}${bodyFate}`, async () => {
				const server = await startServer();
				server.route('/start', (_req, res) => {
					res.writeHead(status, { location: '/target?from=start' });
					res.end('moved');
				});
				const hasBody = method !== 'GET';
				const response = await send(agentFor(materialEc), request(`${server.origin}/start`, {
					method,
					body: hasBody ? 'payload' : undefined,
					headers: hasBody ? { 'content-type': 'text/plain', 'x-trace': 'abc' } : { 'x-trace': 'abc' },
				}));
				assert.equal(response.statusCode, 200);
				assert.equal(response.url.href, `${server.origin}/target?from=start`);
				assert.deepEqual(server.requests.map((seen) => `${seen.method} ${seen.url}`), [`${method} /start`, `${becomes} /target?from=start`]);
				const seen = seenIn(response);
				assert.equal(seen.headers['x-trace'], 'abc');
				const keepsBody = hasBody && becomes === method;
				assert.equal(seen.body, keepsBody ? 'payload' : '');
				assert.equal(seen.headers['content-type'], keepsBody ? 'text/plain' : undefined);
			});
		}

		test('with follow off the redirect response itself comes back', async () => {
			const server = await startServer();
			server.route('/start', (_req, res) => {
				res.writeHead(302, { location: '/target' });
				res.end();
			});
			const response = await send(agentFor(materialEc), request(`${server.origin}/start`, { redirect: { ...FOLLOW, follow: false } }));
			assert.equal(response.statusCode, 302);
			assert.equal(response.headers.location, '/target');
			assert.equal(server.requests.length, 1);
		});

		test('a redirect to another origin is not followed unless allowed; credentials headers stay behind', async () => {
			const first = await startServer();
			const second = await startServer();
			first.route('/jump', (_req, res) => {
				res.writeHead(302, { location: `${second.origin}/landed` });
				res.end();
			});
			const agent = agentFor(materialEc);
			const headers = { authorization: 'Bearer first-origin-token', cookie: 'session=1', 'x-trace': 'abc' };

			const error = await failure(send(agent, request(`${first.origin}/jump`, { headers })));
			assert.ok(error instanceof TransportError);
			assert.equal(error.code, 'REDIRECT_CROSS_ORIGIN');
			assert.match(error.description ?? '', /turn on "Allow Cross-Origin"/);
			assert.equal(second.handshakes(), 0, 'the second origin was not contacted');
			assert.equal(second.requests.length, 0);

			// Where the setting does not apply (tool use), the error says why instead of suggesting it.
			const locked = await failure(send(agent, request(`${first.origin}/jump`, { headers, redirect: { ...FOLLOW, crossOriginLocked: TOOL_CROSS_ORIGIN } })));
			assert.ok(locked instanceof TransportError);
			assert.equal(locked.code, 'REDIRECT_CROSS_ORIGIN');
			assert.equal(locked.description, TOOL_CROSS_ORIGIN);
			assert.equal(second.handshakes(), 0);

			const response = await send(agent, request(`${first.origin}/jump`, { headers, redirect: { ...FOLLOW, allowCrossOrigin: true } }));
			assert.equal(response.url.href, `${second.origin}/landed`);
			const seen = seenIn(response);
			assert.equal(seen.peerSubject, 'client-ec.example');
			assert.equal(seen.headers['x-trace'], 'abc');
			assert.equal(seen.headers.authorization, undefined);
			assert.equal(seen.headers.cookie, undefined);
			assert.equal(first.requests.at(-1)?.headers.authorization, 'Bearer first-origin-token');
		});

		test('a redirect from https to http is refused even across origins allowed', async () => {
			const server = await startServer();
			const plain = await startPlain(() => startHttpServer());
			server.route('/downgrade', (_req, res) => {
				res.writeHead(301, { location: `http://localhost:${plain.port}/insecure` });
				res.end();
			});
			const error = await failure(send(agentFor(materialEc), request(`${server.origin}/downgrade`, { redirect: { ...FOLLOW, allowCrossOrigin: true } })));
			assert.equal(error.code, 'REDIRECT_NOT_HTTPS');
			assert.equal(plain.connections(), 0);
		});

		test('a redirect loop stops after Max Redirects: TOO_MANY_REDIRECTS', async () => {
			const server = await startServer();
			server.route('/loop', (_req, res) => {
				res.writeHead(307, { location: '/loop' });
				res.end();
			});
			const error = await failure(send(agentFor(materialEc), request(`${server.origin}/loop`, { redirect: { ...FOLLOW, max: 3 } })));
			assert.equal(error.code, 'TOO_MANY_REDIRECTS');
			assert.equal(server.requests.length, 4, 'the first request and 3 redirects');
		});
	});

	describe('connections', () => {
		test('20 sequential requests to one origin share one TLS handshake', async () => {
			const server = await startServer();
			const agent = agentFor(materialEc);
			for (let i = 0; i < 20; i++) {
				const response = await send(agent, request(`${server.origin}/n/${i}`));
				assert.equal(seenIn(response).url, `/n/${i}`);
			}
			assert.equal(server.requests.length, 20);
			assert.equal(server.handshakes(), 1);
		});

		test('two origins (localhost and 127.0.0.1) of one server: one handshake each', async () => {
			const server = await startServer();
			const agent = agentFor(materialEc);
			for (let i = 0; i < 10; i++) {
				for (const host of ['localhost', '127.0.0.1']) await send(agent, request(`https://${host}:${server.port}/`));
			}
			assert.equal(server.requests.length, 20);
			assert.equal(server.handshakes(), 2);
		});

		test('agent.close() leaves the server with no open connection', async () => {
			const server = await startServer();
			const agent = createAgent(materialEc);
			try {
				await Promise.all([1, 2, 3].map((n) => send(agent, request(`${server.origin}/${n}`))));
				assert.ok(server.openConnections() >= 1);
			} finally {
				await agent.close();
			}
			await waitFor(() => server.openConnections() === 0, 'the server saw every connection close');
		});
	});

	describe('timeouts and cancellation', () => {
		test('no response within the timeout: RESPONSE_TIMEOUT', async () => {
			const server = await startServer();
			server.route('/hang', () => undefined);
			const started = Date.now();
			const error = await failure(send(agentFor(materialEc), request(`${server.origin}/hang`, { timeout: 200 })));
			assert.equal(error.code, 'RESPONSE_TIMEOUT');
			assert.ok(Date.now() - started < 2_000);
		});

		test('a body that stops arriving: BODY_TIMEOUT', async () => {
			const server = await startServer();
			server.route('/stall', (_req, res) => {
				res.writeHead(200, { 'content-type': 'text/plain' });
				res.write('first part');
			});
			const error = await failure(send(agentFor(materialEc), request(`${server.origin}/stall`, { timeout: 200 })));
			assert.equal(error.code, 'BODY_TIMEOUT');
		});

		const reasons: Array<[string, (controller: AbortController) => void]> = [
			['abort()', (controller) => controller.abort()],
			['abort(new Error(...))', (controller) => controller.abort(new Error('workflow stopped'))],
			['abort("a string")', (controller) => controller.abort('workflow stopped')],
		];
		for (const [name, abort] of reasons) {
			test(`an AbortSignal firing mid-request (${name}): ABORTED`, async () => {
				const server = await startServer();
				const controller = new AbortController();
				server.route('/hang', () => abort(controller));
				const error = await failure(send(agentFor(materialEc), request(`${server.origin}/hang`, { signal: controller.signal })));
				assert.equal(error.code, 'ABORTED');
				assert.equal(server.requests.length, 1, 'the request had reached the server');
			});
		}

		for (const [name, abort] of reasons) {
			test(`an AbortSignal firing while the body arrives (${name}): ABORTED`, async () => {
				const server = await startServer();
				const controller = new AbortController();
				server.route('/slow', (_req, res) => {
					res.writeHead(200, { 'content-type': 'text/plain' });
					res.write('first part', () => setTimeout(() => abort(controller), 50));
				});
				const error = await failure(send(agentFor(materialEc), request(`${server.origin}/slow`, { signal: controller.signal })));
				assert.equal(error.code, 'ABORTED');
			});
		}

		test('an AbortSignal that already fired: ABORTED without a connection', async () => {
			const server = await startServer();
			const error = await failure(send(agentFor(materialEc), request(`${server.origin}/`, { signal: AbortSignal.abort() })));
			assert.equal(error.code, 'ABORTED');
			assert.equal(server.handshakes(), 0);
		});
	});

	test('util.inspect of the material and of a used agent shows no passphrase and no key', async () => {
		const server = await startServer();
		const agent = agentFor(materialEc);
		await send(agent, request(`${server.origin}/`));
		const encryptedKey = pki.bundleEc.split('-----BEGIN CERTIFICATE-----')[0];
		const keyLines = [encryptedKey, pki.clientEc.keyPem]
			.flatMap((text) => text.split('\n'))
			.filter((line) => line.length >= 16 && !line.startsWith('-----'));
		for (const [what, value] of [['agent', agent], ['material', materialEc]] as const) {
			const text = inspect(value, { depth: 10, showHidden: true });
			assert.ok(!text.includes(pki.passphrase), `${what} shows the passphrase`);
			for (const line of keyLines) assert.ok(!text.includes(line), `${what} shows a line of the key or bundle`);
		}
	});
});
