/**
 * What OpenSSL 3 (in Node 20 and 24) refuses to read: PKCS#12 files and PKCS#8 keys encrypted with
 * RC2, DES or other legacy ciphers. node-forge is used here and nowhere else; the process-wide
 * OpenSSL legacy provider is never turned on. Keys leave this module as DER PKCS#8 buffers that the
 * caller turns into a KeyObject and wipes.
 */
import { createHash } from 'node:crypto';
import forge from 'node-forge';

import { MaterialError } from '../errors';
import { describePkcs8Encryption, EncryptionFacts } from './pkcs8';

/** Above this, a key derivation in pure JavaScript would block n8n's event loop for seconds. */
export const MAX_PURE_JS_ITERATIONS = 200_000;


export interface Pkcs12Contents {
	/** Unencrypted PKCS#8 DER of the one private key; wipe it after use. */
	keyDer: Buffer;
	certificates: Buffer[];
}

/** What node-forge decrypts: PBES2 with PBKDF2, and the PKCS#12 PBEs with 3DES or RC2-40. */
const FORGE_SCHEMES = /^(PBES2 (aes-(128|192|256)|des-ede3|des)-cbc, PBKDF2 hmacWithSHA(1|224|256|384|512)|PKCS#12 PBE (3DES|RC2-40))$/;

type Asn1 = forge.asn1.Asn1;

function fromDer(der: Buffer): Asn1 {
	return forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary')), { strict: true, parseAllBytes: true, decodeBitStrings: false } as unknown as boolean);
}

function children(node: Asn1 | undefined): Asn1[] {
	return node && Array.isArray(node.value) ? (node.value as Asn1[]) : [];
}


function integerOf(node: Asn1 | undefined): number | undefined {
	if (!node || node.type !== forge.asn1.Type.INTEGER) return undefined;
	const bytes = node.value as string;
	if (bytes.length > 6) return Number.MAX_SAFE_INTEGER;
	return bytes.split('').reduce((value, char) => value * 256 + char.charCodeAt(0), 0);
}


function checkIterations(iterations: number | undefined, what: string): void {
	if (iterations !== undefined && iterations > MAX_PURE_JS_ITERATIONS) {
		throw new MaterialError('KDF_ITERATIONS_TOO_HIGH', `The ${what} uses ${iterations} key-derivation iterations, more than this node computes without OpenSSL (${MAX_PURE_JS_ITERATIONS})`, {
			field: 'certificateBundle',
			description: 'Re-encrypt the key once with a modern cipher: `openssl pkcs8 -topk8 -v2 aes-256-cbc -in old.pem -out new.pem` (add `-provider legacy -provider default` if OpenSSL asks for it).',
		});
	}
}

function unsupportedEncryption(algorithm: string): MaterialError {
	return new MaterialError('KEY_ENCRYPTION_UNSUPPORTED', `The private key is encrypted with ${algorithm}, which this node cannot read`, {
		field: 'certificateBundle',
		description: 'Re-encrypt the key once with a modern cipher: `openssl pkcs8 -topk8 -v2 aes-256-cbc -in old.pem -out new.pem` (add `-provider legacy -provider default` if OpenSSL asks for it).',
	});
}

function wrongPassphrase(what: string, cause?: unknown): MaterialError {
	return new MaterialError('PASSPHRASE_WRONG', `The "Passphrase" does not decrypt the ${what}`, {
		field: 'passphrase',
		description: 'Check the "Passphrase" field: it is used exactly as typed, including spaces and letter case.',
		cause,
	});
}

/**
 * Decrypts a PKCS#8 EncryptedPrivateKeyInfo whose cipher OpenSSL 3 refuses.
 *
 * @returns unencrypted PKCS#8 DER; the caller wipes it
 * @throws MaterialError PASSPHRASE_WRONG, KDF_ITERATIONS_TOO_HIGH or KEY_ENCRYPTION_UNSUPPORTED
 */
export function decryptLegacyPkcs8(der: Buffer, passphrase: string): Buffer {
	const facts = describePkcs8Encryption(der);
	checkIterations(facts.iterations, 'private key');
	if (facts.algorithm === 'PBES1 MD5-DES' || facts.algorithm === 'PBES1 SHA1-DES') return decryptPbes1Des(der, passphrase, facts);
	if (!FORGE_SCHEMES.test(facts.algorithm)) throw unsupportedEncryption(facts.algorithm);
	let info: Asn1 | null;
	try {
		// PBKDF2 takes the passphrase's UTF-8 bytes, as OpenSSL does; forge would use one byte per character.
		info = forge.pki.decryptPrivateKeyInfo(fromDer(der), facts.algorithm.startsWith('PBES2') ? forge.util.encodeUtf8(passphrase) : passphrase);
	} catch (error) {
		// A wrong passphrase decrypts to garbage, which forge sometimes rejects by throwing.
		throw wrongPassphrase('private key', error);
	}
	if (!info) throw wrongPassphrase('private key');
	return Buffer.from(forge.asn1.toDer(info).getBytes(), 'binary');
}

/** PKCS#5 v1.5 PBES1 with DES-CBC (RFC 8018, section 6.1): PBKDF1, then DES-CBC. */
function decryptPbes1Des(der: Buffer, passphrase: string, facts: EncryptionFacts): Buffer {
	const [algorithm, encrypted] = children(fromDer(der));
	const [, params] = children(algorithm);
	const salt = Buffer.from(children(params)[0].value as string, 'binary');
	let derived = Buffer.concat([Buffer.from(passphrase, 'utf8'), salt]);
	const hash = facts.algorithm.includes('MD5') ? 'md5' : 'sha1';
	for (let round = 0; round < (facts.iterations ?? 1); round++) derived = createHash(hash).update(derived).digest();
	const key = derived.subarray(0, 8);
	const iv = derived.subarray(8, 16);
	const decipher = forge.cipher.createDecipher('DES-CBC', forge.util.createBuffer(key.toString('binary')));
	decipher.start({ iv: forge.util.createBuffer(iv.toString('binary')) });
	decipher.update(forge.util.createBuffer(encrypted.value as string));
	if (!decipher.finish()) throw wrongPassphrase('private key');
	const plain = Buffer.from(decipher.output.getBytes(), 'binary');
	try {
		fromDer(plain);
	} catch (error) {
		throw wrongPassphrase('private key', error);
	}
	return plain;
}

/** Decrypts a traditional "Proc-Type: 4,ENCRYPTED" RSA key with a cipher OpenSSL 3 refuses (DES-CBC). */
export function decryptLegacyTraditionalRsa(pem: string, passphrase: string): Buffer {
	let key: forge.pki.rsa.PrivateKey | null;
	try {
		// OpenSSL's key derivation (EVP_BytesToKey) takes the passphrase's UTF-8 bytes.
		key = forge.pki.decryptRsaPrivateKey(pem, forge.util.encodeUtf8(passphrase));
	} catch (error) {
		// forge names a cipher it lacks (Blowfish, CAST5, SEED, …) on `algorithm`.
		const algorithm = (error as { algorithm?: unknown }).algorithm;
		if (typeof algorithm === 'string') throw unsupportedEncryption(algorithm);
		// About one wrong passphrase in 256 decrypts to garbage with valid padding, which forge fails to parse.
		throw wrongPassphrase('private key', error);
	}
	if (!key) throw wrongPassphrase('private key');
	const info = forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(key));
	return Buffer.from(forge.asn1.toDer(info).getBytes(), 'binary');
}

/**
 * Reads a PKCS#12 (PFX) file: the one private key and the certificates.
 *
 * @throws MaterialError PASSPHRASE_WRONG, PKCS12_INVALID, BUNDLE_NO_KEY, BUNDLE_MANY_KEYS, KDF_ITERATIONS_TOO_HIGH
 */
export function readPkcs12(der: Buffer, passphrase: string): Pkcs12Contents {
	let asn1: Asn1;
	try {
		asn1 = fromDer(der);
	} catch (error) {
		throw new MaterialError('PKCS12_INVALID', 'The "Certificate Bundle" field holds base64 that is not a PKCS#12 (.p12/.pfx) file', {
			field: 'certificateBundle',
			description: 'Paste the PEM text of the key and certificate, or the base64 of the whole .p12 file (`base64 -w0 client.p12`).',
			cause: error,
		});
	}
	const macData = children(asn1)[2];
	checkIterations(integerOf(children(macData)[2]), 'PKCS#12 file');
	let p12: forge.pkcs12.Pkcs12Pfx;
	try {
		p12 = decodePkcs12(asn1, passphrase);
	} catch (error) {
		if (/MAC could not be verified|Invalid password|wrong password/i.test((error as Error).message)) throw wrongPassphrase('PKCS#12 file', error);
		throw new MaterialError('PKCS12_INVALID', 'The PKCS#12 (.p12/.pfx) file in the "Certificate Bundle" field cannot be read', {
			field: 'certificateBundle',
			description: 'Export it again from the source, or convert it to PEM with `openssl pkcs12 -in client.p12 -nodes` and paste the key and certificate.',
			cause: error,
		});
	}
	const bags = p12.safeContents.flatMap((contents) => contents.safeBags);
	const keyBags = bags.filter((bag) => bag.type === forge.pki.oids.pkcs8ShroudedKeyBag || bag.type === forge.pki.oids.keyBag);
	const certificates = bags.filter((bag) => bag.type === forge.pki.oids.certBag).map((bag) => toDer(bag.cert ? forge.pki.certificateToAsn1(bag.cert) : bag.asn1));
	if (keyBags.length === 0) {
		throw new MaterialError('BUNDLE_NO_KEY', 'The PKCS#12 file in the "Certificate Bundle" field contains no private key', {
			field: 'certificateBundle',
			description: 'Export the certificate together with its private key (in Windows: "Yes, export the private key").',
		});
	}
	if (keyBags.length > 1) {
		throw new MaterialError('BUNDLE_MANY_KEYS', `The PKCS#12 file in the "Certificate Bundle" field contains ${keyBags.length} private keys; it must contain exactly one`, {
			field: 'certificateBundle',
			description: 'Export only the client certificate with its own key.',
		});
	}
	const [bag] = keyBags;
	const keyDer = toDer(bag.key ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key)) : bag.asn1);
	return { keyDer, certificates };
}

/**
 * forge checks the MAC and decrypts PKCS#12-PBE bags with the passphrase as UTF-16 (RFC 7292, as
 * OpenSSL does), but derives PBES2 keys (what OpenSSL 3 writes by default) from one byte per
 * character, where OpenSSL takes the UTF-8 bytes. So a non-ASCII passphrase gets a second pass over
 * the contents with its UTF-8 bytes, the MAC having been verified by the first.
 */
function decodePkcs12(asn1: Asn1, passphrase: string): forge.pkcs12.Pkcs12Pfx {
	try {
		return forge.pkcs12.pkcs12FromAsn1(asn1, false, passphrase);
	} catch (error) {
		const utf8 = forge.util.encodeUtf8(passphrase);
		if (utf8 === passphrase || /MAC could not be verified/i.test((error as Error).message)) throw error;
		const withoutMac = forge.asn1.create(asn1.tagClass, asn1.type, asn1.constructed, children(asn1).slice(0, 2));
		return forge.pkcs12.pkcs12FromAsn1(withoutMac, false, utf8);
	}
}

function toDer(node: Asn1 | undefined): Buffer {
	return node ? Buffer.from(forge.asn1.toDer(node).getBytes(), 'binary') : Buffer.alloc(0);
}

/** True when the text looks like a base64 PKCS#12 file rather than PEM. */
export function looksLikePkcs12Base64(text: string): boolean {
	const compact = text.replace(/\s+/g, '');
	return compact.length > 64 && /^[A-Za-z0-9+/]+={0,2}$/.test(compact) && compact.startsWith('MI');
}
