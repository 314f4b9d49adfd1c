/**
 * What OpenSSL 3 (in Node 20 and 24) refuses to read: PKCS#12 files and PKCS#8 keys encrypted with
 * RC2, DES or other legacy ciphers. node-forge is used here and nowhere else; the process-wide
 * OpenSSL legacy provider is never turned on. Keys leave this module as DER PKCS#8 buffers that the
 * caller turns into a KeyObject and wipes.
 */
import { createHash } from 'node:crypto';
import forge from 'node-forge';

import { MaterialError } from '../errors';

/** Above this, a key derivation in pure JavaScript would block n8n's event loop for seconds. */
export const MAX_PURE_JS_ITERATIONS = 200_000;

export interface EncryptionFacts {
	/** e.g. "PBES2 aes-256-cbc, PBKDF2 hmacWithSHA256" or "PKCS#12 PBE RC2-40". */
	algorithm: string;
	iterations?: number;
	/** A cipher or key derivation considered broken or obsolete (RC2, RC4, DES, 3DES, MD5, PBES1). */
	weak: boolean;
}

export interface Pkcs12Contents {
	/** Unencrypted PKCS#8 DER of the one private key; wipe it after use. */
	keyDer: Buffer;
	certificates: Buffer[];
}

const OID_NAMES: Record<string, string> = {
	'1.2.840.113549.1.5.13': 'PBES2',
	'1.2.840.113549.1.5.12': 'PBKDF2',
	'1.3.6.1.4.1.11591.4.11': 'scrypt',
	'1.2.840.113549.1.5.3': 'PBES1 MD5-DES',
	'1.2.840.113549.1.5.6': 'PBES1 MD5-RC2',
	'1.2.840.113549.1.5.10': 'PBES1 SHA1-DES',
	'1.2.840.113549.1.5.11': 'PBES1 SHA1-RC2',
	'1.2.840.113549.1.12.1.1': 'PKCS#12 PBE RC4-128',
	'1.2.840.113549.1.12.1.2': 'PKCS#12 PBE RC4-40',
	'1.2.840.113549.1.12.1.3': 'PKCS#12 PBE 3DES',
	'1.2.840.113549.1.12.1.4': 'PKCS#12 PBE 2-key 3DES',
	'1.2.840.113549.1.12.1.5': 'PKCS#12 PBE RC2-128',
	'1.2.840.113549.1.12.1.6': 'PKCS#12 PBE RC2-40',
	'1.2.840.113549.2.7': 'hmacWithSHA1',
	'1.2.840.113549.2.8': 'hmacWithSHA224',
	'1.2.840.113549.2.9': 'hmacWithSHA256',
	'1.2.840.113549.2.10': 'hmacWithSHA384',
	'1.2.840.113549.2.11': 'hmacWithSHA512',
	'1.3.14.3.2.7': 'des-cbc',
	'1.2.840.113549.3.7': 'des-ede3-cbc',
	'1.2.840.113549.3.2': 'rc2-cbc',
	'2.16.840.1.101.3.4.1.2': 'aes-128-cbc',
	'2.16.840.1.101.3.4.1.22': 'aes-192-cbc',
	'2.16.840.1.101.3.4.1.42': 'aes-256-cbc',
};
const WEAK = /DES|RC2|RC4|MD5|PBES1/;
/** What node-forge decrypts: PBES2 with PBKDF2, and the PKCS#12 PBEs with 3DES or RC2-40. */
const FORGE_SCHEMES = /^(PBES2 (aes-(128|192|256)|des-ede3|des)-cbc, PBKDF2 hmacWithSHA(1|224|256|384|512)|PKCS#12 PBE (3DES|RC2-40))$/;

type Asn1 = forge.asn1.Asn1;

function fromDer(der: Buffer): Asn1 {
	return forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary')), { strict: true, parseAllBytes: true, decodeBitStrings: false } as unknown as boolean);
}

function children(node: Asn1 | undefined): Asn1[] {
	return node && Array.isArray(node.value) ? (node.value as Asn1[]) : [];
}

function oidOf(node: Asn1 | undefined): string {
	return node && node.type === forge.asn1.Type.OID ? forge.asn1.derToOid(node.value as string) : '';
}

function integerOf(node: Asn1 | undefined): number | undefined {
	if (!node || node.type !== forge.asn1.Type.INTEGER) return undefined;
	const bytes = node.value as string;
	if (bytes.length > 6) return Number.MAX_SAFE_INTEGER;
	return bytes.split('').reduce((value, char) => value * 256 + char.charCodeAt(0), 0);
}

/**
 * Reads the AlgorithmIdentifier of an EncryptedPrivateKeyInfo (RFC 5958) without decrypting.
 *
 * @throws MaterialError KEY_UNREADABLE when the DER cannot be parsed
 */
export function describePkcs8Encryption(der: Buffer): EncryptionFacts {
	let info: Asn1;
	try {
		info = fromDer(der);
	} catch (error) {
		throw new MaterialError('KEY_UNREADABLE', 'The encrypted private key in the "Certificate Bundle" field cannot be read', {
			field: 'certificateBundle',
			description: 'Copy the key block again from the file the partner sent, from its BEGIN line to its END line.',
			cause: error,
		});
	}
	const [algorithm] = children(info);
	const [schemeOid, params] = children(algorithm);
	const scheme = OID_NAMES[oidOf(schemeOid)] ?? oidOf(schemeOid);
	if (scheme !== 'PBES2') {
		const iterations = integerOf(children(params)[1]);
		return { algorithm: scheme, iterations, weak: true };
	}
	const [kdf, cipher] = children(params);
	const [kdfOid, kdfParams] = children(kdf);
	const kdfName = OID_NAMES[oidOf(kdfOid)] ?? oidOf(kdfOid);
	const cipherName = OID_NAMES[oidOf(children(cipher)[0])] ?? oidOf(children(cipher)[0]);
	if (kdfName === 'scrypt') return { algorithm: `PBES2 ${cipherName}, scrypt`, weak: WEAK.test(cipherName) };
	const kdfFields = children(kdfParams);
	const prf = kdfFields.find((field) => field.type === forge.asn1.Type.SEQUENCE);
	const prfName = prf ? OID_NAMES[oidOf(children(prf)[0])] ?? 'unknown PRF' : 'hmacWithSHA1';
	return { algorithm: `PBES2 ${cipherName}, PBKDF2 ${prfName}`, iterations: integerOf(kdfFields[1]), weak: WEAK.test(cipherName) };
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
		info = forge.pki.decryptPrivateKeyInfo(fromDer(der), passphrase);
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
		key = forge.pki.decryptRsaPrivateKey(pem, passphrase);
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
		p12 = forge.pkcs12.pkcs12FromAsn1(asn1, false, passphrase);
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

function toDer(node: Asn1 | undefined): Buffer {
	return node ? Buffer.from(forge.asn1.toDer(node).getBytes(), 'binary') : Buffer.alloc(0);
}

/** True when the text looks like a base64 PKCS#12 file rather than PEM. */
export function looksLikePkcs12Base64(text: string): boolean {
	const compact = text.replace(/\s+/g, '');
	return compact.length > 64 && /^[A-Za-z0-9+/]+={0,2}$/.test(compact) && compact.startsWith('MI');
}
