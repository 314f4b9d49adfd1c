/**
 * The real-world corpus: every PKCS#12 file and every PEM private key that Debian's
 * python3-cryptography-vectors ships (pyca/cryptography's test vectors, gathered from NIST PKITS,
 * GnuTLS, Botan, OpenSSL, ssh-keygen and pyca's own OpenSSL-made files), with the passwords pyca's
 * tests document for them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Where Debian installs the package (python3-cryptography-vectors, 38.0.4 on Debian 12). */
export const VECTORS_ROOT = '/usr/lib/python3/dist-packages/cryptography_vectors';
export const VECTORS_PACKAGE = 'python3-cryptography-vectors';

export type VectorKind = 'pkcs12' | 'pem-key';

export interface Vector {
	/** Path under VECTORS_ROOT: the key of the expected-outcomes table. */
	id: string;
	path: string;
	kind: VectorKind;
	/** The documented password; undefined for none (an empty field in the credential). */
	password?: string;
	/** Who made the file, as pyca's docs (docs/development/test-vectors.rst) tell. */
	producer: string;
}

/**
 * Passwords as pyca's own tests use them (tests/hazmat/primitives/test_pkcs12.py,
 * test_serialization.py, test_ed25519.py …, test_ssh.py); NIST's PKITS documents "password" for its
 * .p12 files. First match wins; a vector matching none has no password.
 */
const PASSWORDS: Array<[RegExp, string]> = [
	[/^x509\/PKITS_data\/pkcs12\//, 'password'],
	[/^pkcs12\/.*-no-pwd\.p12$/, ''],
	[/^pkcs12\/no-password\.p12$/, ''],
	[/^pkcs12\/.*-pwd\.p12$/, 'password'],
	[/^pkcs12\//, 'cryptography'],
	[/^asymmetric\/PEM_Serialization\/(rsa_private_key|dsa_private_key|ec_private_key_encrypted)\.pem$/, '123456'],
	[/^asymmetric\/PKCS8\/(pkcs12_s2k_pem-X_\d+|ec_private_key_encrypted)\.pem$/, '123456'],
	[/^asymmetric\/PKCS8\/enc-rsa-pkcs8\.pem$/, 'foobar'],
	[/^asymmetric\/PKCS8\/enc2-rsa-pkcs8\.pem$/, 'baz'],
	[/^asymmetric\/PKCS8\/bad-encryption-oid\.pem$/, 'password'],
	[/^asymmetric\/Traditional_OpenSSL_Serialization\/key1\.pem$/, '123456'],
	[/^asymmetric\/Traditional_OpenSSL_Serialization\/key2\.pem$/, 'a123456'],
	[/^asymmetric\/Traditional_OpenSSL_Serialization\/testrsa-encrypted\.pem$/, 'password'],
	[/^asymmetric\/(Ed25519|Ed448|X25519|X448)\/.*-enc\.pem$/, 'password'],
	[/^asymmetric\/OpenSSH\/.*-psw\.key$/, 'password'],
];

const PRODUCERS: Array<[RegExp, string]> = [
	[/^x509\/PKITS_data\/pkcs12\//, 'NIST PKITS (3DES, SHA-1 MAC)'],
	[/^pkcs12\/(cert-rc2-key-3des|no-password)\.p12$/, 'OpenSSL 1.x defaults (RC2-40 certificates, 3DES key)'],
	[/^pkcs12\/(cert-|no-cert-key-)/, 'OpenSSL 3 (PBES2 AES-256-CBC) or unencrypted'],
	[/^pkcs12\//, 'pyca/cryptography 36+ serializer (3DES, or no encryption)'],
	[/^asymmetric\/PKCS8\/(enc-rsa-pkcs8|enc2-rsa-pkcs8|unenc-rsa-pkcs8|pkcs12_s2k_pem-X_\d+)\.pem$/, 'GnuTLS'],
	[/^asymmetric\/PKCS8\/(nodompar|withdompar|ecc_private_with_rfc5915_ext|ec_oid_not_in_reg)/, 'Botan'],
	[/^asymmetric\/Traditional_OpenSSL_Serialization\/(key1|key2|dsa\.\d+)\.pem$/, 'GnuTLS'],
	[/^asymmetric\/Traditional_OpenSSL_Serialization\//, 'OpenSSL example key'],
	[/^asymmetric\/PEM_Serialization\/rsa-bad/, 'badkeys (RSA key with q = 2)'],
	[/^asymmetric\/OpenSSH\//, 'ssh-keygen (OpenSSH format)'],
	[/^asymmetric\//, 'OpenSSL (pyca custom vector)'],
	[/^x509\//, 'pyca custom vector'],
];

const PRIVATE_KEY_BEGIN = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

/**
 * Every .p12/.pfx file, and every text file holding a PEM private key block. Binary DER keys
 * (asymmetric/DER_Serialization) are left out: the credential takes text, and pyca made them by
 * converting PEM vectors that are in the corpus.
 */
export function listVectors(root: string = VECTORS_ROOT): Vector[] {
	const vectors: Vector[] = [];
	for (const path of walk(root)) {
		const id = relative(root, path).split('\\').join('/');
		const kind = kindOf(path);
		if (!kind) continue;
		const password = PASSWORDS.find(([pattern]) => pattern.test(id))?.[1];
		vectors.push({ id, path, kind, password: password === '' ? undefined : password, producer: PRODUCERS.find(([pattern]) => pattern.test(id))?.[1] ?? 'unknown' });
	}
	return vectors.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function kindOf(path: string): VectorKind | undefined {
	if (/\.(p12|pfx)$/i.test(path)) return 'pkcs12';
	return PRIVATE_KEY_BEGIN.test(readFileSync(path).toString('latin1')) ? 'pem-key' : undefined;
}

function* walk(dir: string): Generator<string> {
	for (const name of readdirSync(dir).sort()) {
		const path = join(dir, name);
		if (statSync(path).isDirectory()) yield* walk(path);
		else yield path;
	}
}
