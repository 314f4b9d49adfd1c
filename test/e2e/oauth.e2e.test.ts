/**
 * OAuth 2.0 over mTLS inside a real n8n 2.40: two workflows of 100 items each in one execute-batch
 * run share one token from oidc-provider (counted at the server), every API call carries a token
 * bound to the certificate, an unregistered certificate fails the items with
 * OAUTH_TOKEN_REQUEST_FAILED, and Certificate Info shows the x5tS256 to register.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, test } from 'node:test';

import { createStandardPki, type StandardPki, encryptKey } from '../fixtures/pki';
import {
	type AuthorizationServer, type ResourceServer, startAuthorizationServer, startResourceServer, subjectDn, thumbprintOf,
} from '../fixtures/oauthServer';
import {
	prepareN8n, tearDown, linearWorkflow, mtlsNode, numberItems, MTLS_CREDENTIAL_TYPE, outputOf, type BatchResult, type CredentialJson, type N8n,
} from './n8n';

const IDS = { first: 'mtlsE2eOAuth0001', second: 'mtlsE2eOAuth0002', refused: 'mtlsE2eOAuth0003', info: 'mtlsE2eOAuth0004' };
const TIMEOUT = { timeout: 5 * 60_000 };
const ITEMS = 100;

let pki: StandardPki;
let n8n: N8n;
let as: AuthorizationServer;
let api: ResourceServer;
let batch: Promise<BatchResult> | undefined;

before(async () => {
	pki = createStandardPki();
	const stranger = pki.pki.issue(pki.otherCa, { cn: 'client-ec.example' });
	as = await startAuthorizationServer({
		server: pki.server,
		clientCa: [pki.ca.certPem],
		clients: [{ client_id: 'n8n-e2e', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: subjectDn(pki.clientEc) }],
	});
	api = await startResourceServer({ server: pki.server, clientCa: [pki.ca.certPem], signingKey: as.signingKey });
	const oauth = { authentication: 'oauth2ClientCredentials', issuerUrl: as.origin, clientId: 'n8n-e2e', clientAuthMethod: 'tls_client_auth', scope: 'accounts' };
	const good: CredentialJson = {
		id: 'mtlsCredOAuth001', name: 'Bank (OAuth)', type: MTLS_CREDENTIAL_TYPE,
		data: { certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: pki.ca.certPem, ...oauth },
	};
	const unknown: CredentialJson = {
		id: 'mtlsCredOAuth002', name: 'Bank (unregistered certificate)', type: MTLS_CREDENTIAL_TYPE,
		data: { certificateBundle: encryptKey(stranger.keyPem, pki.passphrase) + stranger.certPem, passphrase: pki.passphrase, caCertificates: pki.ca.certPem, ...oauth },
	};
	const call = (credential: CredentialJson, extra = {}) => mtlsNode('mTLS', credential, { method: 'GET', url: `${api.origin}/accounts` }, extra);
	n8n = await prepareN8n([good, unknown], [
		linearWorkflow(IDS.first, 'e2e: OAuth 1', [...numberItems(ITEMS), call(good)]),
		linearWorkflow(IDS.second, 'e2e: OAuth 2', [...numberItems(ITEMS), call(good)]),
		linearWorkflow(IDS.refused, 'e2e: OAuth refused', [...numberItems(3), call(unknown, { onError: 'continueRegularOutput' })]),
		linearWorkflow(IDS.info, 'e2e: OAuth Certificate Info', [mtlsNode('Info', good, { operation: 'certificateInfo' })]),
	]);
}, TIMEOUT);

after(async () => {
	await tearDown({ ...(as ? { as } : {}), ...(api ? { api } : {}) }, n8n, pki);
});

const runs = () => {
	batch ??= n8n.runWorkflows(Object.values(IDS));
	return batch;
};

test('two executions of 100 items: one token request, 200 API calls with a token bound to the certificate', TIMEOUT, async () => {
	const { runs: result, log } = await runs();
	for (const id of [IDS.first, IDS.second]) {
		const items = outputOf(result[id], 'mTLS');
		assert.equal(items.length, ITEMS, log.slice(-2000));
		assert.deepEqual(new Set(items.map((item) => item.json.ok)), new Set([true]));
	}
	// One token for both executions (the process-wide cache), discovered through the issuer's metadata.
	assert.equal(as.tokenRequests(), 2, 'the refused workflow makes the second token request');
	const good = api.calls.filter((call) => call.status === 200);
	assert.equal(good.length, 2 * ITEMS);
	assert.equal(new Set(good.map((call) => call.token)).size, 1);
	const claims = JSON.parse(Buffer.from(String(good[0].token).split('.')[1], 'base64url').toString()) as { cnf: Record<string, string> };
	assert.equal(claims.cnf['x5t#S256'], thumbprintOf(new X509Certificate(pki.clientEc.certPem)));
	assert.ok(!log.includes(String(good[0].token)), 'the token is not in n8n\'s output');
});

test('an unregistered certificate: OAUTH_TOKEN_REQUEST_FAILED with invalid_client on every item', TIMEOUT, async () => {
	const { runs: result } = await runs();
	const items = outputOf(result[IDS.refused], 'mTLS');
	assert.equal(items.length, 3);
	for (const item of items) {
		const error = item.json.error as Record<string, string>;
		assert.equal(error.code, 'OAUTH_TOKEN_REQUEST_FAILED');
		assert.match(error.message, /invalid_client/);
	}
});

test('Certificate Info shows the x5tS256 to register', TIMEOUT, async () => {
	const { runs: result } = await runs();
	const [client] = outputOf(result[IDS.info], 'Info');
	assert.equal(client.json.x5tS256, thumbprintOf(new X509Certificate(pki.clientEc.certPem)));
});
