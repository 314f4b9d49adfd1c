/**
 * The credential Test button and the trigger, whose contexts have no file helper of n8n's
 * (n8n-core credentials-test-context.js, poll-context.js), refuse what an execution on the same n8n
 * refuses: with n8n 2.x's settings at their defaults, files outside ~/.n8n-files. Only the node
 * classes are imported, so this file runs unchanged against older code.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ICredentialsDecrypted, ICredentialTestFunctions, IPollFunctions } from 'n8n-workflow';

import { MtlsCertificateTrigger } from '../nodes/MtlsCertificateTrigger/MtlsCertificateTrigger.node';
import { MtlsHttpRequest } from '../nodes/MtlsHttpRequest/MtlsHttpRequest.node';
import { createStandardPki, StandardPki } from './fixtures/pki';
import { defaultN8nEnv, withEnv } from './fixtures/env';

describe('the Test button and the trigger apply the same rules as executions', () => {
	let pki: StandardPki;
	let root: string;
	let home: string;
	let outsidePath: string;
	let insidePath: string;

	before(() => {
		pki = createStandardPki();
		root = mkdtempSync(join(tmpdir(), 'mtls-access-nodes-'));
		home = join(root, 'home');
		mkdirSync(join(home, '.n8n-files'), { recursive: true });
		outsidePath = join(root, 'etc-like', 'client.pem');
		insidePath = join(home, '.n8n-files', 'client.pem');
		mkdirSync(join(root, 'etc-like'));
		for (const path of [outsidePath, insidePath]) writeFileSync(path, pki.bundleEc);
	});
	after(() => {
		pki.pki.cleanup();
		rmSync(root, { recursive: true, force: true });
	});

	const credentialTest = async (bundlePath: string) => {
		const node = new MtlsHttpRequest();
		const data = { source: 'files', bundlePath, passphrase: pki.passphrase };
		const credential: ICredentialsDecrypted = { id: '1', name: 'partner', type: 'mtlsCertificateApi', data };
		// n8n's credential test context has no file helpers (n8n-core credentials-test-context.js).
		return node.methods.credentialTest.mtlsCertificateTest.call({ helpers: {} } as unknown as ICredentialTestFunctions, credential);
	};

	test('Test button, n8n\'s settings at their defaults: outside ~/.n8n-files refused, inside passes', async () => {
		await withEnv(defaultN8nEnv(home), async () => {
			const refused = await credentialTest(outsidePath);
			assert.equal(refused.status, 'Error');
			assert.match(refused.message, /Error code FILE_NOT_ALLOWED/);
			assert.match(refused.message, /n8n's default: ~\/\.n8n-files/);
			assert.doesNotMatch(refused.message, /BEGIN|PRIVATE/);
			const missing = await credentialTest(join(root, 'etc-like', 'missing.pem'));
			assert.match(missing.message, /Error code FILE_NOT_ALLOWED/, 'whether a file outside exists is not told');
			const passed = await credentialTest(insidePath);
			assert.equal(passed.status, 'OK', passed.message);
		});
		// The administrator's setting wins, as in executions.
		await withEnv({ ...defaultN8nEnv(home), N8N_RESTRICT_FILE_ACCESS_TO: join(root, 'etc-like') }, async () => {
			assert.equal((await credentialTest(outsidePath)).status, 'OK');
			assert.match((await credentialTest(insidePath)).message, /Error code FILE_NOT_ALLOWED/);
		});
	});

	test('trigger poll, n8n\'s settings at their defaults: outside ~/.n8n-files refused, inside read', async () => {
		const poll = async (bundlePath: string) => {
			const context = {
				getNodeParameter: (_name: string, fallback?: unknown) => fallback,
				getMode: () => 'trigger',
				getCredentials: async () => ({ source: 'files', bundlePath, passphrase: pki.passphrase }),
				getWorkflowStaticData: () => ({}),
				getNode: () => ({ id: '1', name: 'Trigger', type: 'n8n-nodes-mtls.mtlsCertificateTrigger', typeVersion: 1, parameters: {} }),
				logger: { warn: () => undefined },
				// n8n's poll context has request, binary and scheduling helpers, no file helpers (n8n-core poll-context.js).
				helpers: {},
			} as unknown as IPollFunctions;
			return new MtlsCertificateTrigger().poll.call(context);
		};
		await withEnv(defaultN8nEnv(home), async () => {
			await assert.rejects(poll(outsidePath), (error: Error & { description?: string }) => {
				assert.match(error.message, new RegExp(`"${outsidePath}" in "Bundle File" is outside the folders n8n may read`));
				assert.match(`${error.description}`, /Error code: FILE_NOT_ALLOWED/);
				return true;
			});
			// Nothing expires soon: no event, and no error.
			assert.equal(await poll(insidePath), null);
		});
	});
});
