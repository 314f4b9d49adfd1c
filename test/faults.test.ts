/**
 * The fault table: every way a partner's server, the network or the instance's rules can make a
 * request fail, provoked for real on 127.0.0.1, and the TransportError each one becomes. Each
 * error must carry its stable code, name where it tried to go and say what to do.
 */
import assert from 'node:assert/strict';
import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { AddressInfo, createServer as createTcpServer, type LookupFunction } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { Agent } from 'undici';

import { MtlsError, TransportError } from '../lib/errors';
import { AgentOptions, createAgent } from '../lib/http/agent';
import type { EgressFilter } from '../lib/http/egress';
import { HttpRequest, open, readBody, send } from '../lib/http/send';
import { loadMaterial, TlsMaterial } from '../lib/tls/material';
import { HandshakeFault, respond, ScriptedServer, startHandshakeFaultServer, startOldTlsServer, startScriptedServer, Script } from './fixtures/faultServers';
import { MtlsServer, startMtlsServer } from './fixtures/mtlsServer';
import { createStandardPki, StandardPki } from './fixtures/pki';
import { n8nEgressFilter } from './fixtures/n8nEgress';
import { closedPort, PlainServer, startHttpServer, startOpensslServer, startSilentServer } from './fixtures/servers';

const MB = 1024 * 1024;
const FOLLOW = { follow: true, max: 5, allowCrossOrigin: false };
/** The advice of an error nobody classified; a fault in this table must never end up with it. */
const NO_ADVICE = 'See the error details for the underlying cause.';

function request(url: string, extra: Partial<HttpRequest> = {}): HttpRequest {
	return { method: 'GET', url: new URL(url), headers: {}, redirect: FOLLOW, ...extra };
}

/** The error a promise rejects with; fails the test if it resolves or rejects with something else. */
async function failure(promise: Promise<unknown>): Promise<TransportError> {
	try {
		await promise;
	} catch (error) {
		assert.ok(error instanceof TransportError, `not a TransportError: ${inspect(error)}`);
		return error;
	}
	assert.fail('the request succeeded');
}

/** The code is the expected one, the message names where, the description says what to do. */
function assertFault(error: MtlsError, code: string, where: string | RegExp): void {
	if (process.env.FAULTS_VERBOSE) console.log(`# ${code} <- ${causeCodes(error).join(' <- ')} | ${error.message}`);
	assert.equal(error.code, code, `${error.code}: ${error.message}`);
	if (typeof where === 'string') assert.ok(error.message.includes(where), `"${error.message}" does not name ${where}`);
	else assert.match(error.message, where);
	assert.ok(error.description && error.description.length > 20 && error.description !== NO_ADVICE, `no advice for ${code}: ${error.description}`);
}

/** The codes along the cause chain, for FAULTS_VERBOSE=1: what undici, Node and OpenSSL said. */
function causeCodes(error: unknown): string[] {
	const codes: string[] = [];
	for (let current = (error as { cause?: unknown }).cause; current && typeof current === 'object'; current = (current as { cause?: unknown }).cause) {
		codes.push(String((current as { code?: unknown }).code ?? (current as { name?: unknown }).name));
	}
	return codes;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
}

/**
 * The instance's outbound rules as n8n 2.x hands them over, blocking one host name and one
 * address. Like n8n's, the lookup's refusal is an error without a `code` (n8n's SsrfBlockedIpError).
 */
function blockingFilter(blocked: { host?: string; address?: string }, calls: string[] = []): EgressFilter {
	const refuse = (what: string) => Object.assign(new Error(`The request was blocked because ${what} is restricted`), { name: 'SsrfBlockedIpError' });
	return {
		async validateUrl(url) {
			const { hostname } = new URL(String(url));
			calls.push(`validateUrl ${hostname}`);
			return hostname === blocked.host ? { ok: false, error: refuse(hostname) } : { ok: true };
		},
		validateConnectionHost(host) {
			calls.push(`validateConnectionHost ${host}`);
			return host === blocked.address || host === blocked.host ? { ok: false, error: refuse(host) } : { ok: true };
		},
		createSecureLookup(): LookupFunction {
			return (hostname, options, callback) => {
				calls.push(`lookup ${hostname}`);
				dnsLookup(hostname, { ...options, all: true }, (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => {
					if (error) return callback(error, '', 0);
					if (addresses.some(({ address }) => address === blocked.address)) return callback(refuse(hostname) as NodeJS.ErrnoException, '', 0);
					if (options.all) return (callback as unknown as (error: null, all: LookupAddress[]) => void)(null, addresses);
					callback(null, addresses[0].address, addresses[0].family);
				});
			};
		},
		validateRedirectSync(url) {
			const { hostname } = new URL(url);
			calls.push(`validateRedirectSync ${hostname}`);
			if (hostname === blocked.host || hostname === blocked.address) throw refuse(hostname);
		},
	};
}

/** A TCP server on ::1 that counts connections and closes them; undefined without IPv6. */
async function startIpv6Server(): Promise<PlainServer | undefined> {
	let connections = 0;
	const server = createTcpServer((socket) => {
		connections++;
		socket.destroy();
	});
	const port = await new Promise<number | undefined>((resolve) => {
		server.once('error', () => resolve(undefined));
		server.listen(0, '::1', () => resolve((server.address() as AddressInfo).port));
	});
	if (port === undefined) return undefined;
	return { port, origin: `https://[::1]:${port}`, connections: () => connections, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('the fault table', () => {
	let pki: StandardPki;
	let material: TlsMaterial;
	const opened: Array<{ close: () => Promise<void> }> = [];

	const track = <T extends { close: () => Promise<void> }>(item: T): T => {
		opened.push(item);
		return item;
	};
	const agentFor = (options?: AgentOptions): Agent => track(createAgent(material, options));
	const serverOptions = () => ({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.ca.certPem });
	const scripted = async (script: Script): Promise<ScriptedServer> => track(await startScriptedServer(serverOptions(), script));
	const mtls = async (): Promise<MtlsServer> => track(await startMtlsServer(serverOptions()));
	const plain = async (start: () => Promise<PlainServer>): Promise<PlainServer> => track(await start());

	before(() => {
		pki = createStandardPki();
		material = loadMaterial({ certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: pki.ca.certPem });
	});
	afterEach(async () => {
		await Promise.all(opened.splice(0).map((item) => item.close()));
	});
	after(() => pki.pki.cleanup());

	describe('the server resets the connection', () => {
		const handshakeFaults: Array<{ fault: HandshakeFault; code: string; message: RegExp }> = [
			{ fault: 'reset', code: 'TLS_HANDSHAKE_FAILED', message: /closed the connection during the TLS handshake/ },
			{ fault: 'reset-after-hello', code: 'TLS_HANDSHAKE_FAILED', message: /closed the connection during the TLS handshake/ },
			{ fault: 'close-after-hello', code: 'TLS_HANDSHAKE_FAILED', message: /closed the connection during the TLS handshake/ },
			{ fault: 'garbage', code: 'NOT_TLS', message: /does not speak TLS/ },
		];
		for (const { fault, code, message } of handshakeFaults) {
			test(`during the handshake (${fault}): ${code}, not retried`, async () => {
				const server = await plain(() => startHandshakeFaultServer(fault));
				const error = await failure(send(agentFor(), request(`${server.origin}/`)));
				assertFault(error, code, `localhost:${server.port}`);
				assert.match(error.message, message);
				assert.equal(server.connections(), 1, 'a handshake failure is not a stale connection: no second attempt');
			});
		}

		test('right after the handshake (the server drops every new connection): CONNECTION_CLOSED; a GET is tried twice', async () => {
			const server = await scripted((_exchange, socket) => respond(socket, 200, 'never'));
			server.onConnection((socket) => socket.destroy());
			const error = await failure(send(agentFor(), request(`${server.origin}/`)));
			assertFault(error, 'CONNECTION_CLOSED', `localhost:${server.port}`);
			assert.match(error.description ?? '', /rejects the client certificate/);
			assert.equal(server.handshakes(), 2, 'one retry on a new connection, no more');
			assert.equal(server.exchanges.length, 0);
		});

		test('mid-headers (a partial status line, then the socket is destroyed): CONNECTION_CLOSED', async () => {
			const server = await scripted((_exchange, socket) => {
				socket.write('HTTP/1.1 200 OK\r\ncontent-ty', () => socket.destroy());
			});
			const post = await failure(send(agentFor(), request(`${server.origin}/orders`, { method: 'POST', body: '{"id":1}' })));
			assertFault(post, 'CONNECTION_CLOSED', `localhost:${server.port}`);
			assert.equal(server.exchanges.length, 1, 'a POST is never sent twice');
			const get = await failure(send(agentFor(), request(`${server.origin}/orders`)));
			assertFault(get, 'CONNECTION_CLOSED', `localhost:${server.port}`);
			assert.equal(server.exchanges.length, 3, 'a GET is tried once more');
		});

		test('mid-body (content-length 1000, 100 bytes sent, then destroyed): CONNECTION_CLOSED from the body', async () => {
			const server = await scripted((_exchange, socket) => {
				socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n${'{'.padEnd(100, ' ')}`, () => socket.destroy());
			});
			const response = await open(agentFor(), request(`${server.origin}/report`));
			assert.equal(response.statusCode, 200, 'the headers arrived whole');
			const error = await failure(readBody(response));
			assertFault(error, 'CONNECTION_CLOSED', `localhost:${server.port} closed the connection before the whole response body arrived`);
			assert.doesNotMatch(error.description ?? '', /client certificate/, 'a cut-off body is no certificate problem');
			assert.equal(server.exchanges.length, 1, 'a failure after the headers is not retried');
		});

		const corruptBodies: Array<[string, string, Buffer]> = [
			['gzip', 'not gzip at all', Buffer.from('not gzip at all')],
			['gzip', 'cut short', gzipSync(Buffer.alloc(10_000, 'a')).subarray(0, 30)],
			['deflate', 'not deflate', Buffer.from('xxxxxxxxxxxx')],
			['br', 'not brotli', Buffer.from('not brotli data, not at all')],
		];
		for (const [coding, what, body] of corruptBodies) {
			test(`a ${coding} body that is ${what}: BODY_DECODING_FAILED`, async () => {
				const server = await scripted((_exchange, socket) => respond(socket, 200, body, { 'content-encoding': coding, 'content-type': 'application/json' }));
				const error = await failure(send(agentFor(), request(`${server.origin}/`)));
				assertFault(error, 'BODY_DECODING_FAILED', `localhost:${server.port}`);
				assert.match(error.description ?? '', /Accept-Encoding: identity/);
			});
		}
	});

	describe('keep-alive connections the server closes', () => {
		test('closed while idle between two items (keepAliveTimeout 50 ms): the second GET works on a new connection', async () => {
			const server = await mtls();
			server.server.keepAliveTimeout = 50;
			const agent = agentFor();
			assert.equal((await send(agent, request(`${server.origin}/first`))).statusCode, 200);
			await waitFor(() => server.openConnections() === 0, 'the server closed the idle connection');
			assert.equal((await send(agent, request(`${server.origin}/second`))).statusCode, 200);
			assert.deepEqual(server.requests.map((seen) => seen.url), ['/first', '/second']);
			assert.equal(server.handshakes(), 2);
		});

		/*
		 * The race made deterministic: the server answers the first request with keep-alive, then drops
		 * the connection as soon as the next request arrives on it, unanswered, as a server does whose
		 * idle timer fired while that request was on the wire. undici had no way to know.
		 */
		const dropsReusedConnections = (socketSequenceAnswered: Set<string>): Script => async (exchange, socket) => {
			if (exchange.sequence > 1) {
				socket.destroy();
				return;
			}
			socketSequenceAnswered.add(`${exchange.connection}:${exchange.method} ${exchange.path}`);
			await respond(socket, 200, JSON.stringify({ path: exchange.path }), { 'content-type': 'application/json' });
		};

		test('the race, GET: retried once on a new connection, answered exactly once', async () => {
			const answered = new Set<string>();
			const server = await scripted(dropsReusedConnections(answered));
			const agent = agentFor();
			await send(agent, request(`${server.origin}/first`));
			const response = await send(agent, request(`${server.origin}/second`));
			assert.equal(response.statusCode, 200);
			assert.deepEqual(JSON.parse(response.body.toString()), { path: '/second' });
			assert.deepEqual([...answered], ['1:GET /first', '2:GET /second']);
			assert.deepEqual(server.exchanges.map((exchange) => `${exchange.connection}.${exchange.sequence} ${exchange.path}`), ['1.1 /first', '1.2 /second', '2.1 /second']);
		});

		for (const method of ['POST', 'PATCH']) {
			test(`the race, ${method}: not retried, fails with CONNECTION_CLOSED`, async () => {
				const answered = new Set<string>();
				const server = await scripted(dropsReusedConnections(answered));
				const agent = agentFor();
				await send(agent, request(`${server.origin}/first`));
				const error = await failure(send(agent, request(`${server.origin}/payments`, { method, body: '{"amount":1}' })));
				assertFault(error, 'CONNECTION_CLOSED', `localhost:${server.port}`);
				assert.equal(server.exchanges.filter((exchange) => exchange.method === method).length, 1, `the server saw the ${method} at most once`);
				assert.ok(![...answered].some((entry) => entry.includes(method)), `no ${method} was processed`);
				assert.equal(server.handshakes(), 1, 'no new connection for it');
			});
		}

		test('the undetermined race, 30 times: a server that closes right after each keep-alive answer never fails a GET', async () => {
			const server = await scripted(async (exchange, socket) => {
				await respond(socket, 200, exchange.path);
				socket.destroy();
			});
			const agent = agentFor();
			for (let i = 0; i < 30; i++) assert.equal((await send(agent, request(`${server.origin}/n/${i}`))).body.toString(), `/n/${i}`);
			const answeredOnce = new Set(server.exchanges.map((exchange) => exchange.path));
			assert.equal(answeredOnce.size, 30);
		});
	});

	describe('TLS refusals', () => {
		test('an OpenSSL server alerts that it does not trust the client certificate: CLIENT_CERT_REJECTED', async () => {
			const server = await plain(() => startOpensslServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.otherCa.certPem, version: 'TLSv1.2' }));
			const error = await failure(send(agentFor(), request(`${server.origin}/`)));
			assertFault(error, 'CLIENT_CERT_REJECTED', `localhost:${server.port}`);
			assert.match(error.description ?? '', /does not trust the CA/);
		});

		test('plain HTTP on the port: NOT_TLS, "does not speak TLS"', async () => {
			const server = await plain(() => startHttpServer());
			const error = await failure(send(agentFor(), request(`https://localhost:${server.port}/`)));
			assertFault(error, 'NOT_TLS', `localhost:${server.port} does not speak TLS`);
			assert.match(error.description ?? '', /plain HTTP port/);
		});

		for (const version of ['TLSv1.1', 'TLSv1'] as const) {
			test(`a server that speaks only ${version}: TLS_HANDSHAKE_FAILED`, async (context) => {
				let server: PlainServer;
				try {
					server = await plain(() => startOldTlsServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, version }));
				} catch (error) {
					context.skip(`this OpenSSL cannot run a ${version} server: ${(error as Error).message.slice(0, 200)}`);
					return;
				}
				const error = await failure(send(agentFor(), request(`${server.origin}/`)));
				assertFault(error, 'TLS_HANDSHAKE_FAILED', `localhost:${server.port}`);
				assert.match(error.description ?? '', /TLS 1\.2 and 1\.3/);
			});
		}
	});

	describe('slow servers', () => {
		test('no TLS handshake within the connect timeout: CONNECT_TIMEOUT', async () => {
			const server = await plain(startSilentServer);
			const started = Date.now();
			const error = await failure(send(agentFor({ connectTimeout: 300 }), request(`${server.origin}/`)));
			assertFault(error, 'CONNECT_TIMEOUT', `Connecting to localhost:${server.port} timed out`);
			assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
		});

		test('headers never sent: RESPONSE_TIMEOUT', async () => {
			const server = await scripted(() => new Promise<void>(() => undefined));
			const started = Date.now();
			const error = await failure(send(agentFor(), request(`${server.origin}/slow`, { timeout: 300 })));
			assertFault(error, 'RESPONSE_TIMEOUT', `localhost:${server.port} did not answer in time`);
			assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
			assert.equal(server.exchanges.length, 1, 'a timeout is not retried');
		});

		test('body stalls after the headers: BODY_TIMEOUT', async () => {
			const server = await scripted((_exchange, socket) => {
				socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"items":[');
				return new Promise<void>(() => undefined);
			});
			const started = Date.now();
			const error = await failure(send(agentFor(), request(`${server.origin}/stall`, { timeout: 300 })));
			assertFault(error, 'BODY_TIMEOUT', `localhost:${server.port} stopped sending the response body`);
			assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
		});
	});

	describe('cancellation', () => {
		test('an AbortSignal fired in flight: ABORTED at once; destroy() leaves the server no connection', async () => {
			const server = await scripted(() => new Promise<void>(() => undefined));
			const agent = createAgent(material);
			try {
				const controller = new AbortController();
				const pending = failure(send(agent, request(`${server.origin}/slow`, { signal: controller.signal })));
				await waitFor(() => server.exchanges.length === 1, 'the request reached the server');
				const abortedAt = Date.now();
				controller.abort();
				const error = await pending;
				assertFault(error, 'ABORTED', `localhost:${server.port}`);
				assert.ok(Date.now() - abortedAt < 500, `ABORTED came ${Date.now() - abortedAt} ms after abort()`);
			} finally {
				await agent.destroy();
			}
			await waitFor(() => server.openConnections() === 0, 'the server saw every connection close');
		});

		test('close() after finished requests leaves the server no connection', async () => {
			const server = await scripted((exchange, socket) => respond(socket, 200, exchange.path));
			const agent = createAgent(material);
			try {
				await Promise.all([1, 2, 3, 4].map((n) => send(agent, request(`${server.origin}/${n}`))));
				assert.ok(server.openConnections() >= 1);
			} finally {
				await agent.close();
			}
			await waitFor(() => server.openConnections() === 0, 'the server saw every connection close');
		});
	});

	describe('addresses', () => {
		test('a host name that does not resolve: HOST_NOT_FOUND naming the host', async () => {
			const error = await failure(send(agentFor(), request('https://nonexistent.invalid/api')));
			assertFault(error, 'HOST_NOT_FOUND', '"nonexistent.invalid"');
		});

		test('nobody listening: CONNECTION_REFUSED naming host:port', async () => {
			const port = await closedPort();
			const error = await failure(send(agentFor(), request(`https://localhost:${port}/`)));
			assertFault(error, 'CONNECTION_REFUSED', `localhost:${port}`);
		});
	});

	describe("the instance's outbound rules", () => {
		test('a blocked URL: EGRESS_BLOCKED before any connection', async () => {
			const server = await mtls();
			const calls: string[] = [];
			const egress = blockingFilter({ host: 'localhost' }, calls);
			const error = await failure(send(agentFor({ egress }), request(`${server.origin}/`, { egress })));
			assertFault(error, 'EGRESS_BLOCKED', `localhost:${server.port}`);
			assert.equal(server.handshakes(), 0);
			assert.deepEqual(calls, ['validateUrl localhost']);
		});

		test('a host that resolves to a blocked address: EGRESS_BLOCKED from the lookup, no connection', async () => {
			const server = await mtls();
			const calls: string[] = [];
			const egress = blockingFilter({ address: '127.0.0.1' }, calls);
			const error = await failure(send(agentFor({ egress }), request(`https://localhost:${server.port}/`, { egress })));
			assertFault(error, 'EGRESS_BLOCKED', 'localhost');
			assert.equal(server.handshakes(), 0);
			assert.ok(calls.includes('lookup localhost'), calls.join(', '));
		});

		test('a blocked IP address in the URL: EGRESS_BLOCKED without a lookup', async () => {
			const server = await mtls();
			const egress = blockingFilter({ address: '127.0.0.1' });
			const error = await failure(send(agentFor({ egress }), request(`https://127.0.0.1:${server.port}/`, { egress })));
			assertFault(error, 'EGRESS_BLOCKED', '127.0.0.1');
			assert.equal(server.handshakes(), 0);
		});

		test('a redirect to a blocked host is refused before it is followed', async () => {
			const first = await mtls();
			const second = await mtls();
			first.route('/jump', (_req, res) => {
				res.writeHead(302, { location: `https://127.0.0.1:${second.port}/landed` });
				res.end();
			});
			const calls: string[] = [];
			const egress = blockingFilter({ host: '127.0.0.1' }, calls);
			const redirect = { ...FOLLOW, allowCrossOrigin: true };
			const error = await failure(send(agentFor({ egress }), request(`${first.origin}/jump`, { egress, redirect })));
			assertFault(error, 'EGRESS_BLOCKED', `127.0.0.1:${second.port}`);
			assert.equal(second.handshakes(), 0);
			assert.ok(calls.includes('validateRedirectSync 127.0.0.1'), calls.join(', '));
		});

		test('an allowed host passes every check and is reached', async () => {
			const server = await mtls();
			const calls: string[] = [];
			const egress = blockingFilter({ host: 'blocked.example', address: '192.0.2.1' }, calls);
			const response = await send(agentFor({ egress }), request(`${server.origin}/`, { egress }));
			assert.equal(response.statusCode, 200);
			assert.ok(calls.includes('validateUrl localhost') && calls.includes('lookup localhost'), calls.join(', '));
		});
	});

	describe("n8n 2.40.7's outbound rules with their default ranges", () => {
		test('a host name that does not resolve keeps HOST_NOT_FOUND (n8n\'s validateUrl rejects with the DNS error)', async () => {
			const egress = n8nEgressFilter();
			const error = await failure(send(agentFor({ egress }), request('https://nonexistent.invalid/api', { egress })));
			assertFault(error, 'HOST_NOT_FOUND', '"nonexistent.invalid"');
		});

		test('https://[::]:port/ reaches ::1 without the rules; with them it is refused before any connection', async (context) => {
			const server = await startIpv6Server();
			if (!server) return context.skip('no IPv6 loopback here');
			track(server);
			const direct = await failure(send(agentFor(), request(`https://[::]:${server.port}/`)));
			assert.notEqual(direct.code, 'EGRESS_BLOCKED');
			assert.equal(server.connections(), 1, '"::" is this machine');
			const egress = n8nEgressFilter();
			const error = await failure(send(agentFor({ egress }), request(`https://[::]:${server.port}/`, { egress })));
			assertFault(error, 'EGRESS_BLOCKED', `[::]:${server.port}`);
			assert.equal(server.connections(), 1, 'no second connection');
		});

		test('a host name that resolves to "::" is refused at the lookup', async (context) => {
			const server = await startIpv6Server();
			if (!server) return context.skip('no IPv6 loopback here');
			track(server);
			const egress = n8nEgressFilter({ resolve: async () => [{ address: '::', family: 6 }] });
			const error = await failure(send(agentFor({ egress }), request(`https://unspecified.example:${server.port}/`, { egress })));
			assertFault(error, 'EGRESS_BLOCKED', 'unspecified.example');
			assert.equal(server.connections(), 0);
		});

		test('0.0.0.0 is refused too (n8n\'s ranges hold it; refused here whatever the ranges say)', async () => {
			const egress = n8nEgressFilter({ allowed: ['0.0.0.0'] });
			const error = await failure(send(agentFor({ egress }), request('https://0.0.0.0:1/', { egress })));
			assertFault(error, 'EGRESS_BLOCKED', '0.0.0.0');
		});
	});

	describe('odd but legal answers and input', () => {
		test('a redirect to a Location that is no URL: REDIRECT_LOCATION_INVALID, not "Invalid URL"', async () => {
			const server = await scripted((_exchange, socket) => respond(socket, 302, '', { location: 'https://[api.partner.example/next' }));
			const error = await failure(send(agentFor(), request(`${server.origin}/start`)));
			assertFault(error, 'REDIRECT_LOCATION_INVALID', `localhost:${server.port}`);
			assert.match(error.message, /HTTP 302/);
		});

		test('a line break in a header value: HEADER_VALUE_INVALID naming the header, nothing sent', async () => {
			const server = await scripted((_exchange, socket) => respond(socket, 200));
			await assert.rejects(send(agentFor(), request(`${server.origin}/`, { headers: { 'x-page-token': 'abc\r\nx-injected: 1' } })), (error: MtlsError) => {
				assert.equal(error.code, 'HEADER_VALUE_INVALID');
				assert.match(error.message, /"x-page-token" contains a line break/);
				return true;
			});
			await assert.rejects(send(agentFor(), request(`${server.origin}/`, { headers: { 'x-amount': '10 €' } })), { code: 'HEADER_VALUE_INVALID', message: /"x-amount" contains a character outside ISO-8859-1/ });
			assert.equal(server.handshakes(), 0);
		});

		test('a header undici will not send (Transfer-Encoding): REQUEST_INVALID naming it', async () => {
			const server = await scripted((_exchange, socket) => respond(socket, 200));
			const error = await failure(send(agentFor(), request(`${server.origin}/`, { method: 'POST', body: '{}', headers: { 'transfer-encoding': 'chunked' } })));
			assertFault(error, 'REQUEST_INVALID', /invalid transfer-encoding header/);
			assert.equal(server.exchanges.length, 0);
		});
	});

	test('a 100 MB response with an 8 MB cap: RESPONSE_TOO_LARGE, memory stays flat', async () => {
		let sent = 0;
		const server = await scripted((_exchange, socket) => new Promise<void>((resolve) => {
			const size = 100 * MB;
			const row = Buffer.from('{"id":12345,"name":"a row of a large export","amount":1234.56,"tags":["x","y"]},\n');
			const chunk = Buffer.concat(Array.from({ length: Math.ceil((64 * 1024) / row.length) }, () => row));
			socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${size}\r\n\r\n`);
			const write = () => {
				while (sent < size && !socket.destroyed) {
					const piece = chunk.subarray(0, Math.min(chunk.length, size - sent));
					sent += piece.length;
					if (!socket.write(piece)) return void socket.once('drain', write);
				}
				resolve();
			};
			socket.once('close', resolve);
			write();
		}));
		global.gc?.();
		const before = process.memoryUsage.rss();
		let peak = before;
		const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
		try {
			const error = await failure(send(agentFor(), request(`${server.origin}/export`), 8 * MB));
			assertFault(error, 'RESPONSE_TOO_LARGE', `localhost:${server.port}`);
			assert.match(error.message, /larger than 8 MB/);
		} finally {
			clearInterval(sampler);
		}
		peak = Math.max(peak, process.memoryUsage.rss());
		assert.ok(peak - before < 40 * MB, `RSS grew by ${Math.round((peak - before) / MB)} MB`);
		await waitFor(() => server.openConnections() === 0, 'the oversized response\'s connection was dropped');
		assert.ok(sent < 50 * MB, `the server could send ${Math.round(sent / MB)} MB before the client let go`);
	});

	describe('a URL with user name and password', () => {
		test('the password never appears in the error (refused connection)', async () => {
			const port = await closedPort();
			const error = await failure(send(agentFor(), request(`https://user:secret@localhost:${port}/`)));
			assertFault(error, 'CONNECTION_REFUSED', `localhost:${port}`);
			for (const text of [error.message, error.description ?? '', inspect(error, { depth: 10 })]) assert.ok(!text.includes('secret'), text);
		});

		test('the password never appears in the error (redirect loop, cross-origin redirect, oversized response)', async () => {
			const server = await mtls();
			const other = await mtls();
			server.route('/loop', (_req, res) => res.writeHead(307, { location: '/loop' }).end());
			server.route('/away', (_req, res) => res.writeHead(302, { location: `https://user:secret@127.0.0.1:${other.port}/` }).end());
			server.route('/big', (_req, res) => res.end('x'.repeat(2 * MB)));
			const agent = agentFor();
			const base = `https://user:secret@localhost:${server.port}`;
			const errors = [
				await failure(send(agent, request(`${base}/loop`, { redirect: { ...FOLLOW, max: 2 } }))),
				await failure(send(agent, request(`${base}/away`))),
				await failure(send(agent, request(`${base}/big`), MB)),
			];
			assert.deepEqual(errors.map((error) => error.code), ['TOO_MANY_REDIRECTS', 'REDIRECT_CROSS_ORIGIN', 'RESPONSE_TOO_LARGE']);
			for (const error of errors) {
				for (const text of [error.message, error.description ?? '', inspect(error, { depth: 10 })]) assert.ok(!text.includes('secret'), text);
			}
		});
	});
});
