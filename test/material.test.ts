/**
 * loadMaterial over the credentials users paste: what it accepts and what it learns from them,
 * and for every refusal the code, the field to fix, and no secret in what is shown.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { inspect } from 'node:util';

import { MaterialError } from '../lib/errors';
import { commonName } from '../lib/tls/inspect';
import { loadMaterial, MaterialInput, MAX_INPUT_CHARS } from '../lib/tls/material';
import { Authority, createStandardPki, encryptKey, Issued, openssl, StandardPki } from './fixtures/pki';

const WRONG_PASSPHRASE = 'Tr0ub4dor&3 wrong';
/** Spaces inside and around, and characters outside ASCII: all of it is part of the passphrase. */
const SPACED_PASSPHRASE = '  Grüße aus Köln, 東京 ';

/** Lines long enough that finding one in a message can only mean the PEM leaked. */
function secretLines(...texts: string[]): string[] {
	return texts
		.flatMap((text) => text.replace(/\\n/g, '\n').split(/\r?\n/))
		.map((line) => line.trim())
		.filter((line) => line.length >= 16 && !line.startsWith('-----'));
}

function assertNothingSecret(error: MaterialError, secrets: string[]): void {
	const shown = { message: error.message, description: error.description ?? '', inspected: inspect(error, { depth: 10 }) };
	for (const [where, text] of Object.entries(shown)) {
		for (const secret of secrets) assert.ok(!text.includes(secret), `the ${where} contains a secret: ${secret.slice(0, 24)}…`);
	}
}

/** Writes a file for an openssl command in a directory of the run's PKI. */
function tempFile(dir: string, name: string, content: string): string {
	const path = join(mkdtempSync(join(dir, 'material-')), name);
	writeFileSync(path, content);
	return path;
}

interface Fixtures {
	s: StandardPki;
	root: Authority;
	intermediate: Authority;
	viaIntermediate: Issued;
	expired: Issued;
	notYetValid: Issued;
	serverOnly: Issued;
	csr: string;
	publicKey: string;
	x25519Bundle: string;
	spacedBundle: string;
}

function createFixtures(): Fixtures {
	const s = createStandardPki();
	const root = s.ca;
	const intermediate = s.pki.createIntermediate(root, 'Test Issuing CA');
	const viaIntermediate = s.pki.issue(intermediate, { cn: 'client-via-intermediate.example', keyType: 'rsa' });
	const expired = s.pki.issue(root, { cn: 'expired.example', startDays: -30, endDays: -1 });
	const notYetValid = s.pki.issue(root, { cn: 'future.example', startDays: 2, endDays: 30 });
	const serverOnly = s.pki.issue(root, { cn: 'server-eku.example', eku: 'serverAuth' });
	const csr = openssl(['req', '-new', '-key', tempFile(s.pki.dir, 'key.pem', s.clientEc.keyPem), '-subj', '/CN=client-ec.example']);
	const publicKey = openssl(['pkey', '-pubout'], s.clientEc.keyPem);
	// OpenSSL parses an X25519 certificate and key, but X25519 cannot sign, so TLS refuses them.
	const x25519Key = openssl(['genpkey', '-algorithm', 'X25519']);
	const x25519Pub = tempFile(s.pki.dir, 'x25519.pub', openssl(['pkey', '-pubout'], x25519Key));
	const request = tempFile(s.pki.dir, 'req.csr', csr);
	const x25519Cert = openssl(['x509', '-req', '-in', request, '-CA', join(root.dir, 'ca.crt'), '-CAkey', join(root.dir, 'ca.key'), '-force_pubkey', x25519Pub, '-days', '30']);
	return {
		s, root, intermediate, viaIntermediate, expired, notYetValid, serverOnly, csr, publicKey,
		x25519Bundle: x25519Key + x25519Cert,
		spacedBundle: encryptKey(s.clientEc.keyPem, SPACED_PASSPHRASE) + s.clientEc.certPem,
	};
}

describe('loadMaterial', () => {
	let f: Fixtures;

	before(() => {
		f = createFixtures();
	});
	after(() => f.s.pki.cleanup());

	interface Accepted {
		name: string;
		input: () => MaterialInput;
		key: { type: string; curve?: string; size?: number; encrypted: boolean };
		/** Common names of `chain`, in order. */
		chain: () => string[];
		warnings?: RegExp[];
	}

	const accepted: Accepted[] = [
		{
			name: 'EC P-256, encrypted PKCS#8, key before the certificate',
			input: () => ({ certificateBundle: f.s.bundleEc, passphrase: f.s.passphrase, caCertificates: f.s.ca.certPem }),
			key: { type: 'ec', curve: 'prime256v1', encrypted: true },
			chain: () => ['client-ec.example'],
		},
		{
			name: 'RSA 2048, encrypted PKCS#8, key after the certificate',
			input: () => ({ certificateBundle: f.s.bundleRsa, passphrase: f.s.passphrase, caCertificates: f.s.ca.certPem }),
			key: { type: 'rsa', size: 2048, encrypted: true },
			chain: () => ['client-rsa.example'],
		},
		{
			name: 'intermediate CA before the leaf, key in between: chain comes out leaf → intermediate',
			input: () => ({
				certificateBundle: f.intermediate.certPem + encryptKey(f.viaIntermediate.keyPem, f.s.passphrase) + f.viaIntermediate.certPem,
				passphrase: f.s.passphrase,
				caCertificates: f.root.certPem,
			}),
			key: { type: 'rsa', size: 2048, encrypted: true },
			chain: () => ['client-via-intermediate.example', 'Test Issuing CA'],
		},
		{
			name: 'root, unrelated certificate, intermediate and leaf shuffled: issuer path first, the rest after',
			input: () => ({
				certificateBundle: f.root.certPem + f.s.clientRsa.certPem + f.viaIntermediate.certPem + f.intermediate.certPem + encryptKey(f.viaIntermediate.keyPem, f.s.passphrase),
				passphrase: f.s.passphrase,
			}),
			key: { type: 'rsa', size: 2048, encrypted: true },
			chain: () => ['client-via-intermediate.example', 'Test Issuing CA', 'Test Partner CA', 'client-rsa.example'],
		},
		{
			name: 'an unencrypted key, with a warning',
			input: () => ({ certificateBundle: f.s.clientEc.keyPem + f.s.clientEc.certPem, caCertificates: f.s.ca.certPem }),
			key: { type: 'ec', curve: 'prime256v1', encrypted: false },
			chain: () => ['client-ec.example'],
			warnings: [/not encrypted/],
		},
		{
			name: 'an unencrypted key with a passphrase filled in anyway',
			input: () => ({ certificateBundle: f.s.clientRsa.certPem + f.s.clientRsa.keyPem, passphrase: 'not needed', caCertificates: f.s.ca.certPem }),
			key: { type: 'rsa', size: 2048, encrypted: false },
			chain: () => ['client-rsa.example'],
			warnings: [/not encrypted/],
		},
		{
			name: 'a certificate without the clientAuth usage, with a warning',
			input: () => ({ certificateBundle: f.serverOnly.certPem + f.serverOnly.keyPem, caCertificates: f.s.ca.certPem }),
			key: { type: 'ec', curve: 'prime256v1', encrypted: false },
			chain: () => ['server-eku.example'],
			warnings: [/not encrypted/, /not marked for client authentication/],
		},
		{
			name: 'a leaf whose intermediate CA is nowhere, with a warning',
			input: () => ({ certificateBundle: f.viaIntermediate.certPem + f.viaIntermediate.keyPem }),
			key: { type: 'rsa', size: 2048, encrypted: false },
			chain: () => ['client-via-intermediate.example'],
			warnings: [/not encrypted/, /ends at "client-via-intermediate\.example".*not in the bundle/],
		},
		{
			name: 'the whole bundle on one line of JSON (literal "\\n"), CRLF in the CA field',
			input: () => ({
				certificateBundle: JSON.stringify(f.s.bundleEc).slice(1, -1),
				passphrase: f.s.passphrase,
				caCertificates: f.s.ca.certPem.replace(/\n/g, '\r\n'),
			}),
			key: { type: 'ec', curve: 'prime256v1', encrypted: true },
			chain: () => ['client-ec.example'],
		},
		{
			name: 'passphrase with inner, leading and trailing spaces and non-ASCII letters, as typed',
			input: () => ({ certificateBundle: f.spacedBundle, passphrase: SPACED_PASSPHRASE, caCertificates: f.s.ca.certPem }),
			key: { type: 'ec', curve: 'prime256v1', encrypted: true },
			chain: () => ['client-ec.example'],
		},
	];

	for (const entry of accepted) {
		test(`accepts ${entry.name}`, () => {
			const material = loadMaterial(entry.input());
			assert.deepEqual(material.chain.map(commonName), entry.chain());
			assert.equal(material.leaf, material.chain[0]);
			for (const [name, value] of Object.entries(entry.key)) {
				assert.equal(material.key[name as keyof typeof material.key], value, `key.${name}`);
			}
			const expected = entry.warnings ?? [];
			assert.equal(material.warnings.length, expected.length, material.warnings.join('\n'));
			expected.forEach((pattern, index) => assert.match(material.warnings[index], pattern));
			assert.ok(material.secureContext.context, 'a secure context was built');
		});
	}

	test('CA Certificates come out parsed, in order', () => {
		const material = loadMaterial({ certificateBundle: f.s.bundleEc, passphrase: f.s.passphrase, caCertificates: f.root.certPem + f.s.otherCa.certPem });
		assert.deepEqual(material.ca.map(commonName), ['Test Partner CA', 'Unrelated CA']);
	});

	interface Refused {
		name: string;
		input: () => MaterialInput;
		code: string;
		field: 'certificateBundle' | 'passphrase' | 'caCertificates';
		message?: () => RegExp | string;
	}

	const encryptedEc = () => encryptKey(f.s.clientEc.keyPem, f.s.passphrase);
	const damage = (pem: string) => pem.replace(/\n(.{10})./, '\n$1*');
	const dropSecondBodyLine = (pem: string) => pem.replace(/^(.*\n.*\n).*\n/, '$1');
	const notX509 = `-----BEGIN CERTIFICATE-----\n${Buffer.from('this is base64, but not a certificate').toString('base64')}\n-----END CERTIFICATE-----\n`;
	const isoDate = (text: string) => new Date(text).toISOString();

	const refused: Refused[] = [
		{ name: 'an empty bundle', input: () => ({ certificateBundle: '' }), code: 'BUNDLE_NO_PEM', field: 'certificateBundle' },
		{ name: 'a file name instead of its content', input: () => ({ certificateBundle: 'C:\\certs\\client.pem' }), code: 'BUNDLE_NO_PEM', field: 'certificateBundle' },
		{
			name: 'a CSR (openssl req -new) with its key',
			input: () => ({ certificateBundle: encryptedEc() + f.csr, passphrase: f.s.passphrase }),
			code: 'BUNDLE_WRONG_CONTENT', field: 'certificateBundle', message: () => /Block 2 .* certificate signing request/,
		},
		{
			name: 'an OpenSSH private key with the certificate',
			input: () => ({ certificateBundle: `-----BEGIN OPENSSH PRIVATE KEY-----\n${Buffer.from('openssh-key-v1\0 not for TLS').toString('base64')}\n-----END OPENSSH PRIVATE KEY-----\n${f.s.clientEc.certPem}` }),
			code: 'BUNDLE_WRONG_CONTENT', field: 'certificateBundle', message: () => /Block 1 .* an OpenSSH private key/,
		},
		{
			name: 'a public key with the certificate',
			input: () => ({ certificateBundle: f.publicKey + f.s.clientEc.certPem }),
			code: 'BUNDLE_WRONG_CONTENT', field: 'certificateBundle', message: () => /Block 1 .* public key/,
		},
		{
			name: 'a damaged certificate block',
			input: () => ({ certificateBundle: encryptedEc() + damage(f.s.clientEc.certPem), passphrase: f.s.passphrase }),
			code: 'BUNDLE_BAD_BLOCK', field: 'certificateBundle', message: () => /Block 2 .*\(CERTIFICATE\) is damaged/,
		},
		{
			name: 'a damaged key block',
			input: () => ({ certificateBundle: damage(encryptedEc()) + f.s.clientEc.certPem, passphrase: f.s.passphrase }),
			code: 'BUNDLE_BAD_BLOCK', field: 'certificateBundle', message: () => /Block 1 .*\(ENCRYPTED PRIVATE KEY\) is damaged/,
		},
		{ name: 'a certificate without its key', input: () => ({ certificateBundle: f.s.clientEc.certPem }), code: 'BUNDLE_NO_KEY', field: 'certificateBundle' },
		{
			name: 'two keys',
			input: () => ({ certificateBundle: encryptedEc() + encryptKey(f.s.clientRsa.keyPem, f.s.passphrase) + f.s.clientEc.certPem, passphrase: f.s.passphrase }),
			code: 'BUNDLE_MANY_KEYS', field: 'certificateBundle', message: () => /contains 2 private keys/,
		},
		{ name: 'a key without its certificate', input: () => ({ certificateBundle: encryptedEc(), passphrase: f.s.passphrase }), code: 'BUNDLE_NO_CERTIFICATE', field: 'certificateBundle' },
		{ name: 'an encrypted key and no passphrase', input: () => ({ certificateBundle: f.s.bundleEc }), code: 'PASSPHRASE_MISSING', field: 'passphrase' },
		{ name: 'an encrypted key and an empty passphrase', input: () => ({ certificateBundle: f.s.bundleRsa, passphrase: '' }), code: 'PASSPHRASE_MISSING', field: 'passphrase' },
		{ name: 'a wrong passphrase (EC)', input: () => ({ certificateBundle: f.s.bundleEc, passphrase: WRONG_PASSPHRASE }), code: 'PASSPHRASE_WRONG', field: 'passphrase' },
		{ name: 'a wrong passphrase (RSA)', input: () => ({ certificateBundle: f.s.bundleRsa, passphrase: WRONG_PASSPHRASE }), code: 'PASSPHRASE_WRONG', field: 'passphrase' },
		{
			name: 'the passphrase without its trailing space',
			input: () => ({ certificateBundle: f.spacedBundle, passphrase: SPACED_PASSPHRASE.trimEnd() }),
			code: 'PASSPHRASE_WRONG', field: 'passphrase',
		},
		{
			name: 'the passphrase without its leading spaces',
			input: () => ({ certificateBundle: f.spacedBundle, passphrase: SPACED_PASSPHRASE.trimStart() }),
			code: 'PASSPHRASE_WRONG', field: 'passphrase',
		},
		{
			name: 'the passphrase in other letter case',
			input: () => ({ certificateBundle: f.spacedBundle, passphrase: SPACED_PASSPHRASE.toUpperCase() }),
			code: 'PASSPHRASE_WRONG', field: 'passphrase',
		},
		{
			name: 'an unencrypted key block that is not a key',
			input: () => ({ certificateBundle: `-----BEGIN PRIVATE KEY-----\n${Buffer.from('definitely not a PKCS#8 structure').toString('base64')}\n-----END PRIVATE KEY-----\n${f.s.clientEc.certPem}` }),
			code: 'KEY_UNREADABLE', field: 'certificateBundle',
		},
		{
			name: 'an encrypted key that lost a whole line in copying (still base64), right passphrase',
			input: () => ({ certificateBundle: dropSecondBodyLine(encryptedEc()) + f.s.clientEc.certPem, passphrase: f.s.passphrase }),
			code: 'KEY_UNREADABLE', field: 'certificateBundle',
		},
		{
			name: 'the key of one client with the certificate of another',
			input: () => ({ certificateBundle: encryptedEc() + f.s.clientRsa.certPem, passphrase: f.s.passphrase }),
			code: 'KEY_CERT_MISMATCH', field: 'certificateBundle', message: () => /does not belong .*"client-rsa\.example"/,
		},
		{
			name: 'an expired certificate',
			input: () => ({ certificateBundle: encryptKey(f.expired.keyPem, f.s.passphrase) + f.expired.certPem, passphrase: f.s.passphrase }),
			code: 'CERTIFICATE_EXPIRED', field: 'certificateBundle',
			message: () => `The client certificate "expired.example" expired on ${isoDate(new X509Certificate(f.expired.certPem).validTo)}`,
		},
		{
			name: 'a certificate that is not valid yet',
			input: () => ({ certificateBundle: f.notYetValid.certPem + encryptKey(f.notYetValid.keyPem, f.s.passphrase), passphrase: f.s.passphrase }),
			code: 'CERTIFICATE_NOT_YET_VALID', field: 'certificateBundle',
			message: () => `The client certificate "future.example" is not valid before ${isoDate(new X509Certificate(f.notYetValid.certPem).validFrom)}`,
		},
		{
			name: 'a CERTIFICATE block that is base64 but not X.509',
			input: () => ({ certificateBundle: encryptedEc() + notX509, passphrase: f.s.passphrase }),
			code: 'BAD_CERTIFICATE', field: 'certificateBundle', message: () => /Block 2 of the "Certificate Bundle"/,
		},
		{
			name: 'an X25519 key and certificate, which TLS cannot use',
			input: () => ({ certificateBundle: f.x25519Bundle }),
			code: 'SECURE_CONTEXT_FAILED', field: 'certificateBundle',
		},
		{
			name: 'a bundle over 1 MiB',
			input: () => ({ certificateBundle: f.s.bundleEc + ' '.repeat(MAX_INPUT_CHARS), passphrase: f.s.passphrase }),
			code: 'INPUT_TOO_LARGE', field: 'certificateBundle',
		},
		{
			name: 'CA Certificates without PEM',
			input: () => ({ certificateBundle: f.s.bundleEc, passphrase: f.s.passphrase, caCertificates: 'Test Partner CA' }),
			code: 'CA_NO_PEM', field: 'caCertificates',
		},
		{
			name: 'a private key pasted into CA Certificates as block 2',
			input: () => ({ certificateBundle: f.s.bundleEc, passphrase: f.s.passphrase, caCertificates: f.root.certPem + f.s.clientRsa.keyPem }),
			code: 'CA_BAD_BLOCK', field: 'caCertificates', message: () => /^Block 2 of the "CA Certificates" field is not a certificate \(PRIVATE KEY\)$/,
		},
		{
			name: 'a damaged block 3 in CA Certificates',
			input: () => ({ certificateBundle: f.s.bundleEc, passphrase: f.s.passphrase, caCertificates: f.root.certPem + f.s.otherCa.certPem + damage(f.intermediate.certPem) }),
			code: 'CA_BAD_BLOCK', field: 'caCertificates', message: () => /^Block 3 of the "CA Certificates" field/,
		},
		{
			name: 'a CERTIFICATE block in CA Certificates that is not X.509',
			input: () => ({ certificateBundle: f.s.bundleEc, passphrase: f.s.passphrase, caCertificates: notX509 }),
			code: 'BAD_CERTIFICATE', field: 'caCertificates', message: () => /Block 1 of the "CA Certificates"/,
		},
		{
			name: 'CA Certificates over 1 MiB',
			input: () => ({ certificateBundle: f.s.bundleEc, passphrase: f.s.passphrase, caCertificates: f.root.certPem.repeat(Math.ceil(MAX_INPUT_CHARS / f.root.certPem.length) + 1) }),
			code: 'INPUT_TOO_LARGE', field: 'caCertificates',
		},
	];

	for (const entry of refused) {
		test(`refuses ${entry.name} with ${entry.code}`, () => {
			const input = entry.input();
			const secrets = [
				f.s.passphrase, WRONG_PASSPHRASE, SPACED_PASSPHRASE.trim(), input.passphrase ?? '',
				...secretLines(input.certificateBundle, f.s.clientEc.keyPem, f.s.clientRsa.keyPem, f.s.bundleEc, f.s.bundleRsa, f.spacedBundle),
			].filter((secret) => secret.trim().length >= 4);
			assert.throws(() => loadMaterial(input), (error: unknown) => {
				assert.ok(error instanceof MaterialError, String(error));
				assert.equal(error.code, entry.code, error.message);
				assert.equal(error.field, entry.field);
				assert.ok(error.description, 'a description says what to do');
				const message = entry.message?.();
				if (typeof message === 'string') assert.equal(error.message, message);
				else if (message) assert.match(error.message, message);
				assertNothingSecret(error, secrets);
				return true;
			});
		});
	}

	test('dates of an expired and a not-yet-valid certificate are in the description too', () => {
		for (const issued of [f.expired, f.notYetValid]) {
			const certificate = new X509Certificate(issued.certPem);
			assert.throws(() => loadMaterial({ certificateBundle: issued.keyPem + issued.certPem }), (error: MaterialError) => {
				assert.ok(error.description?.includes(isoDate(certificate.validFrom)));
				assert.ok(error.description?.includes(isoDate(certificate.validTo)));
				return true;
			});
		}
	});

	test('`now` decides validity: the expired certificate loads for a moment inside its dates', () => {
		const validTo = new Date(new X509Certificate(f.expired.certPem).validTo);
		const material = loadMaterial({ certificateBundle: f.expired.keyPem + f.expired.certPem }, { now: new Date(validTo.getTime() - 60_000) });
		assert.equal(commonName(material.leaf), 'expired.example');
	});
});
