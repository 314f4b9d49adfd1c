/**
 * Issue 11, points 2 and 3, for PKCS#12 files: OpenSSL reads the file (node-forge only for RC2),
 * files without any password load, and what the loader says about a file's key is right. Every
 * accepted file is used for a real request against a local mTLS server.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import forge from 'node-forge';

import { createAgent } from '../lib/http/agent';
import { send } from '../lib/http/send';
import { DER_TAG, DerNode, parseDer } from '../lib/tls/der';
import { loadMaterial, MaterialInput, TlsMaterial } from '../lib/tls/material';
import { commonName } from '../lib/tls/inspect';
import { Authority, Issued, pkcs12File, Pki } from './fixtures/pki';
import { buildPkcs12, Pkcs12Spec } from './fixtures/pkcs12Builder';
import { MtlsServer, startMtlsServer } from './fixtures/mtlsServer';

const PASS = 'p12 pass';
const LEGACY = ['-provider', 'legacy', '-provider', 'default'];

describe('PKCS#12 files', () => {
	let pki: Pki;
	let root: Authority;
	let intermediate: Authority;
	let client: Issued;
	let server: MtlsServer;

	before(async () => {
		pki = new Pki();
		// RSA throughout, so node-forge can write the files OpenSSL will not (no password at all).
		root = pki.createRoot('P12 Root CA', 'rsa');
		intermediate = pki.createIntermediate(root, 'P12 Issuing CA', 'rsa');
		client = pki.issue(intermediate, { cn: 'p12 client', keyType: 'rsa' });
		const serverCert = pki.issue(root, { cn: 'localhost', eku: 'serverAuth', san: ['DNS:localhost', 'IP:127.0.0.1'] });
		server = await startMtlsServer({ keyPem: serverCert.keyPem, certPem: serverCert.certPem, clientCa: root.certPem });
	});
	after(async () => {
		await server.close();
		pki.cleanup();
	});

	/** No password at all (not the empty one), as Windows and Azure tools, Bouncy Castle and pyca write "without password". */
	const nullPassword = () => {
		const certificates = [client.certPem, intermediate.certPem].map((pem) => forge.pki.certificateFromPem(pem));
		const asn1 = forge.pkcs12.toPkcs12Asn1(forge.pki.privateKeyFromPem(client.keyPem), certificates, null, { algorithm: '3des' });
		return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary').toString('base64');
	};
	const built = (spec: Omit<Pkcs12Spec, 'keyDer' | 'certificates'>) => () =>
		buildPkcs12({
			...spec,
			keyDer: createPrivateKey(client.keyPem).export({ type: 'pkcs8', format: 'der' }),
			certificates: [client.certPem, intermediate.certPem].map((pem) => new X509Certificate(pem).raw),
		}).toString('base64');
	/** The same file in BER as Windows and Java write it: indefinite lengths, long OCTET STRINGs in pieces. */
	const toBer = (node: DerNode): Buffer => {
		if (node.tag & 0x20) return Buffer.concat([Buffer.from([node.tag, 0x80]), ...node.children.map(toBer), Buffer.from([0, 0])]);
		if (node.tag !== DER_TAG.OCTET_STRING || node.value.length <= 64) return Buffer.concat([Buffer.from([node.tag]), lengthOf(node.value.length), node.value]);
		const pieces: Buffer[] = [];
		for (let at = 0; at < node.value.length; at += 64) pieces.push(Buffer.concat([Buffer.from([DER_TAG.OCTET_STRING]), lengthOf(Math.min(64, node.value.length - at)), node.value.subarray(at, at + 64)]));
		return Buffer.concat([Buffer.from([DER_TAG.CONSTRUCTED_OCTET_STRING, 0x80]), ...pieces, Buffer.from([0, 0])]);
	};
	const lengthOf = (length: number) => (length < 0x80 ? Buffer.from([length]) : length < 0x100 ? Buffer.from([0x81, length]) : Buffer.from([0x82, length >> 8, length & 0xff]));
	const openssl = (passphrase: string, args: string[]) => () => pkcs12File(client.keyPem + client.certPem + intermediate.certPem, passphrase, args).toString('base64');

	const cases: Array<{ name: string; bundle: () => string; passphrase: string; encrypted: boolean; legacy?: boolean; warning?: RegExp }> = [
		{ name: 'no password at all, key bag in the clear (node-forge, null password)', bundle: nullPassword, passphrase: '', encrypted: false, warning: /not encrypted/ },
		{ name: 'no password at all, 3DES key and certificates, SHA-1 MAC (Windows export "without password")', bundle: built({ password: null, scheme: '3des', iterations: 2000, mac: true }), passphrase: '', encrypted: true },
		{ name: 'the empty password, 3DES, SHA-1 MAC', bundle: built({ password: '', scheme: '3des', iterations: 2000, mac: true }), passphrase: '', encrypted: true },
		{ name: 'no password at all, AES, no MAC', bundle: built({ password: null, scheme: 'aes', iterations: 2048, mac: false }), passphrase: '', encrypted: true },
		{ name: 'no password at all, key bag inside the encrypted safe contents, no MAC', bundle: built({ password: null, scheme: '3des', iterations: 2048, mac: false, keyInsideEncrypted: true }), passphrase: '', encrypted: true },
		{ name: 'a passphrase, key bag inside the encrypted safe contents, MAC', bundle: built({ password: PASS, scheme: 'aes', iterations: 2048, mac: true, keyInsideEncrypted: true }), passphrase: PASS, encrypted: true },
		{ name: 'a PBMAC1 MAC (RFC 9579), AES', bundle: built({ password: PASS, scheme: 'aes', iterations: 2048, mac: 'pbmac1' }), passphrase: PASS, encrypted: true },
		{ name: 'BER: indefinite lengths, the safe contents in OCTET STRING pieces', bundle: () => toBer(parseDer(pkcs12File(client.keyPem + client.certPem + intermediate.certPem, PASS))).toString('base64'), passphrase: PASS, encrypted: true },
		{ name: 'a password, but the key bag in the clear (-keypbe NONE)', bundle: openssl(PASS, ['-keypbe', 'NONE']), passphrase: PASS, encrypted: false, warning: /not encrypted/ },
		{ name: 'the empty password', bundle: openssl('', []), passphrase: '', encrypted: true },
		{ name: 'the certificates in the clear (-certpbe NONE)', bundle: openssl(PASS, ['-certpbe', 'NONE']), passphrase: PASS, encrypted: true },
		{
			name: 'legacy RC2-40 certificates: the weak-encryption note gives the pkcs12 command',
			bundle: openssl(PASS, ['-legacy', ...LEGACY]), passphrase: PASS, encrypted: true, legacy: true, warning: /weak legacy encryption \(PKCS#12 file.*RC2-40.*openssl pkcs12 -in old\.p12 -legacy/,
		},
	];

	for (const entry of cases) {
		test(`${entry.name}: loads, says whether the key is encrypted, works in a request`, async () => {
			const input: MaterialInput = { certificateBundle: entry.bundle(), passphrase: entry.passphrase, caCertificates: root.certPem };
			const material = loadMaterial(input);
			assert.deepEqual(material.chain.map(commonName), ['p12 client', 'P12 Issuing CA']);
			assert.equal(material.key.encrypted, entry.encrypted);
			assert.equal(material.key.legacy, entry.legacy ?? false);
			assert.equal(material.key.type, 'rsa');
			assert.equal(material.key.size, 2048);
			if (entry.warning) assert.ok(material.warnings.some((warning) => entry.warning?.test(warning)), material.warnings.join('\n'));
			assert.equal(await peerSeenBy(material), 'p12 client');
		});
	}

	const tamperedMac = () => {
		const file = Buffer.from(built({ password: PASS, scheme: 'aes', iterations: 2048, mac: 'pbmac1' })(), 'base64');
		// The HMAC-SHA256 value is the last OCTET STRING of 32 bytes before MacData's salt and count.
		const at = file.lastIndexOf(Buffer.from([0x04, 0x20]));
		file[at + 2] ^= 1;
		return file.toString('base64');
	};
	const refused: Array<{ name: string; bundle: () => string; passphrase: string; code: string; field: string }> = [
		{ name: 'a PBMAC1 file with a wrong passphrase', bundle: built({ password: PASS, scheme: 'aes', iterations: 2048, mac: 'pbmac1' }), passphrase: 'wrong', code: 'PASSPHRASE_WRONG', field: 'passphrase' },
		{ name: 'a PBMAC1 file whose MAC does not match (checked by OpenSSL 3.5, or here on OpenSSL 3.0)', bundle: tamperedMac, passphrase: PASS, code: 'PKCS12_INVALID', field: 'certificateBundle' },
		{ name: 'no password at all, and a passphrase typed in', bundle: built({ password: null, scheme: '3des', iterations: 2000, mac: true }), passphrase: PASS, code: 'PASSPHRASE_WRONG', field: 'passphrase' },
	];
	for (const entry of refused) {
		test(`refuses ${entry.name}: ${entry.code}`, () => {
			assert.throws(() => loadMaterial({ certificateBundle: entry.bundle(), passphrase: entry.passphrase }), (error: { code?: string; field?: string; message: string }) => {
				assert.equal(error.code, entry.code, error.message);
				assert.equal(error.field, entry.field);
				return true;
			});
		});
	}

	async function peerSeenBy(material: TlsMaterial): Promise<string> {
		const agent = createAgent(material);
		try {
			const response = await send(agent, { method: 'GET', url: new URL(`${server.origin}/whoami`), headers: {}, redirect: { follow: false, max: 0, allowCrossOrigin: false } });
			const seen = JSON.parse(response.body.toString()) as { authorized: boolean; peerSubject: string };
			assert.equal(seen.authorized, true);
			return seen.peerSubject;
		} finally {
			await agent.close();
		}
	}
});
