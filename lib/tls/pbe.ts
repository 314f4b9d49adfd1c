/**
 * Password-based encryption as PKCS#8 keys and PKCS#12 files declare it (RFC 8018, RFC 7292):
 * read the AlgorithmIdentifier without decrypting (so its cost can be checked first), and decrypt
 * with node:crypto where OpenSSL 3 can, with lib/tls/legacy.ts (node-forge) for DES and RC2.
 */
import { createDecipheriv, createHash, pbkdf2Sync, scryptSync } from 'node:crypto';

import { DER_TAG, DerNode, integerOf, oidOf } from './der';
import { decryptLegacyCipher } from './legacy';

/** How the key is derived from the passphrase: what the cost check reads. */
export type Kdf =
	| { kind: 'pbkdf2'; iterations: number; digest: string; keyLength?: number }
	| { kind: 'scrypt'; cost: number; blockSize: number; parallelization: number; keyLength?: number }
	/** RFC 7292 appendix B, with SHA-1 (the PKCS#12 PBE schemes). */
	| { kind: 'pkcs12'; iterations: number; digest: string }
	/** PBKDF1 (PBES1, RFC 8018 section 5.1). */
	| { kind: 'pbkdf1'; iterations: number; digest: string };

export interface CipherSpec {
	/** OpenSSL's name, e.g. "aes-256-cbc", "des-ede3-cbc", "rc2-cbc". */
	name: string;
	keyLength: number;
	/** RC2's effective key bits. */
	effectiveBits?: number;
	/** node:crypto (OpenSSL 3 default provider) or node-forge (what OpenSSL 3 only has in its legacy provider). */
	engine: 'native' | 'forge';
}

export interface Pbe {
	/** For messages and notes, e.g. "PBES2 aes-256-cbc, PBKDF2 hmacWithSHA256" or "PKCS#12 PBE RC2-40". */
	label: string;
	/** Undefined when the scheme or its key derivation is unknown: its cost cannot be read. */
	kdf?: Kdf;
	/** Undefined when this node cannot decrypt the scheme (RC4, AES-GCM, an unknown OID). */
	cipher?: CipherSpec;
	salt: Buffer;
	/** PBES2's IV; the PBES1 and PKCS#12 schemes derive theirs. */
	iv?: Buffer;
	/** Broken or obsolete (RC2, RC4, DES, 3DES, MD5, PBES1). */
	weak: boolean;
	/** Known to be beyond both OpenSSL 3 and this node (RC4, AES-GCM in PBES2, MD2): no need to try. */
	unsupported?: boolean;
}

const PBES2 = '1.2.840.113549.1.5.13';
const PBKDF2 = '1.2.840.113549.1.5.12';
const SCRYPT = '1.3.6.1.4.1.11591.4.11';

/** PBES1 and PKCS#12 PBE schemes: OID → [label, key derivation, digest, cipher or undefined]. */
const FIXED_SCHEMES: Record<string, [string, Kdf['kind'], string, CipherSpec | undefined]> = {
	'1.2.840.113549.1.5.1': ['PBES1 MD2-DES', 'pbkdf1', 'md2', undefined],
	'1.2.840.113549.1.5.3': ['PBES1 MD5-DES', 'pbkdf1', 'md5', { name: 'des-cbc', keyLength: 8, engine: 'forge' }],
	'1.2.840.113549.1.5.4': ['PBES1 MD2-RC2', 'pbkdf1', 'md2', undefined],
	'1.2.840.113549.1.5.6': ['PBES1 MD5-RC2', 'pbkdf1', 'md5', { name: 'rc2-cbc', keyLength: 8, effectiveBits: 64, engine: 'forge' }],
	'1.2.840.113549.1.5.10': ['PBES1 SHA1-DES', 'pbkdf1', 'sha1', { name: 'des-cbc', keyLength: 8, engine: 'forge' }],
	'1.2.840.113549.1.5.11': ['PBES1 SHA1-RC2', 'pbkdf1', 'sha1', { name: 'rc2-cbc', keyLength: 8, effectiveBits: 64, engine: 'forge' }],
	'1.2.840.113549.1.12.1.1': ['PKCS#12 PBE RC4-128', 'pkcs12', 'sha1', undefined],
	'1.2.840.113549.1.12.1.2': ['PKCS#12 PBE RC4-40', 'pkcs12', 'sha1', undefined],
	'1.2.840.113549.1.12.1.3': ['PKCS#12 PBE 3DES', 'pkcs12', 'sha1', { name: 'des-ede3-cbc', keyLength: 24, engine: 'native' }],
	'1.2.840.113549.1.12.1.4': ['PKCS#12 PBE 2-key 3DES', 'pkcs12', 'sha1', { name: 'des-ede-cbc', keyLength: 16, engine: 'native' }],
	'1.2.840.113549.1.12.1.5': ['PKCS#12 PBE RC2-128', 'pkcs12', 'sha1', { name: 'rc2-cbc', keyLength: 16, effectiveBits: 128, engine: 'forge' }],
	'1.2.840.113549.1.12.1.6': ['PKCS#12 PBE RC2-40', 'pkcs12', 'sha1', { name: 'rc2-cbc', keyLength: 5, effectiveBits: 40, engine: 'forge' }],
};

/** PBES2 encryption schemes (RFC 8018 appendix B.2): OID → cipher. */
const PBES2_CIPHERS: Record<string, CipherSpec> = {
	'2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLength: 16, engine: 'native' },
	'2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLength: 24, engine: 'native' },
	'2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLength: 32, engine: 'native' },
	'1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyLength: 24, engine: 'native' },
	'1.3.14.3.2.7': { name: 'des-cbc', keyLength: 8, engine: 'forge' },
	'1.2.840.113549.3.2': { name: 'rc2-cbc', keyLength: 16, engine: 'forge' },
};

/** Names of PBES2 ciphers this node knows but cannot decrypt (shown in the error). */
const PBES2_UNSUPPORTED: Record<string, string> = {
	'2.16.840.1.101.3.4.1.6': 'aes-128-gcm',
	'2.16.840.1.101.3.4.1.26': 'aes-192-gcm',
	'2.16.840.1.101.3.4.1.46': 'aes-256-gcm',
	'1.2.840.113549.3.4': 'rc4',
	'1.2.840.113549.3.9': 'rc5-cbc',
};

/** PBKDF2 pseudo-random functions: OID → [label, node:crypto digest]. */
const PRFS: Record<string, [string, string]> = {
	'1.2.840.113549.2.7': ['hmacWithSHA1', 'sha1'],
	'1.2.840.113549.2.8': ['hmacWithSHA224', 'sha224'],
	'1.2.840.113549.2.9': ['hmacWithSHA256', 'sha256'],
	'1.2.840.113549.2.10': ['hmacWithSHA384', 'sha384'],
	'1.2.840.113549.2.11': ['hmacWithSHA512', 'sha512'],
	'1.2.840.113549.2.12': ['hmacWithSHA512-224', 'sha512-224'],
	'1.2.840.113549.2.13': ['hmacWithSHA512-256', 'sha512-256'],
};

/** RFC 8018 appendix B.2.3: RC2 parameter versions → effective key bits. */
const RC2_VERSIONS: Record<number, number> = { 160: 40, 120: 64, 58: 128 };

const WEAK = /DES|RC2|RC4|MD2|MD5|PBES1/i;

/** Thrown when decryption fails the padding or structure check: the passphrase is wrong (or the data damaged). */
export class DecryptionFailed extends Error {
	constructor(cause?: unknown) {
		super('decryption failed', cause === undefined ? undefined : { cause });
		this.name = 'DecryptionFailed';
	}
}

/**
 * Reads a PBE AlgorithmIdentifier (SEQUENCE { OID, params }).
 *
 * @throws Error when the structure is malformed (the caller names the file)
 */
export function readPbe(algorithm: DerNode): Pbe {
	const [schemeNode, params] = algorithm.children;
	const scheme = oidOf(schemeNode);
	if (scheme === PBES2) return readPbes2(params);
	const fixed = FIXED_SCHEMES[scheme];
	if (!fixed) return { label: `an unknown scheme (OID ${scheme || '?'})`, salt: Buffer.alloc(0), weak: false };
	const [label, kind, digest, cipher] = fixed;
	const [salt, count] = params?.children ?? [];
	const iterations = integerOf(count);
	if (salt?.tag !== DER_TAG.OCTET_STRING || iterations === undefined) throw new Error('PBE: bad parameters');
	const usable = digest === 'md2' ? undefined : cipher;
	return { label, kdf: { kind, iterations, digest } as Kdf, cipher: usable, salt: salt.value, weak: true, unsupported: !usable };
}

function readPbes2(params: DerNode | undefined): Pbe {
	const [kdfNode, cipherNode] = params?.children ?? [];
	if (!kdfNode || !cipherNode) throw new Error('PBES2: bad parameters');
	const cipherOid = oidOf(cipherNode.children[0]);
	const known = PBES2_CIPHERS[cipherOid];
	const cipherName = known?.name ?? PBES2_UNSUPPORTED[cipherOid] ?? `cipher OID ${cipherOid || '?'}`;
	const cipherParams = cipherNode.children[1];
	let cipher = known;
	let iv: Buffer | undefined;
	if (known?.name === 'rc2-cbc') {
		// RC2-CBC-Parameter ::= SEQUENCE { rc2ParameterVersion INTEGER OPTIONAL, iv OCTET STRING }
		const version = integerOf(cipherParams?.children.find((node) => node.tag === DER_TAG.INTEGER));
		iv = cipherParams?.children.find((node) => node.tag === DER_TAG.OCTET_STRING)?.value;
		cipher = { ...known, effectiveBits: version === undefined ? 32 : (RC2_VERSIONS[version] ?? version) };
	} else if (known) {
		iv = cipherParams?.tag === DER_TAG.OCTET_STRING ? cipherParams.value : undefined;
	}
	if (known && iv?.length !== 8 && iv?.length !== 16) throw new Error('PBES2: bad IV');
	const [kdfOidNode, kdfParams] = kdfNode.children;
	const kdfOid = oidOf(kdfOidNode);
	const fields = kdfParams?.children ?? [];
	if (kdfOid === PBKDF2) {
		const pbkdf2 = readPbkdf2Params(kdfParams);
		const label = `PBES2 ${cipherName}, PBKDF2 ${pbkdf2.prfLabel}`;
		const unsupported = cipherOid in PBES2_UNSUPPORTED || !pbkdf2.prfKnown;
		return { label, kdf: pbkdf2.kdf, cipher: withKeyLength(cipher, pbkdf2.kdf.keyLength), salt: pbkdf2.salt, iv, weak: WEAK.test(cipherName), unsupported };
	}
	if (kdfOid === SCRYPT) {
		// scrypt-params ::= SEQUENCE { salt, costParameter, blockSize, parallelizationParameter, keyLength OPTIONAL }
		const [salt, n, r, p, length] = fields;
		const [cost, blockSize, parallelization] = [integerOf(n), integerOf(r), integerOf(p)];
		if (salt?.tag !== DER_TAG.OCTET_STRING || cost === undefined || blockSize === undefined || parallelization === undefined) throw new Error('scrypt: bad parameters');
		const keyLength = integerOf(length);
		const kdf: Kdf = { kind: 'scrypt', cost, blockSize, parallelization, keyLength };
		const label = `PBES2 ${cipherName}, scrypt`;
		return { label, kdf, cipher: withKeyLength(cipher, keyLength), salt: salt.value, iv, weak: WEAK.test(cipherName), unsupported: cipherOid in PBES2_UNSUPPORTED };
	}
	return { label: `PBES2 ${cipherName}, key derivation OID ${kdfOid || '?'}`, salt: Buffer.alloc(0), weak: WEAK.test(cipherName) };
}

/**
 * PBKDF2-params ::= SEQUENCE { salt OCTET STRING, iterationCount, keyLength OPTIONAL, prf DEFAULT hmacWithSHA1 }
 * (RFC 8018 appendix A.2); `kdf` is undefined for a PRF this node does not know.
 */
export function readPbkdf2Params(params: DerNode | undefined): { kdf: Extract<Kdf, { kind: 'pbkdf2' }>; salt: Buffer; prfLabel: string; prfKnown: boolean } {
	const fields = params?.children ?? [];
	const iterations = integerOf(fields[1]);
	if (fields[0]?.tag !== DER_TAG.OCTET_STRING || iterations === undefined) throw new Error('PBKDF2: bad parameters');
	const keyLength = fields[2]?.tag === DER_TAG.INTEGER ? integerOf(fields[2]) : undefined;
	const prfNode = fields.find((field) => field.tag === DER_TAG.SEQUENCE);
	const prfOid = prfNode ? oidOf(prfNode.children[0]) : '1.2.840.113549.2.7';
	const prf = PRFS[prfOid];
	// An unknown PRF still has its iterations counted (as an expensive digest): OpenSSL may know it.
	const [prfLabel, digest] = prf ?? [`PRF OID ${prfOid || '?'}`, `unknown ${prfOid}`];
	return { kdf: { kind: 'pbkdf2', iterations, digest, keyLength }, salt: fields[0].value, prfLabel, prfKnown: Boolean(prf) };
}

/** The node:crypto digest of an HMAC algorithm identifier (hmacWithSHA256 …), if known. */
export function hmacDigestOf(algorithm: DerNode | undefined): string | undefined {
	return PRFS[oidOf(algorithm?.children[0])]?.[1];
}

/** RC2's key length is free; the others' is fixed and a different declared one cannot decrypt. */
function withKeyLength(cipher: CipherSpec | undefined, keyLength: number | undefined): CipherSpec | undefined {
	if (!cipher || keyLength === undefined) return cipher;
	if (cipher.name === 'rc2-cbc') return keyLength >= 1 && keyLength <= 128 ? { ...cipher, keyLength } : undefined;
	return keyLength === cipher.keyLength ? cipher : undefined;
}

/** The passphrase as a scheme takes it: UTF-8 for PBES1/PBES2, BMPString with terminator for PKCS#12. Null: no password at all. */
function passwordBytes(kdf: Kdf, passphrase: string | null): Buffer {
	if (kdf.kind !== 'pkcs12') return Buffer.from(passphrase ?? '', 'utf8');
	if (passphrase === null) return Buffer.alloc(0);
	return Buffer.concat([Buffer.from(passphrase, 'utf16le').swap16(), Buffer.alloc(2)]);
}

/**
 * Decrypts data protected with `pbe`. The caller has checked the cost (lib/tls/cost.ts).
 *
 * @throws DecryptionFailed when the padding is wrong (a wrong passphrase, most of the time)
 * @throws Error when the scheme cannot be decrypted here (check `pbe.cipher` first)
 */
export function decryptPbe(pbe: Pbe, passphrase: string | null, data: Buffer): Buffer {
	const { kdf, cipher } = pbe;
	if (!kdf || !cipher) throw new Error(`cannot decrypt ${pbe.label}`);
	const password = passwordBytes(kdf, passphrase);
	let key: Buffer | undefined;
	try {
		let iv: Buffer;
		const ivLength = cipher.name.startsWith('aes') ? 16 : 8;
		if (kdf.kind === 'pkcs12') {
			key = pkcs12Kdf(kdf.digest, password, pbe.salt, 1, kdf.iterations, cipher.keyLength);
			iv = pkcs12Kdf(kdf.digest, password, pbe.salt, 2, kdf.iterations, ivLength);
		} else if (kdf.kind === 'pbkdf1') {
			const derived = pbkdf1(kdf.digest, password, pbe.salt, kdf.iterations);
			key = derived.subarray(0, 8);
			iv = derived.subarray(8, 16);
		} else {
			key = kdf.kind === 'pbkdf2'
				? pbkdf2Sync(password, pbe.salt, kdf.iterations, cipher.keyLength, kdf.digest)
				: scryptSync(password, pbe.salt, cipher.keyLength, { N: kdf.cost, r: kdf.blockSize, p: kdf.parallelization, maxmem: 64 * 1024 * 1024 });
			iv = pbe.iv ?? Buffer.alloc(0);
		}
		if (cipher.engine === 'forge') return decryptLegacyCipher(cipher, key, iv, data);
		const decipher = createDecipheriv(cipher.name, key, iv);
		return Buffer.concat([decipher.update(data), decipher.final()]);
	} catch (error) {
		// Bad padding mostly; parameters OpenSSL rejects (an scrypt N that is no power of 2, an odd IV) too.
		throw error instanceof DecryptionFailed ? error : new DecryptionFailed(error);
	} finally {
		key?.fill(0);
		password.fill(0);
	}
}

/** The hash functions' input block sizes (v in RFC 7292 appendix B.2). */
const BLOCK_BYTES: Record<string, number> = { sha1: 64, sha224: 64, sha256: 64, sha384: 128, sha512: 128, md5: 64 };

/**
 * RFC 7292 appendix B.2. With node:crypto's hashes, one iteration costs about a microsecond and a
 * half in JavaScript: lib/tls/cost.ts holds these to a lower cap than what OpenSSL computes.
 */
export function pkcs12Kdf(digest: string, password: Buffer, salt: Buffer, id: number, iterations: number, length: number): Buffer {
	const v = BLOCK_BYTES[digest];
	if (!v) throw new Error(`PKCS#12 key derivation with ${digest} is not implemented`);
	const fill = (source: Buffer) => {
		if (source.length === 0) return Buffer.alloc(0);
		const out = Buffer.alloc(v * Math.ceil(source.length / v));
		for (let offset = 0; offset < out.length; offset++) out[offset] = source[offset % source.length];
		return out;
	};
	const d = Buffer.alloc(v, id);
	const input = Buffer.concat([fill(salt), fill(password)]);
	const parts: Buffer[] = [];
	for (let produced = 0; produced < length; ) {
		let a = createHash(digest).update(d).update(input).digest();
		for (let round = 1; round < iterations; round++) a = createHash(digest).update(a).digest();
		parts.push(a);
		produced += a.length;
		if (produced >= length) break;
		const b = fill(a);
		for (let offset = 0; offset < input.length; offset += v) {
			let carry = 1;
			for (let index = v - 1; index >= 0; index--) {
				carry += input[offset + index] + b[index];
				input[offset + index] = carry & 0xff;
				carry >>= 8;
			}
		}
	}
	input.fill(0);
	return Buffer.concat(parts).subarray(0, length);
}

/** PBKDF1 (RFC 8018 section 5.1): 16 bytes, the DES or RC2 key and IV of PBES1. */
function pbkdf1(digest: string, password: Buffer, salt: Buffer, iterations: number): Buffer {
	let derived = createHash(digest).update(password).update(salt).digest();
	for (let round = 1; round < iterations; round++) derived = createHash(digest).update(derived).digest();
	return derived;
}
