/**
 * Every format partners hand out, generated here with the openssl CLI, parsed and then used for a
 * real request against a local mTLS server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createAgent } from '../lib/http/agent';
import { send } from '../lib/http/send';
import { loadMaterial, MaterialInput, TlsVersions } from '../lib/tls/material';
import { Authority, encryptKey, Issued, KeyType, openssl, pkcs12File, Pki } from './fixtures/pki';
import { MtlsServer, startMtlsServer } from './fixtures/mtlsServer';

const PASS = 'pass phrase';
const LEGACY = ['-provider', 'legacy', '-provider', 'default'];

interface Format {
	name: string;
	keyType?: KeyType;
	/** Builds the certificateBundle text from the issued key and certificate (and the CA chain). */
	bundle: (issued: Issued, chain: string) => string;
	/** OpenSSL 3 refuses it; node-forge reads it. */
	legacy?: boolean;
	/** An obsolete cipher (RC2, DES, 3DES, RC4, MD5): a warning says so. Defaults to `legacy`. */
	weak?: boolean;
	encrypted?: boolean;
	/** The passphrase the bundle is used with (default PASS). */
	passphrase?: string;
	/** TLS versions for the request (a DSA key cannot sign a TLS 1.3 handshake). */
	versions?: TlsVersions;
}

function pkcs8(args: string[], legacy = false): Format['bundle'] {
	return (issued, chain) => encryptKey(issued.keyPem, PASS, legacy ? [...args, ...LEGACY] : args) + issued.certPem + chain;
}

function traditional(command: 'rsa' | 'ec', cipher: string, legacy = false): Format['bundle'] {
	return (issued, chain) => {
		// OpenSSL 3 writes PKCS#8 unless told otherwise; `openssl ec` has no -traditional and writes SEC1.
		const key = openssl([command, ...(command === 'rsa' ? ['-traditional'] : []), `-${cipher}`, '-passout', 'env:P', ...(legacy ? LEGACY : [])], issued.keyPem, { P: PASS });
		assert.match(key, /Proc-Type: 4,ENCRYPTED\nDEK-Info: /);
		return key + issued.certPem + chain;
	};
}

function pkcs12(extra: string[], passphrase = PASS): Format['bundle'] {
	return (issued, chain) => pkcs12File(issued.keyPem + issued.certPem + chain, passphrase, extra).toString('base64').replace(/.{76}/g, '$&\n');
}

const formats: Format[] = [
	{ name: 'PKCS#8 PBES2 AES-256-CBC (OpenSSL default), EC P-256', bundle: pkcs8(['-v2', 'aes-256-cbc']) },
	{ name: 'PKCS#8 PBES2 AES-128-CBC', bundle: pkcs8(['-v2', 'aes-128-cbc']) },
	{ name: 'PKCS#8 PBES2 AES-192-CBC', bundle: pkcs8(['-v2', 'aes-192-cbc']) },
	{ name: 'PKCS#8 PBES2 3DES', bundle: pkcs8(['-v2', 'des3']), weak: true },
	{ name: 'PKCS#8 PBES2 PBKDF2 HMAC-SHA1', bundle: pkcs8(['-v2', 'aes-256-cbc', '-v2prf', 'hmacWithSHA1']) },
	{ name: 'PKCS#8 PBES2 PBKDF2 HMAC-SHA384', bundle: pkcs8(['-v2', 'aes-256-cbc', '-v2prf', 'hmacWithSHA384']) },
	{ name: 'PKCS#8 PBES2 PBKDF2 HMAC-SHA512', bundle: pkcs8(['-v2', 'aes-256-cbc', '-v2prf', 'hmacWithSHA512']) },
	{ name: 'PKCS#8 PBES2 scrypt', bundle: pkcs8(['-scrypt']) },
	{ name: 'PKCS#8 PBES1 SHA1-3DES', bundle: pkcs8(['-v1', 'PBE-SHA1-3DES']), weak: true },
	{ name: 'PKCS#8 PBES1 SHA1-RC2-40 (legacy)', bundle: pkcs8(['-v1', 'PBE-SHA1-RC2-40'], true), legacy: true },
	{ name: 'PKCS#8 PBES1 MD5-DES (legacy)', bundle: pkcs8(['-v1', 'PBE-MD5-DES'], true), legacy: true },
	{ name: 'PKCS#8 PBES1 SHA1-DES (legacy)', bundle: pkcs8(['-v1', 'PBE-SHA1-DES'], true), legacy: true },
	{ name: 'PKCS#8 PBES2 DES-CBC (legacy)', bundle: pkcs8(['-v2', 'des-cbc'], true), legacy: true },
	{ name: 'PKCS#8 RSA 2048', keyType: 'rsa', bundle: pkcs8(['-v2', 'aes-256-cbc']) },
	{ name: 'PKCS#8 RSA 4096', keyType: 'rsa4096', bundle: pkcs8(['-v2', 'aes-256-cbc']) },
	{ name: 'PKCS#8 EC P-384', keyType: 'ec384', bundle: pkcs8(['-v2', 'aes-256-cbc']) },
	{ name: 'PKCS#8 EC P-521', keyType: 'ec521', bundle: pkcs8(['-v2', 'aes-256-cbc']) },
	{ name: 'PKCS#8 Ed25519', keyType: 'ed25519', bundle: pkcs8(['-v2', 'aes-256-cbc']) },
	{ name: 'traditional PKCS#1 RSA, AES-256 (Proc-Type/DEK-Info)', keyType: 'rsa', bundle: traditional('rsa', 'aes256') },
	{ name: 'traditional PKCS#1 RSA, 3DES', keyType: 'rsa', bundle: traditional('rsa', 'des3'), weak: true },
	{ name: 'traditional PKCS#1 RSA, DES (legacy)', keyType: 'rsa', bundle: traditional('rsa', 'des', true), legacy: true },
	{ name: 'traditional SEC1 EC, AES-128', bundle: traditional('ec', 'aes128') },
	{ name: 'unencrypted PKCS#8', bundle: (issued, chain) => issued.keyPem + issued.certPem + chain, encrypted: false },
	{ name: 'unencrypted PKCS#1 RSA', keyType: 'rsa', bundle: (issued, chain) => openssl(['rsa', '-traditional'], issued.keyPem) + issued.certPem + chain, encrypted: false },
	{ name: 'PKCS#12 base64, OpenSSL 3 default (AES-256, PBKDF2)', bundle: pkcs12([]) },
	{ name: 'PKCS#12 base64, legacy RC2-40/3DES', bundle: pkcs12(['-legacy']), legacy: true },
	{ name: 'PKCS#12 base64, legacy, RSA with chain', keyType: 'rsa', bundle: pkcs12(['-legacy']), legacy: true },
	{ name: 'PKCS#12 base64, AES-256 with 600,000 iterations (MAC, certificates and key)', bundle: pkcs12(['-iter', '600000']) },
	{ name: 'PKCS#12 base64, 3DES key and certificates (Windows "TripleDES-SHA1")', keyType: 'rsa', bundle: pkcs12(['-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES']), weak: true },
	{ name: 'PKCS#12 base64 without a MAC', bundle: pkcs12(['-nomac']) },
	{ name: 'PKCS#12 base64, BLAKE2b-512 MAC', bundle: pkcs12(['-macalg', 'blake2b512']) },
	{ name: 'PKCS#12 base64, exported with an empty password', bundle: pkcs12([], ''), passphrase: '' },
	{ name: 'PKCS#12 base64, key with PBE-SHA1-RC2-128 (legacy)', bundle: pkcs12(['-keypbe', 'PBE-SHA1-RC2-128', ...LEGACY]), legacy: true },
	{ name: 'PKCS#8 PBES2 Camellia-256-CBC (OpenSSL reads it, this node does not need to)', bundle: pkcs8(['-v2', 'camellia-256-cbc']) },
	{ name: 'PKCS#8 PBES2 RC2-CBC (legacy)', bundle: pkcs8(['-v2', 'rc2-cbc'], true), legacy: true },
	{ name: 'PKCS#8 PBES1 SHA1-RC2-128 (legacy)', bundle: pkcs8(['-v1', 'PBE-SHA1-RC2-128'], true), legacy: true },
	{ name: 'traditional SEC1 EC, DES (legacy)', bundle: traditional('ec', 'des', true), legacy: true },
	{ name: 'traditional DSA (BEGIN DSA PRIVATE KEY), TLS 1.2', keyType: 'dsa', bundle: (issued, chain) => openssl(['dsa'], issued.keyPem) + issued.certPem + chain, encrypted: false, versions: { max: 'TLSv1.2' } },
	{ name: 'PEM with intermediate first, key last, CRLF and Bag Attributes', bundle: (issued, chain) =>
		`Bag Attributes\r\n    localKeyID: 01 02\r\nsubject=/CN=x\r\n${chain}${issued.certPem}${encryptKey(issued.keyPem, PASS)}`.replace(/\n/g, '\r\n') },
];

describe('every accepted format works in a real request', () => {
	let pki: Pki;
	let root: Authority;
	let intermediate: Authority;
	let server: MtlsServer;

	before(async () => {
		pki = new Pki();
		root = pki.createRoot('Formats Root CA');
		intermediate = pki.createIntermediate(root, 'Formats Issuing CA');
		const serverCert = pki.issue(root, { cn: 'localhost', eku: 'serverAuth', san: ['DNS:localhost', 'IP:127.0.0.1'] });
		server = await startMtlsServer({ keyPem: serverCert.keyPem, certPem: serverCert.certPem, clientCa: root.certPem });
	});
	after(async () => {
		await server.close();
		pki.cleanup();
	});

	for (const format of formats) {
		test(format.name, async () => {
			const cn = `client ${format.name}`.slice(0, 60).replace(/[^\w ().-]/g, '-');
			const issued = pki.issue(intermediate, { cn, keyType: format.keyType ?? 'ec' });
			const input: MaterialInput = { certificateBundle: format.bundle(issued, intermediate.certPem), passphrase: format.passphrase ?? PASS, caCertificates: root.certPem };
			const material = loadMaterial(input, { versions: format.versions });
			assert.equal(material.key.encrypted, format.encrypted ?? true);
			assert.equal(material.key.legacy, format.legacy ?? false);
			assert.equal(material.warnings.some((warning) => warning.includes('weak legacy encryption')), format.weak ?? Boolean(format.legacy));
			assert.equal(material.chain.length, 2, 'leaf and intermediate, in that order');
			assert.ok(material.chain[0].checkIssued(material.chain[1]));
			const agent = createAgent(material);
			try {
				const response = await send(agent, { method: 'GET', url: new URL(`${server.origin}/whoami`), headers: {}, redirect: { follow: false, max: 0, allowCrossOrigin: false } });
				const seen = JSON.parse(response.body.toString()) as { authorized: boolean; peerSubject: string };
				assert.equal(seen.authorized, true);
				assert.equal(seen.peerSubject, cn);
			} finally {
				await agent.close();
			}
		});
	}
});

describe('formats that cannot work are refused with a named error', () => {
	let pki: Pki;
	let root: Authority;
	let issued: Issued;

	before(() => {
		pki = new Pki();
		root = pki.createRoot('Refusals CA');
		issued = pki.issue(root, { cn: 'refused client' });
	});
	after(() => pki.cleanup());

	const p12 = (extra: string[], content?: string) => pkcs12(extra)(content === undefined ? issued : { ...issued, keyPem: '', certPem: content }, '');
	/** An AES-256-CBC PKCS#8 key with one byte of its DER changed: another cipher or scheme OID, same length. */
	const patchedPkcs8 = (from: string, to: string) => () => {
		const pem = encryptKey(issued.keyPem, PASS);
		const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
		const at = der.indexOf(Buffer.from(from, 'hex'));
		assert.ok(at > 0, `${from} not found`);
		Buffer.from(to, 'hex').copy(der, at);
		return `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${der.toString('base64')}\n-----END ENCRYPTED PRIVATE KEY-----\n${issued.certPem}`;
	};
	const cases: Array<{ name: string; bundle: () => string; passphrase?: string; code: string; field: string; description?: RegExp }> = [
		{ name: 'legacy PKCS#8 (RC2-40) with a wrong passphrase', bundle: () => pkcs8(['-v1', 'PBE-SHA1-RC2-40'], true)(issued, ''), passphrase: 'wrong', code: 'PASSPHRASE_WRONG', field: 'passphrase' },
		{ name: 'legacy PKCS#8 (MD5-DES) with a wrong passphrase', bundle: () => pkcs8(['-v1', 'PBE-MD5-DES'], true)(issued, ''), passphrase: 'wrong', code: 'PASSPHRASE_WRONG', field: 'passphrase' },
		{ name: 'legacy PKCS#8 (RC4), which nothing here decrypts', bundle: () => pkcs8(['-v1', 'PBE-SHA1-RC4-128'], true)(issued, ''), code: 'KEY_ENCRYPTION_UNSUPPORTED', field: 'certificateBundle' },
		{ name: 'legacy PKCS#8 with 300,000 KDF iterations', bundle: () => pkcs8(['-v2', 'des-cbc', '-iter', '300000'], true)(issued, ''), code: 'KDF_ITERATIONS_TOO_HIGH', field: 'certificateBundle' },
		{ name: 'PKCS#12 (modern) with a wrong passphrase', bundle: () => p12([]), passphrase: 'wrong', code: 'PASSPHRASE_WRONG', field: 'passphrase' },
		{ name: 'PKCS#12 (legacy) with a wrong passphrase', bundle: () => p12(['-legacy']), passphrase: 'wrong', code: 'PASSPHRASE_WRONG', field: 'passphrase' },
		{ name: 'PKCS#12 (legacy) with 300,000 iterations', bundle: () => p12(['-legacy', '-iter', '300000']), code: 'KDF_ITERATIONS_TOO_HIGH', field: 'certificateBundle', description: /openssl pkcs12 -in old\.p12 -legacy/ },
		{
			name: 'PKCS#12 like Firefox exports: RC2-40 certificates and 3DES key at 600,000 iterations',
			bundle: () => p12(['-certpbe', 'PBE-SHA1-RC2-40', '-keypbe', 'PBE-SHA1-3DES', '-iter', '600000', ...LEGACY]),
			code: 'KDF_ITERATIONS_TOO_HIGH', field: 'certificateBundle', description: /openssl pkcs12 -in old\.p12 -legacy -nodes \| openssl pkcs12 -export/,
		},
		{ name: 'PKCS#12 with RC4-encrypted certificates', bundle: () => p12(['-certpbe', 'PBE-SHA1-RC4-128', ...LEGACY]), code: 'KEY_ENCRYPTION_UNSUPPORTED', field: 'certificateBundle', description: /openssl pkcs12/ },
		{ name: 'PKCS#8 PBES2 with Camellia-256-CBC (OpenSSL decrypts it), wrong passphrase', bundle: () => pkcs8(['-v2', 'camellia-256-cbc'])(issued, ''), passphrase: 'wrong', code: 'PASSPHRASE_WRONG', field: 'passphrase' },
		{ name: 'PKCS#12 with a key and no certificate', bundle: () => p12(['-nocerts'], issued.keyPem), code: 'BUNDLE_NO_CERTIFICATE', field: 'certificateBundle' },
		{ name: 'PKCS#12 without a MAC, wrong passphrase', bundle: () => p12(['-nomac']), passphrase: 'wrong', code: 'PASSPHRASE_WRONG', field: 'passphrase' },
		{ name: 'PKCS#12 with a password, Passphrase field empty', bundle: () => p12([]), passphrase: '', code: 'PASSPHRASE_MISSING', field: 'passphrase' },
		{ name: 'PKCS#8 PBES2 with AES-256-GCM (Botan writes it)', bundle: patchedPkcs8('060960864801650304012a', '060960864801650304012e'), code: 'KEY_ENCRYPTION_UNSUPPORTED', field: 'certificateBundle' },
		{ name: 'PKCS#8 with an unknown PBE scheme OID', bundle: patchedPkcs8('06092a864886f70d01050d', '06092a864886f70d01057f'), code: 'KEY_ENCRYPTION_UNSUPPORTED', field: 'certificateBundle' },
		{ name: 'PKCS#12 without a private key', bundle: () => p12(['-nokeys'], issued.certPem), code: 'BUNDLE_NO_KEY', field: 'certificateBundle' },
		{ name: 'base64 that is not PKCS#12', bundle: () => Buffer.from('x'.repeat(300)).toString('base64').replace(/^../, 'MI'), code: 'PKCS12_INVALID', field: 'certificateBundle' },
	];
	for (const refusal of cases) {
		test(refusal.name, () => {
			const bundle = refusal.bundle();
			const passphrase = refusal.passphrase ?? PASS;
			assert.throws(() => loadMaterial({ certificateBundle: bundle, passphrase }), (error: { code?: string; field?: string; message: string; description?: string }) => {
				assert.equal(error.code, refusal.code, error.message);
				assert.equal(error.field, refusal.field);
				if (refusal.description) assert.match(error.description ?? '', refusal.description);
				const text = `${error.message} ${error.description ?? ''}`;
				for (const secret of [...(passphrase ? [passphrase] : []), PASS, ...bundle.split('\n').filter((line) => line.length > 20)]) assert.ok(!text.includes(secret), `message contains a secret: ${text}`);
				return true;
			});
		});
	}
});
