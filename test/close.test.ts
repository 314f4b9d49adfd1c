/**
 * closeAgent: the execution's Agent closes gracefully when every body was read, and is
 * destroyed after the grace period when one was not (close() alone would wait for it forever).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createAgent } from '../lib/http/agent';
import { closeAgent } from '../lib/http/close';
import { HttpRequest, open, readBody } from '../lib/http/send';
import { loadMaterial, TlsMaterial } from '../lib/tls/material';
import { MtlsServer, startMtlsServer } from './fixtures/mtlsServer';
import { createStandardPki, StandardPki } from './fixtures/pki';

const MB = 1024 * 1024;

describe('closing the Agent', () => {
	let pki: StandardPki;
	let server: MtlsServer;
	let material: TlsMaterial;
	const request = (path: string): HttpRequest => ({ method: 'GET', url: new URL(`${server.origin}${path}`), headers: {}, redirect: { follow: false, max: 0, allowCrossOrigin: false } });
	/** Which of the two finished first; the timer only bounds a hang. */
	const within = async <T>(promise: Promise<T>, ms = 5_000): Promise<T | 'still pending'> => {
		let timer: NodeJS.Timeout | undefined;
		const outcome = await Promise.race([promise, new Promise<'still pending'>((resolve) => (timer = setTimeout(() => resolve('still pending'), ms)))]);
		clearTimeout(timer);
		return outcome;
	};
	const waitFor = async (condition: () => boolean) => {
		for (let i = 0; i < 300 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
		return condition();
	};

	before(async () => {
		pki = createStandardPki();
		server = await startMtlsServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.ca.certPem });
		server.route('/export', (_req, res) => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.alloc(4 * MB, 1)));
		material = loadMaterial({ certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: pki.ca.certPem });
	});
	after(async () => {
		await server.close();
		pki.pki.cleanup();
	});

	test('every body read: closed gracefully', async () => {
		const agent = createAgent(material);
		await readBody(await open(agent, request('/export')));
		assert.equal(await within(closeAgent(agent, 200)), 'closed');
	});

	test('a body nobody reads: close() alone stays pending for good', async () => {
		const agent = createAgent(material);
		await open(agent, request('/export'));
		assert.equal(await within(agent.close(), 500), 'still pending', 'undici waits for the unread body');
		// The pools are forgotten once close() started, so destroy() would find nothing to destroy.
		server.server.closeAllConnections();
	});

	test('a body nobody reads: closeAgent destroys the Agent after the grace period, the connection goes', async () => {
		const agent = createAgent(material);
		await open(agent, request('/export'));
		assert.equal(await within(closeAgent(agent, 200)), 'destroyed');
		assert.ok(await waitFor(() => server.openConnections() === 0), 'the server saw the connection go');
	});
});
