/**
 * "Create Key and CSR": every key type and subject variant checked by the openssl CLI (`req -verify
 * -text`), the subject copied byte for byte, the key encrypted with PBES2 and readable only with the
 * Next Passphrase, and the returned certificate taking over as the next certificate.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { MaterialCache } from '../lib/tls/cache';
import { encodeAltNames } from '../lib/tls/altNames';
import { createKeyAndCsr, CSR_KEY_TYPES, CsrKeyType } from '../lib/tls/csr';
import { parseDer } from '../lib/tls/der';
import { encodeDer, integer, oid } from '../lib/tls/derWriter';
import { KEY_ENCRYPTION_ITERATIONS } from '../lib/tls/keyEncryption';
import { buildName, formatRfc2253, subjectNameOf } from '../lib/tls/names';
import { selectMaterial } from '../lib/tls/rotation';
import { executeCreateCsr } from '../nodes/MtlsHttpRequest/createCsr';
import { Authority, encryptKey, generateKey, openssl, Pki } from './fixtures/pki';

const PASS = 'current pass';
const NEXT_PASS = 'next passphrase – ünïcode';

let pki: Pki;
let ca: Authority;
let work: string;

before(() => {
	pki = new Pki();
	ca = pki.createRoot('CSR Test CA');
	work = mkdtempSync(join(tmpdir(), 'mtls-csr-'));
});
after(() => {
	pki.cleanup();
	rmSync(work, { recursive: true, force: true });
});

let files = 0;
function file(content: string): string {
	const path = join(work, `f${files++}.pem`);
	writeFileSync(path, content);
	return path;
}

/** `openssl req -verify -text`: the printed request, or a failure with what openssl said. */
function verifiedText(csrPem: string): string {
	const result = spawnSync('openssl', ['req', '-in', file(csrPem), '-verify', '-noout', '-text', '-nameopt', 'RFC2253,-esc_msb'], { encoding: 'utf8' });
	assert.equal(result.status, 0, `openssl req failed:\n${result.stderr}`);
	assert.match(result.stderr, /self-signature verify OK/, `openssl req -verify:\n${result.stderr}`);
	return result.stdout;
}

/** The subject as openssl prints it, UTF-8 unescaped. */
function opensslSubject(args: string[], pem: string): string {
	return openssl([...args, '-in', file(pem), '-noout', '-subject', '-nameopt', 'RFC2253,-esc_msb']).trim().replace(/^subject=/, '');
}

const ALL_FIELDS = {
	commonName: 'client, "ü" <renewal>',
	organization: 'Müller & Söhne GmbH',
	organizationalUnit: '#payments ',
	country: 'de',
	state: 'Baden-Württemberg',
	locality: 'Stuttgart',
	email: 'ops@example.com',
};
const ALT_NAMES = [
	{ type: 'dns', value: 'client.example.com' },
	{ type: 'dns', value: '*.bücher.example' },
	{ type: 'email', value: 'ops@example.com' },
	{ type: 'uri', value: 'spiffe://example.org/ns/payments/client' },
	{ type: 'ip', value: '192.0.2.10' },
	{ type: 'ip', value: '2001:db8::1' },
] as const;
const EXPECTED_SANS = [
	'DNS:client.example.com', 'DNS:*.xn--bcher-kva.example', 'email:ops@example.com', 'URI:spiffe://example.org/ns/payments/client',
	'IP Address:192.0.2.10', 'IP Address:2001:DB8:0:0:0:0:0:1',
];

const KEY_TEXT: Record<CsrKeyType, RegExp> = {
	'ec-p256': /Public-Key: \(256 bit\)[\s\S]*NIST CURVE: P-256[\s\S]*Signature Algorithm: ecdsa-with-SHA256/,
	'ec-p384': /Public-Key: \(384 bit\)[\s\S]*NIST CURVE: P-384[\s\S]*Signature Algorithm: ecdsa-with-SHA384/,
	'rsa-2048': /Public-Key: \(2048 bit\)[\s\S]*Signature Algorithm: sha256WithRSAEncryption/,
	'rsa-3072': /Public-Key: \(3072 bit\)[\s\S]*Signature Algorithm: sha256WithRSAEncryption/,
	'rsa-4096': /Public-Key: \(4096 bit\)[\s\S]*Signature Algorithm: sha256WithRSAEncryption/,
	ed25519: /ED25519 Public-Key:[\s\S]*Signature Algorithm: ED25519/,
};

describe('every key type: a request openssl verifies, with the subject and alternative names asked for', () => {
	for (const keyType of CSR_KEY_TYPES) {
		test(keyType, async () => {
			const altNames = encodeAltNames([...ALT_NAMES]);
			const result = await createKeyAndCsr({ keyType, subject: buildName(ALL_FIELDS), altNames: altNames.der, passphrase: NEXT_PASS });
			const text = verifiedText(result.csrPem);
			assert.match(text, KEY_TEXT[keyType]);
			const subject = 'emailAddress=ops@example.com,CN=client\\, \\"ü\\" \\<renewal\\>,OU=\\#payments,O=Müller & Söhne GmbH,L=Stuttgart,ST=Baden-Württemberg,C=DE';
			assert.equal(result.subject, subject);
			assert.equal(opensslSubject(['req'], result.csrPem), subject);
			assert.equal(text.match(/X509v3 Subject Alternative Name: *\n\s*(.*)/)?.[1], EXPECTED_SANS.join(', '));
			assert.equal(result.keyType, keyType);
			// The pin is the SHA-256 of the request's public key, as the partner's certificate will carry it.
			const spki = requestedKeyOf(result.csrPem);
			assert.equal(result.publicKeyPin, `sha256//${hash(spki)}`);
			assert.equal(result.publicKeySha256.replace(/:/g, ''), Buffer.from(hash(spki), 'base64').toString('hex').toUpperCase());
		});
	}
});

/** CertificationRequestInfo's subjectPKInfo, the DER SubjectPublicKeyInfo. */
function requestedKeyOf(csrPem: string): Buffer {
	return reencode(parseDer(Buffer.from(csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64')).children[0].children[2]);
}

function hash(der: Buffer): string {
	return createHash('sha256').update(der).digest('base64');
}

describe('subject variants', () => {
	test('no alternative names: no extension request, an empty attribute set', async () => {
		const result = await createKeyAndCsr({ keyType: 'ec-p256', subject: buildName({ commonName: 'only-cn.example' }), passphrase: NEXT_PASS });
		const text = verifiedText(result.csrPem);
		assert.equal(result.subject, 'CN=only-cn.example');
		assert.match(text, /Attributes:\s*\n\s*(\(none\)|a0:00)/);
		assert.doesNotMatch(text, /Subject Alternative Name/);
	});

	test('copied from a certificate: the same bytes, multi-valued RDN, PrintableString and BMPString included', async () => {
		const certificate = exoticCertificate();
		const name = subjectNameOf(certificate);
		const stringTags = parseDer(name).children.flatMap((rdn) => rdn.children.map((attribute) => attribute.children[1].tag));
		assert.ok(stringTags.includes(0x13) && stringTags.includes(0x1e), `PrintableString and BMPString in the certificate: ${stringTags}`);
		const result = await createKeyAndCsr({ keyType: 'ec-p256', subject: name, passphrase: NEXT_PASS });
		verifiedText(result.csrPem);
		const csrDer = Buffer.from(result.csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
		const requestedName = parseDer(csrDer).children[0].children[1];
		assert.ok(encodeDer(requestedName.tag, requestedName.children.map(reencode)).equals(name));
		assert.ok(csrDer.includes(name), 'the Name bytes appear unchanged in the request');
		assert.ok(certificate.raw.includes(name), 'and are those of the certificate');
		const printed = opensslSubject(['x509'], certificate.toString());
		assert.equal(result.subject, printed);
		assert.equal(opensslSubject(['req'], result.csrPem), printed);
		assert.match(printed, /\+/, 'the multi-valued RDN survived');
	});

	test('field values are checked and named', () => {
		const cases: Array<[Record<string, string>, string, RegExp]> = [
			[{}, 'SUBJECT_EMPTY', /no field/],
			[{ commonName: '   ' }, 'SUBJECT_EMPTY', /no field/],
			[{ country: 'Germany' }, 'SUBJECT_FIELD_INVALID', /"country" is "Germany", not a two-letter/],
			[{ commonName: 'x'.repeat(65) }, 'SUBJECT_FIELD_INVALID', /"commonName" is longer than 64/],
			[{ commonName: 'a\nb' }, 'SUBJECT_FIELD_INVALID', /control character/],
			[{ email: 'bücher@example.com' }, 'SUBJECT_FIELD_INVALID', /"email" has characters outside ASCII/],
			[{ email: 'not-an-address' }, 'SUBJECT_FIELD_INVALID', /not an e-mail address/],
		];
		for (const [fields, code, message] of cases) {
			assert.throws(() => buildName(fields), (error: Error & { code?: string }) => error.code === code && message.test(error.message), JSON.stringify(fields));
		}
	});

	test('alternative names are checked and named by position', () => {
		const cases: Array<[{ type: string; value: string }, RegExp]> = [
			[{ type: 'dns', value: 'has space.example' }, /name 1 \(DNS "has space.example"\) is not a host name/],
			[{ type: 'dns', value: '' }, /is empty/],
			[{ type: 'email', value: 'nobody' }, /not an ASCII e-mail address/],
			[{ type: 'uri', value: 'relative/path' }, /not an absolute URI/],
			[{ type: 'uri', value: 'https://example.com/ä' }, /outside ASCII/],
			[{ type: 'ip', value: '300.1.1.1' }, /not an IPv4 or IPv6/],
			[{ type: 'ip', value: 'fe80::1%eth0' }, /without a zone/],
			[{ type: 'x400', value: 'x' }, /unknown type "x400"/],
		];
		for (const [name, message] of cases) {
			assert.throws(() => encodeAltNames([name as never]), (error: Error & { code?: string }) => error.code === 'SUBJECT_ALT_NAME_INVALID' && message.test(error.message), JSON.stringify(name));
		}
	});
});

/**
 * A CA-issued certificate whose subject openssl writes with `string_mask = pkix` (PrintableString
 * where it fits, BMPString otherwise) and a multi-valued RDN: what `-subj` with defaults never makes.
 */
function exoticCertificate(): X509Certificate {
	const key = file(generateKey('ec'));
	const config = file('[req]\ndistinguished_name = dn\nstring_mask = pkix\nutf8 = yes\n[dn]\n');
	const csr = join(work, 'exotic.csr');
	openssl(['req', '-new', '-key', key, '-config', config, '-multivalue-rdn', '-subj', '/C=CH/O=Zürich Example/CN=legacy-client+UID=4711/OU=a\\, b', '-out', csr]);
	const certificate = openssl(['x509', '-req', '-in', csr, '-CA', join(ca.dir, 'ca.crt'), '-CAkey', join(ca.dir, 'ca.key'), '-days', '30', '-set_serial', '7']);
	return new X509Certificate(certificate);
}

function reencode(node: ReturnType<typeof parseDer>): Buffer {
	return node.tag & 0x20 ? encodeDer(node.tag, node.children.map(reencode)) : encodeDer(node.tag, node.value);
}

test('a changed byte in the signed request fails openssl\'s verification (the check can fail)', async () => {
	const result = await createKeyAndCsr({ keyType: 'ec-p256', subject: buildName({ commonName: 'tamper.example' }), passphrase: NEXT_PASS });
	const der = Buffer.from(result.csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
	const at = der.indexOf(Buffer.from('tamper'));
	der[at] = 'T'.charCodeAt(0);
	const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
	const verdict = spawnSync('openssl', ['req', '-in', file(tampered), '-verify', '-noout'], { encoding: 'utf8' });
	// OpenSSL 3.0's `req -verify` exits 0 either way: its message is the verdict, hence verifiedText's match on "verify OK".
	assert.match(verdict.stderr, /verify failure/);
	assert.doesNotMatch(verdict.stderr, /verify OK/);
});

describe('the new key', () => {
	test('PKCS#8 PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC, readable with the Next Passphrase only', async () => {
		const result = await createKeyAndCsr({ keyType: 'ec-p256', subject: buildName({ commonName: 'key.example' }), passphrase: NEXT_PASS });
		assert.match(result.encryptedPrivateKeyPem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
		const parsed = openssl(['asn1parse', '-in', file(result.encryptedPrivateKeyPem)]);
		const objects = [...parsed.matchAll(/OBJECT\s+:(\S+)/g)].map((match) => match[1]);
		assert.deepEqual(objects, ['PBES2', 'PBKDF2', 'hmacWithSHA256', 'aes-256-cbc']);
		assert.match(parsed, new RegExp(`INTEGER\\s+:${KEY_ENCRYPTION_ITERATIONS.toString(16).toUpperCase().padStart(6, '0')}\\b`));
		assert.match(parsed, /d=5 {2}hl=2 l= {2}16 prim: OCTET STRING/, 'a 16-byte salt');

		const decrypted = openssl(['pkey', '-in', file(result.encryptedPrivateKeyPem), '-passin', 'env:NEXT_PASS', '-pubout'], undefined, { NEXT_PASS });
		assert.equal(decrypted, createPublicKey({ key: requestedKeyOf(result.csrPem), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }));
		const wrong = spawnSync('openssl', ['pkey', '-in', file(result.encryptedPrivateKeyPem), '-passin', 'pass:wrong', '-noout'], { encoding: 'utf8' });
		assert.notEqual(wrong.status, 0, 'a wrong passphrase does not decrypt it');
		assert.throws(() => createPrivateKey({ key: result.encryptedPrivateKeyPem, passphrase: 'wrong' }));
	});

	test('an empty Next Passphrase: NEXT_PASSPHRASE_REQUIRED and no key', async () => {
		for (const passphrase of ['', undefined]) {
			await assert.rejects(
				createKeyAndCsr({ keyType: 'ec-p256', subject: buildName({ commonName: 'x' }), passphrase: passphrase as unknown as string }),
				(error: Error & { code?: string; field?: string }) => error.code === 'NEXT_PASSPHRASE_REQUIRED' && error.field === 'nextPassphrase',
			);
		}
	});
});

describe('DER writer', () => {
	test('lengths, integers and object identifiers in their shortest DER form, read back by the reader', () => {
		for (const size of [0, 1, 127, 128, 255, 256, 65535, 65536]) {
			const encoded = encodeDer(0x04, Buffer.alloc(size, 0xab));
			assert.equal(parseDer(encoded).value.length, size);
		}
		assert.equal(encodeDer(0x04, Buffer.alloc(128)).subarray(0, 3).toString('hex'), '048180');
		assert.equal(encodeDer(0x04, Buffer.alloc(256)).subarray(0, 4).toString('hex'), '04820100');
		const integers: Array<[number, string]> = [[0, '020100'], [127, '02017f'], [128, '02020080'], [256, '02020100'], [600_000, '02030927c0']];
		for (const [value, hex] of integers) assert.equal(integer(value).toString('hex'), hex, String(value));
		assert.equal(oid('1.2.840.113549.1.1.11').toString('hex'), '06092a864886f70d01010b');
		assert.equal(oid('2.5.29.17').toString('hex'), '0603551d11');
		assert.equal(oid('2.999.3').toString('hex'), '0603883703');
		assert.throws(() => oid('1.40'));
	});

	test('an RFC 2253 string escapes what RFC 2253 2.4 requires', () => {
		const name = buildName({ commonName: ' lead;trail+x\\y ', organization: '#hash=eq' });
		assert.equal(formatRfc2253(name), 'CN=lead\\;trail\\+x\\\\y,O=\\#hash=eq');
	});
});

/** The parts of n8n's execution context the operation uses, for one input item. */
function executionContext(credential: Record<string, string>, parameters: Record<string, unknown>, continueOnFail = false): IExecuteFunctions {
	const context = {
		getInputData: () => [{ json: {} }],
		getNodeParameter: (name: string, _itemIndex: number, fallback?: unknown) =>
			name.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], parameters) ?? fallback,
		getCredentials: async () => credential,
		getNode: () => ({ id: '1', name: 'Create Key and CSR', type: 'n8n-nodes-mtls.mtlsHttpRequest', typeVersion: 1, parameters: {} }),
		continueOnFail: () => continueOnFail,
		helpers: {
			prepareBinaryData: async (data: Buffer, fileName: string, mimeType: string) => ({ data: data.toString('base64'), fileName, mimeType }),
		},
	};
	return context as unknown as IExecuteFunctions;
}

describe('the node operation', () => {
	const issued = () => pki.issue(ca, { cn: 'renewal-client.example', san: ['DNS:renewal-client.example', 'IP:192.0.2.7'] });

	test('default: subject and alternative names of the current certificate, both PEMs as files', async () => {
		const current = issued();
		const credential = { certificateBundle: encryptKey(current.keyPem, PASS) + current.certPem, passphrase: PASS, nextPassphrase: NEXT_PASS };
		const [[item]] = await executeCreateCsr(executionContext(credential, { operation: 'createCsr' }));
		const json = item.json as IDataObject & { csrPem: string; encryptedPrivateKeyPem: string };
		const certificate = new X509Certificate(current.certPem);
		assert.equal(json.keyType, 'ec-p256');
		assert.equal(json.subject, opensslSubject(['x509'], current.certPem));
		assert.deepEqual(json.subjectAltNames, ['DNS:renewal-client.example', 'IP Address:192.0.2.7']);
		const text = verifiedText(json.csrPem);
		assert.match(text, /DNS:renewal-client.example, IP Address:192.0.2.7/);
		assert.ok(Buffer.from(json.csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64').includes(subjectNameOf(certificate)));
		assert.deepEqual(Object.keys(json), ['csrPem', 'encryptedPrivateKeyPem', 'subject', 'keyType', 'publicKeyPin', 'publicKeySha256', 'subjectAltNames']);

		const { csr, privateKey } = item.binary ?? {};
		assert.deepEqual([csr?.fileName, csr?.mimeType], ['renewal-client.example.csr', 'application/pkcs10']);
		assert.deepEqual([privateKey?.fileName, privateKey?.mimeType], ['renewal-client.example.key.pem', 'application/x-pem-file']);
		assert.equal(Buffer.from(csr?.data ?? '', 'base64').toString(), json.csrPem);
		assert.equal(Buffer.from(privateKey?.data ?? '', 'base64').toString(), json.encryptedPrivateKeyPem);
		assert.doesNotMatch(JSON.stringify(item), /BEGIN (EC |RSA )?PRIVATE KEY/, 'no key in the clear');
	});

	test('fields, alternative names and a key type from the parameters', async () => {
		const current = issued();
		const credential = { certificateBundle: encryptKey(current.keyPem, PASS) + current.certPem, passphrase: PASS, nextPassphrase: NEXT_PASS };
		const [[item]] = await executeCreateCsr(executionContext(credential, {
			keyType: 'rsa-2048',
			subjectSource: 'fields',
			subjectFields: { commonName: 'new-identity.example', organization: 'Example Ltd', country: 'GB' },
			subjectAltNames: { altNames: [{ type: 'dns', value: 'new-identity.example' }, { type: 'uri', value: 'urn:example:client:42' }] },
		}));
		assert.equal(item.json.subject, 'CN=new-identity.example,O=Example Ltd,C=GB');
		assert.deepEqual(item.json.subjectAltNames, ['DNS:new-identity.example', 'URI:urn:example:client:42']);
		assert.match(verifiedText(String(item.json.csrPem)), /Public-Key: \(2048 bit\)[\s\S]*DNS:new-identity.example, URI:urn:example:client:42/);
		assert.equal(item.binary?.csr.fileName, 'new-identity.example.csr');
	});

	test('an expired certificate (a late renewal): its subject is still copied', async () => {
		const expired = pki.issue(ca, { cn: 'late-client.example', startDays: -60, endDays: -2 });
		const credential = { certificateBundle: encryptKey(expired.keyPem, PASS) + expired.certPem, passphrase: PASS, nextPassphrase: NEXT_PASS };
		const [[item]] = await executeCreateCsr(executionContext(credential, {}));
		assert.equal(item.json.subject, 'O=mTLS Test,CN=late-client.example');
		verifiedText(String(item.json.csrPem));
	});

	test('an empty Next Passphrase fails the item with NEXT_PASSPHRASE_REQUIRED and outputs no key', async () => {
		const current = issued();
		const credential = { certificateBundle: encryptKey(current.keyPem, PASS) + current.certPem, passphrase: PASS, nextPassphrase: '' };
		await assert.rejects(executeCreateCsr(executionContext(credential, {})), (error: Error & { description?: string }) =>
			/"Next Passphrase"/.test(error.message) && /NEXT_PASSPHRASE_REQUIRED/.test(error.description ?? ''));
		const [items] = await executeCreateCsr(executionContext(credential, {}, true));
		assert.equal(items.length, 1);
		assert.equal((items[0].json.error as IDataObject).code, 'NEXT_PASSPHRASE_REQUIRED');
		assert.equal(items[0].binary, undefined);
		assert.doesNotMatch(JSON.stringify(items), /PRIVATE KEY|CERTIFICATE REQUEST/);
	});

	test('the returned certificate with the new key becomes the next certificate and takes over at its notBefore', async () => {
		const current = issued();
		const credential = { certificateBundle: encryptKey(current.keyPem, PASS) + current.certPem, passphrase: PASS, nextPassphrase: NEXT_PASS };
		const [[item]] = await executeCreateCsr(executionContext(credential, {}));
		const returned = signWithCa(String(item.json.csrPem));
		const next = { ...credential, nextCertificateBundle: `${returned}${item.json.encryptedPrivateKeyPem}` };
		const cache = new MaterialCache();
		const notBefore = new Date(new X509Certificate(returned).validFrom);
		assert.equal(selectMaterial(next, cache, new Date(notBefore.getTime() - 1000)).active, 'current');
		const selection = selectMaterial(next, cache, new Date(notBefore.getTime() + 1000));
		assert.equal(selection.active, 'next');
		assert.equal(selection.material.leaf.subject, new X509Certificate(current.certPem).subject);
		assert.deepEqual(selection.material.warnings.filter((warning) => /encrypt|iteration|weak|key/i.test(warning)), [], 'no warning about the new key');
		assert.equal(`sha256//${hash(selection.material.leaf.publicKey.export({ type: 'spki', format: 'der' }))}`, item.json.publicKeyPin);
		// The next slot is now active: a further renewal copies its subject.
		const [[again]] = await executeCreateCsr(executionContext(next, {}));
		assert.equal(again.json.subject, item.json.subject);
	});
});

/** What the partner does with the request: its CA signs it, keeping the requested alternative names. */
function signWithCa(csrPem: string): string {
	return openssl(['x509', '-req', '-in', file(csrPem), '-CA', join(ca.dir, 'ca.crt'), '-CAkey', join(ca.dir, 'ca.key'), '-days', '90',
		'-set_serial', String(Date.now()), '-copy_extensions', 'copy']);
}
