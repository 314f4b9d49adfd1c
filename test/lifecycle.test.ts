/**
 * Certificates with chosen validity windows: expiry notices, the successor certificate taking
 * over on its start date, and the partner server's chain read over a real connection.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { IExecuteFunctions } from 'n8n-workflow';

import { createAgent } from '../lib/http/agent';
import { fetchServerChain } from '../lib/http/peer';
import { send } from '../lib/http/send';
import { MaterialCache } from '../lib/tls/cache';
import { describeCertificate, expiryNotices } from '../lib/tls/inspect';
import { selectMaterial } from '../lib/tls/rotation';
import { executeCertificateInfo } from '../nodes/MtlsHttpRequest/certificateInfo';
import { Authority, encryptKey, Issued, Pki } from './fixtures/pki';
import { MtlsServer, startMtlsServer } from './fixtures/mtlsServer';

const PASS = 'rotation pass';
/** The output schema the package ships for n8n's editor (served at /schemas/<node>/1.0.0/certificateInfo.json). */
const SCHEMA_FILE = join(__dirname, '..', '..', 'nodes', 'MtlsHttpRequest', '__schema__', 'v1.0.0', 'certificateInfo.json');

function jsonType(value: unknown): string {
	return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}
const bundleOf = (issued: Issued) => encryptKey(issued.keyPem, PASS) + issued.certPem;

/** The parts of n8n's execution context the Certificate Info operation uses, for one input item. */
function executionContext(credential: Record<string, string>, parameters: Record<string, unknown>): IExecuteFunctions {
	const context = {
		getInputData: () => [{ json: {} }],
		getNodeParameter: (name: string, _itemIndex: number, fallback?: unknown) => parameters[name] ?? fallback,
		getCredentials: async () => credential,
		getNode: () => ({ id: '1', name: 'Certificate Info', type: 'n8n-nodes-mtls.mtlsHttpRequest', typeVersion: 1, parameters: {} }),
		continueOnFail: () => false,
		helpers: {},
	};
	return context as unknown as IExecuteFunctions;
}

describe('certificate lifecycle', () => {
	let pki: Pki;
	let ca: Authority;
	let server: MtlsServer;
	const certs: Record<string, Issued> = {};

	before(async () => {
		pki = new Pki();
		ca = pki.createRoot('Lifecycle CA');
		const windows: Record<string, [number, number]> = {
			expired: [-30, -1], expiring: [-300, 5], year: [-1, 365], notYet: [2, 400], successor: [-1, 730], successorLater: [3, 730],
		};
		for (const [name, [startDays, endDays]] of Object.entries(windows)) certs[name] = pki.issue(ca, { cn: `client-${name}`, startDays, endDays });
		const serverCert = pki.issue(ca, { cn: 'localhost', eku: 'serverAuth', san: ['DNS:localhost', 'IP:127.0.0.1'] });
		server = await startMtlsServer({ keyPem: serverCert.keyPem, certPem: serverCert.certPem, clientCa: ca.certPem });
	});
	after(async () => {
		await server.close();
		pki.cleanup();
	});

	const input = (current: string, next?: string, nextPassphrase = PASS) => ({
		certificateBundle: bundleOf(certs[current]),
		passphrase: PASS,
		caCertificates: ca.certPem,
		...(next ? { nextCertificateBundle: bundleOf(certs[next]), nextPassphrase } : {}),
	});

	test('daysUntilExpiry, expired and the expiry notice follow the validity window', () => {
		const cache = new MaterialCache();
		const expiring = cache.load(input('expiring')).leaf;
		const year = cache.load(input('year')).leaf;
		assert.equal(describeCertificate(expiring).daysUntilExpiry, 4);
		assert.equal(describeCertificate(year).daysUntilExpiry, 364);
		assert.equal(describeCertificate(expiring).expired, false);
		const notices = expiryNotices([{ role: 'client certificate', certificate: expiring }, { role: 'client certificate', certificate: year }], 30);
		assert.equal(notices.length, 1);
		assert.match(notices[0], /"client-expiring" expires on \d{4}-\d{2}-\d{2} \(4 days left\)/);
		assert.match(notices[0], /Next Certificate Bundle/);
	});

	test('an expired or not-yet-valid certificate fails before any connection, with its dates', () => {
		const cache = new MaterialCache();
		assert.throws(() => selectMaterial(input('expired'), cache), { code: 'CERTIFICATE_EXPIRED', message: /client-expired" expired on \d{4}-/ });
		assert.throws(() => selectMaterial(input('notYet'), cache), { code: 'CERTIFICATE_NOT_YET_VALID', message: /not valid before \d{4}-/ });
		assert.equal(server.requests.length, 0);
	});

	test('the successor takes over from its start date; before that the current one is used', async () => {
		const cache = new MaterialCache();
		const now = selectMaterial(input('year', 'successor'), cache);
		assert.equal(now.active, 'next');
		const later = selectMaterial(input('year', 'successorLater'), cache);
		assert.equal(later.active, 'current');
		const inFourDays = selectMaterial(input('year', 'successorLater'), cache, new Date(Date.now() + 4 * 86_400_000));
		assert.equal(inFourDays.active, 'next');
		const afterExpiry = selectMaterial(input('expired', 'successor'), cache);
		assert.equal(afterExpiry.active, 'next');
		for (const [selection, expected] of [[now, 'client-successor'], [later, 'client-year']] as const) {
			const agent = createAgent(selection.material);
			try {
				const response = await send(agent, { method: 'GET', url: new URL(`${server.origin}/who`), headers: {}, redirect: { follow: false, max: 0, allowCrossOrigin: false } });
				assert.equal(JSON.parse(response.body.toString()).peerSubject, expected);
			} finally {
				await agent.close();
			}
		}
	});

	test('neither certificate valid: one error with both windows', () => {
		assert.throws(() => selectMaterial(input('expired', 'notYet'), new MaterialCache()), (error: { code: string; description: string }) => {
			assert.equal(error.code, 'NO_VALID_CERTIFICATE');
			assert.match(error.description, /current one is valid from .* the next one from/);
			return true;
		});
	});

	test('a bad successor is reported against the "Next" fields', () => {
		assert.throws(() => selectMaterial(input('year', 'successor', 'wrong'), new MaterialCache()), (error: { code: string; field: string; message: string }) => {
			assert.equal(error.code, 'PASSPHRASE_WRONG');
			assert.equal(error.field, 'nextPassphrase');
			assert.match(error.message, /"Next Passphrase"/);
			return true;
		});
	});

	test('Certificate Info: every item has the same keys, null where they do not apply; the CA field is its own source', async () => {
		const parameters = { operation: 'certificateInfo', serverUrl: server.origin, expiryWarningDays: 30 };
		const ctx = executionContext(input('year', 'successorLater'), parameters);
		const [items] = await executeCertificateInfo(ctx);
		const rows = items.map(({ json }) => json);
		assert.deepEqual(rows.map(({ source, role }) => `${source}: ${role}`), [
			'certificateBundle: client certificate',
			'nextCertificateBundle: next client certificate',
			'caCertificates: CA certificate for the server',
			'server: server certificate',
			'server: server chain certificate',
		]);
		const keys = Object.keys(rows[0]);
		for (const row of rows) assert.deepEqual(Object.keys(row), keys, `${row.source} ${row.role}`);
		for (const row of rows) assert.ok(Object.values(row).every((value) => value !== undefined), JSON.stringify(row));
		const [current, next, ca, leaf, chain] = rows;
		assert.equal(current.inUse, true);
		assert.equal(next.inUse, false);
		assert.match(String(current.publicKeyPin), /^sha256\/\//);
		assert.deepEqual(current.warnings, []);
		assert.equal(ca.subject, describeCertificate(new MaterialCache().load(input('year')).ca[0]).subject);
		assert.deepEqual([ca.publicKeyPin, ca.server, ca.trusted, ca.warnings], [null, null, null, null]);
		assert.deepEqual([leaf.server, leaf.trusted, leaf.trustError, leaf.inUse], [new URL(server.origin).host, true, null, null]);
		assert.equal(chain.publicKeyPin, null);

		const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as { properties: Record<string, { type: string | string[] }> };
		assert.deepEqual(keys, Object.keys(schema.properties), 'the shipped output schema lists the same keys in the same order');
		for (const row of rows) {
			for (const [key, value] of Object.entries(row)) {
				assert.ok([schema.properties[key].type].flat().includes(jsonType(value)), `${row.role}: ${key} is ${jsonType(value)}`);
			}
		}
	});

	test("the partner server's chain is read over a real connection, trusted or not", async () => {
		const material = new MaterialCache().load(input('year'));
		const handshakes = server.handshakes();
		const chain = await fetchServerChain(material, new URL(server.origin));
		assert.equal(chain.trusted, true);
		assert.equal(chain.protocol, 'TLSv1.3');
		assert.equal(chain.clientCertificatePresented, false);
		await new Promise((resolve) => setTimeout(resolve, 50));
		assert.equal(server.handshakes() - handshakes, 0, 'the server, which requires a client certificate, got none (TLS 1.3)');
		assert.equal(describeCertificate(chain.certificates[0]).subject, 'O=mTLS Test, CN=localhost');
		assert.ok(chain.certificates.length >= 1);

		const expiredServer = pki.issue(ca, { cn: 'localhost', eku: 'serverAuth', san: ['DNS:localhost'], startDays: -10, endDays: -2 });
		const stale = await startMtlsServer({ keyPem: expiredServer.keyPem, certPem: expiredServer.certPem, clientCa: ca.certPem });
		try {
			const staleChain = await fetchServerChain(material, new URL(stale.origin));
			assert.equal(staleChain.trusted, false);
			assert.equal(staleChain.trustError, 'CERT_HAS_EXPIRED');
			assert.equal(describeCertificate(staleChain.certificates[0]).expired, true);
		} finally {
			await stale.close();
		}
	});
});
