/**
 * The real-world corpus, from two Debian packages:
 * - python3-cryptography-vectors: every PKCS#12 file and every PEM private key of pyca/cryptography's
 *   test vectors (gathered from NIST PKITS, GnuTLS, Botan, OpenSSL, ssh-keygen and pyca's own
 *   OpenSSL-made files), with the passwords pyca's tests use for them;
 * - golang-sslmate-src-go-pkcs12-dev: the .p12 files embedded in go-pkcs12's tests, two of them
 *   exported by Windows.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Where Debian installs pyca's vectors (python3-cryptography-vectors, 38.0.4 on Debian 12). */
export const VECTORS_ROOT = '/usr/lib/python3/dist-packages/cryptography_vectors';
export const VECTORS_PACKAGE = 'python3-cryptography-vectors';
export const GO_PKCS12_TEST = '/usr/share/gocode/src/software.sslmate.com/src/go-pkcs12/pkcs12_test.go';
export const GO_PKCS12_PACKAGE = 'golang-sslmate-src-go-pkcs12-dev';

export interface Source {
	package: string;
	path: string;
}

export const SOURCES: Source[] = [
	{ package: VECTORS_PACKAGE, path: VECTORS_ROOT },
	{ package: GO_PKCS12_PACKAGE, path: GO_PKCS12_TEST },
];

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

/** The package an id of the table comes from. */
export function sourceOf(id: string): Source {
	return id.startsWith('go-pkcs12/') ? SOURCES[1] : SOURCES[0];
}

/** The corpus of every installed source; embedded files are written to `extractTo` for openssl. */
export function listVectors(extractTo: string): Vector[] {
	return [...(existsSync(VECTORS_ROOT) ? listPycaVectors() : []), ...(existsSync(GO_PKCS12_TEST) ? listGoPkcs12Vectors(extractTo) : [])];
}

/**
 * Every .p12/.pfx file, and every text file holding a PEM private key block. Binary DER keys
 * (asymmetric/DER_Serialization) are left out: the credential takes text, and pyca made them by
 * converting PEM vectors that are in the corpus.
 */
export function listPycaVectors(root: string = VECTORS_ROOT): Vector[] {
	const vectors: Vector[] = [];
	for (const path of walk(root)) {
		const id = relative(root, path).split('\\').join('/');
		const kind = kindOf(path);
		if (!kind) continue;
		const password = PASSWORDS.find(([pattern]) => pattern.test(id))?.[1];
		const producer = PRODUCERS.find(([pattern]) => pattern.test(id))?.[1] ?? 'unknown';
		vectors.push({ id, path, kind, password: password === '' ? undefined : password, producer });
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

/**
 * go-pkcs12's tests embed their files as base64 literals; each is found by the text before it.
 * Passwords as those tests use them: Decode(p12, "") for the map entries, "password" for TestPBES2.
 */
const GO_PKCS12_FILES = [
	{ name: 'windows-azure-tools.p12', before: '"Windows Azure Tools": `', producer: 'Windows (Azure tools): 3DES key, RC2-40 certificates, made with a NULL password' },
	{ name: 'testing-example-com.p12', before: '"testing@example.com": `', producer: 'OpenSSL 1.x defaults (RC2-40 certificates, 3DES key), empty password' },
	{ name: 'windows-certmgr-pbes2.p12', before: 'base64P12 := `', password: 'password', producer: 'Windows certmgr (PBES2 AES-256-CBC, SHA-256 MAC)' },
];

export function listGoPkcs12Vectors(extractTo: string, source: string = GO_PKCS12_TEST): Vector[] {
	const text = readFileSync(source, 'utf8');
	return GO_PKCS12_FILES.map(({ name, before, password, producer }) => {
		const start = text.indexOf(before);
		if (start < 0) throw new Error(`${source} no longer has the file introduced by ${before}: update GO_PKCS12_FILES`);
		const base64 = text.slice(start + before.length, text.indexOf('`', start + before.length));
		const path = join(extractTo, name);
		writeFileSync(path, Buffer.from(base64.replace(/\s+/g, ''), 'base64'));
		return { id: `go-pkcs12/${name}`, path, kind: 'pkcs12' as const, password, producer };
	});
}
