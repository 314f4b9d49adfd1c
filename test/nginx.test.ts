/**
 * nginx with `ssl_verify_client on` completes the TLS handshake with any client certificate, or
 * none, and answers with an HTTP 400 page. An execution must say what that page means (the
 * certificate was refused, or never arrived), not show its HTML.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { INode } from 'n8n-workflow';
import { Agent } from 'undici';

import { createAgent } from '../lib/http/agent';
import { HttpRequest, send } from '../lib/http/send';
import { loadMaterial } from '../lib/tls/material';
import { HttpStatusError, toErrorJson, toNodeError } from '../nodes/MtlsHttpRequest/errors';
import { NginxServer, nginxUnavailable, startNginx } from './fixtures/nginx';
import { createStandardPki, StandardPki } from './fixtures/pki';

const node: INode = { id: '1', name: 'Partner API', type: 'n8n-nodes-mtls.mtlsHttpRequest', typeVersion: 1, position: [0, 0], parameters: {} };
const unavailable = nginxUnavailable();

describe('nginx client certificate pages during an execution', { skip: unavailable }, () => {
	let pki: StandardPki;
	const servers: NginxServer[] = [];
	const agents: Agent[] = [];
	const start = async (clientCa: string) => {
		const server = await startNginx({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa });
		servers.push(server);
		return server;
	};
	const withCertificate = () => {
		const agent = createAgent(loadMaterial({ certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: pki.ca.certPem }));
		agents.push(agent);
		return agent;
	};
	const request = (server: NginxServer): HttpRequest => ({ method: 'GET', url: new URL(`${server.origin}/accounts`), headers: {}, redirect: { follow: true, max: 5, allowCrossOrigin: false } });

	before(() => {
		pki = createStandardPki();
	});
	after(async () => {
		await Promise.all(agents.map((agent) => agent.close()));
		await Promise.all(servers.map((server) => server.close()));
		pki.pki.cleanup();
	});

	test('nginx trusting the issuing CA answers 200: the pages below are about the certificate', async () => {
		const server = await start(pki.ca.certPem);
		const response = await send(withCertificate(), request(server));
		assert.equal(response.statusCode, 200);
		assert.equal(new HttpStatusError(response).meaning, undefined);
	});

	test('"400 The SSL certificate error": CLIENT_CERT_REJECTED in plain words, with the fix, no HTML', async () => {
		const server = await start(pki.otherCa.certPem);
		const response = await send(withCertificate(), request(server));
		assert.equal(response.statusCode, 400);
		assert.match(response.body.toString(), /<title>400 The SSL certificate error<\/title>/, 'the real nginx page');
		const cause = new HttpStatusError(response);
		const error = toNodeError(node, cause, 0);
		assert.equal(error.message, `The server at localhost:${server.port} rejected the client certificate (HTTP 400 "The SSL certificate error")`);
		assert.match(error.description ?? '', /does not trust the CA that issued this certificate/);
		assert.match(error.description ?? '', /Error code: CLIENT_CERT_REJECTED/);
		assert.doesNotMatch(`${error.message} ${error.description}`, /<html|<center/);
		assert.deepEqual(toErrorJson(error, cause), { error: { message: error.message, description: error.description, status: 400, code: 'CLIENT_CERT_REJECTED', httpCode: '400' } });
	});

	test('"400 No required SSL certificate was sent": CLIENT_CERT_REQUIRED, the certificate did not arrive', async () => {
		const server = await start(pki.ca.certPem);
		// What nginx answers when something between the node and nginx drops the certificate: a client without one.
		const bare = new Agent({ connect: { ca: pki.ca.certPem } });
		agents.push(bare);
		const response = await send(bare, request(server));
		assert.match(response.body.toString(), /<title>400 No required SSL certificate was sent<\/title>/, 'the real nginx page');
		const cause = new HttpStatusError(response);
		const error = toNodeError(node, cause, 0);
		assert.equal(error.message, `The server at localhost:${server.port} did not receive a client certificate (HTTP 400 "No required SSL certificate was sent")`);
		assert.match(error.description ?? '', /load balancer or proxy that ends TLS/);
		assert.equal((toErrorJson(error, cause).error as { code?: string }).code, 'CLIENT_CERT_REQUIRED');
	});

	test('another HTTP 400 has n8n\'s message and the server\'s own words as description', async () => {
		const response = { statusCode: 400, statusMessage: 'Bad Request', headers: { 'content-type': 'application/json' }, body: Buffer.from('{"error":"amount missing"}'), url: new URL('https://api.partner.example/') };
		const error = toNodeError(node, new HttpStatusError(response), 0);
		assert.equal(error.message, 'Bad request - please check your parameters');
		assert.equal(error.description, 'amount missing');
	});
});
