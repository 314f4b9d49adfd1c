/**
 * Issue 11, point 4: keys and certificates that load but cannot authenticate, or stop loading on a
 * stricter OpenSSL. Each one either loads with a warning that names the problem and the fix, or,
 * where this Node's OpenSSL refuses it, fails with a code naming the key size or digest. Which of
 * the two happens is asked of OpenSSL directly, so the same table passes on Node 20 and 24.
 */
import assert from 'node:assert/strict';
import * as tls from 'node:tls';
import { after, before, describe, test } from 'node:test';

import { MaterialError } from '../lib/errors';
import { loadMaterial } from '../lib/tls/material';
import { Authority, Issued, IssueOptions, openssl, Pki } from './fixtures/pki';

/** True when this Node's OpenSSL builds a context from the key and certificates as they are. */
function opensslAccepts(issued: Issued, chain: string): boolean {
	try {
		tls.createSecureContext({ key: issued.keyPem, cert: issued.certPem + chain });
		return true;
	} catch {
		return false;
	}
}

describe('keys that load but cannot authenticate, or stop working on a stricter OpenSSL', () => {
	let pki: Pki;
	let root: Authority;

	before(() => {
		pki = new Pki();
		root = pki.createRoot('Key Types CA', 'rsa');
	});
	after(() => pki.cleanup());

	interface Case {
		name: string;
		issue: Omit<IssueOptions, 'cn'>;
		/** How the key is pasted (default: PKCS#8 as generated). */
		key?: (keyPem: string) => string;
		warning: RegExp;
		/** When this Node's OpenSSL refuses the material: the code and what the message names. */
		refused?: { code: string; message: RegExp };
	}

	const cases: Case[] = [
		{ name: 'a DSA key, pasted as BEGIN DSA PRIVATE KEY', issue: { keyType: 'dsa' }, key: (keyPem) => openssl(['dsa'], keyPem), warning: /DSA key \(2048 bits\)\. TLS 1\.3 has no DSA signatures.*"Maximum TLS Version" to TLS 1\.2/ },
		{ name: 'a brainpoolP256r1 key', issue: { keyType: 'brainpool' }, warning: /brainpoolP256r1 curve\. TLS 1\.3 signs only with P-256.*wrong curve/ },
		{ name: 'a secp256k1 key', issue: { keyType: 'secp256k1' }, warning: /secp256k1 curve/ },
		{
			name: 'a 1024-bit RSA key',
			issue: { keyType: 'rsa1024' },
			warning: /RSA key has 1024 bits\. This Node\.js accepts it, but .*refuses keys under 2048 bits/,
			refused: { code: 'KEY_TOO_SMALL', message: /1024-bit RSA key is too small for this Node\.js \(Node\.js v\d+.*OpenSSL [\d.]+\).*"ee key too small"/ },
		},
		{
			name: 'a 1024-bit DSA key',
			issue: { keyType: 'dsa1024' },
			warning: /DSA key has 1024 bits/,
			refused: { code: 'KEY_TOO_SMALL', message: /1024-bit DSA key is too small/ },
		},
		{
			name: 'a certificate signed with MD5',
			issue: { md: 'md5' },
			warning: /signed with MD5\. This Node\.js accepts it, but .*refuses MD5 and SHA-1 signatures/,
			refused: { code: 'CERTIFICATE_DIGEST_TOO_WEAK', message: /"weak-digest client" is signed with MD5, which this Node\.js .* refuses: .*"ca md too weak"/ },
		},
		{
			name: 'a certificate signed with SHA-1',
			issue: { md: 'sha1' },
			warning: /signed with SHA-1/,
			refused: { code: 'CERTIFICATE_DIGEST_TOO_WEAK', message: /signed with SHA-1/ },
		},
	];

	for (const entry of cases) {
		test(`${entry.name}: a warning, or a named refusal where this OpenSSL refuses it`, () => {
			const issued = pki.issue(root, { cn: entry.issue.md ? 'weak-digest client' : `${entry.name.slice(0, 40)}`, ...entry.issue });
			const bundle = (entry.key ? entry.key(issued.keyPem) : issued.keyPem) + issued.certPem;
			if (entry.refused && !opensslAccepts(issued, '')) {
				assert.throws(() => loadMaterial({ certificateBundle: bundle }), (error: unknown) => {
					assert.ok(error instanceof MaterialError, String(error));
					assert.equal(error.code, entry.refused?.code, error.message);
					assert.match(error.message, entry.refused?.message ?? /./);
					assert.equal(error.field, 'certificateBundle');
					return true;
				});
				return;
			}
			const material = loadMaterial({ certificateBundle: bundle });
			assert.ok(material.warnings.some((warning) => entry.warning.test(warning)), material.warnings.join('\n'));
		});
	}

	test('EC P-256 and RSA 2048 signed with SHA-256: none of these warnings', () => {
		for (const keyType of ['ec', 'rsa'] as const) {
			const issued = pki.issue(root, { cn: `plain ${keyType}`, keyType });
			const material = loadMaterial({ certificateBundle: issued.keyPem + issued.certPem, caCertificates: root.certPem });
			assert.deepEqual(material.warnings.filter((warning) => !/not encrypted/.test(warning)), []);
		}
	});
});
