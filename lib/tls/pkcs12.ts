/**
 * PKCS#12 (RFC 7292) read with lib/tls/der.ts: the MAC, the safe contents and their bags, and the
 * key derivation each of them declares, before anything is decrypted. The encrypted safe contents
 * (where the certificates usually are) are opened here with node:crypto (lib/tls/pbe.ts), which
 * lists the certificates and any key bag nested inside, so their cost is checked too before
 * OpenSSL sees the file. The private key itself is left to OpenSSL (lib/tls/context.ts).
 */
import { createHmac, createPrivateKey, KeyObject, pbkdf2Sync, timingSafeEqual, X509Certificate } from 'node:crypto';

import { checkCosts, DeclaredKdf, onLegacyPath } from './cost';
import { reencrypt } from './decrypt';
import { DER_TAG, DerNode, encodeDer, explicit, integerOf, octetsOf, oidOf, parseDer } from './der';
import { DecryptionFailed, decryptPbe, hmacDigestOf, Pbe, readPbe, readPbkdf2Params } from './pbe';
import { toPem } from './pem';
import { fail } from './texts';

export interface Pkcs12Bag {
	kind: 'key' | 'shroudedKey' | 'certificate' | 'other';
	/** PrivateKeyInfo, EncryptedPrivateKeyInfo or X.509 certificate DER. */
	der: Buffer;
	/** The shrouded key bag's encryption. */
	pbe?: Pbe;
	/** The localKeyId attribute, which pairs a key with its certificate. */
	localKeyId?: string;
}

interface Safe {
	bags: Pkcs12Bag[];
	encrypted?: { pbe: Pbe; data: Buffer };
}

export interface Pkcs12File {
	der: Buffer;
	/** The MAC's key derivation (PKCS#12 KDF, or PBKDF2 for PBMAC1); absent in files without a MAC. */
	mac?: Pbe;
	/** A PBMAC1 MAC (RFC 9579), which OpenSSL before 3.4 (Node 20) cannot check: checked here when OpenSSL refuses the file. */
	pbmac1?: { pbe: Pbe; hmacDigest: string; value: Buffer; content: Buffer };
	safes: Safe[];
}

export interface OpenedPkcs12 {
	file: Pkcs12File;
	bags: Pkcs12Bag[];
	certificates: X509Certificate[];
	/** What decrypted the safe contents: the passphrase, '' or no password at all (null). */
	password: string | null;
}

const OID = {
	data: '1.2.840.113549.1.7.1',
	encryptedData: '1.2.840.113549.1.7.6',
	keyBag: '1.2.840.113549.1.12.10.1.1',
	shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
	certBag: '1.2.840.113549.1.12.10.1.3',
	safeContentsBag: '1.2.840.113549.1.12.10.1.6',
	x509Certificate: '1.2.840.113549.1.9.22.1',
	localKeyId: '1.2.840.113549.1.9.21',
	pbmac1: '1.2.840.113549.1.5.14',
} as const;

/** MAC digests: OID → name (the KDF of a classic MAC hashes with it). */
const MAC_DIGESTS: Record<string, string> = {
	'1.3.14.3.2.26': 'sha1',
	'2.16.840.1.101.3.4.2.4': 'sha224',
	'2.16.840.1.101.3.4.2.1': 'sha256',
	'2.16.840.1.101.3.4.2.2': 'sha384',
	'2.16.840.1.101.3.4.2.3': 'sha512',
	'2.16.840.1.101.3.4.2.5': 'sha512-224',
	'2.16.840.1.101.3.4.2.6': 'sha512-256',
	'1.2.840.113549.2.5': 'md5',
	'1.3.6.1.4.1.1722.12.2.1.16': 'blake2b512',
	'1.3.6.1.4.1.1722.12.2.2.8': 'blake2s256',
};

const WHAT = 'PKCS#12 file';

/** True when the text looks like a base64 PKCS#12 file rather than PEM. */
export function looksLikePkcs12Base64(text: string): boolean {
	const compact = text.replace(/\s+/g, '');
	return compact.length > 64 && /^[A-Za-z0-9+/]+={0,2}$/.test(compact) && compact.startsWith('MI');
}

/**
 * Reads the structure of a PFX without decrypting anything.
 *
 * @throws MaterialError PKCS12_INVALID
 */
export function readPkcs12File(der: Buffer): Pkcs12File {
	let pfx: DerNode;
	try {
		pfx = parseDer(der);
	} catch (error) {
		throw fail('notPkcs12', undefined, error);
	}
	try {
		const [version, authSafe, macData] = pfx.children;
		if (pfx.tag !== DER_TAG.SEQUENCE || integerOf(version) !== 3) throw new Error('not a PFX (version 3)');
		if (oidOf(authSafe?.children[0]) !== OID.data) throw new Error('public-key integrity mode is not supported');
		const content = octetsOf(explicit(authSafe.children[1], 0));
		const safes = parseDer(content).children.map(readContentInfo);
		const mac = macData && readMac(macData);
		return { der, mac: mac?.pbe, pbmac1: mac?.pbmac1 && { ...mac.pbmac1, pbe: mac.pbe, content }, safes };
	} catch (error) {
		throw fail('pkcs12Unreadable', { reason: (error as Error).message.replace(/^DER: /, 'damaged structure: ') }, error);
	}
}

/** MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations INTEGER DEFAULT 1 } */
function readMac(macData: DerNode): { pbe: Pbe; pbmac1?: { hmacDigest: string; value: Buffer } } {
	const [digestInfo, salt, count] = macData.children;
	const [algorithm, value] = digestInfo?.children ?? [];
	const oid = oidOf(algorithm?.children[0]);
	if (oid === OID.pbmac1) {
		// RFC 9579: PBMAC1-params ::= SEQUENCE { keyDerivationFunc (PBKDF2), messageAuthScheme (an HMAC) }
		const [kdf, scheme] = algorithm.children[1]?.children ?? [];
		const pbkdf2 = readPbkdf2Params(kdf?.children[1]);
		const hmacDigest = hmacDigestOf(scheme);
		const pbe: Pbe = { label: `PBMAC1 (PBKDF2 ${pbkdf2.prfLabel})`, kdf: pbkdf2.kdf, salt: pbkdf2.salt, weak: false };
		return { pbe, pbmac1: hmacDigest && pbkdf2.prfKnown && value?.tag === DER_TAG.OCTET_STRING ? { hmacDigest, value: value.value } : undefined };
	}
	const digest = MAC_DIGESTS[oid] ?? `digest OID ${oid || '?'}`;
	const iterations = count === undefined ? 1 : integerOf(count);
	if (iterations === undefined || salt?.tag !== DER_TAG.OCTET_STRING) throw new Error('bad MAC parameters');
	return { pbe: { label: `MAC ${digest}`, kdf: { kind: 'pkcs12', iterations, digest }, salt: salt.value, weak: digest === 'sha1' || digest === 'md5' } };
}

/**
 * Checks a PBMAC1 MAC (RFC 9579: HMAC keyed with PBKDF2 of the UTF-8 password). The caller has
 * checked its cost with the others.
 */
export function pbmac1Matches(file: Pkcs12File, password: string | null): boolean {
	const mac = file.pbmac1;
	const kdf = mac?.pbe.kdf;
	if (!mac || kdf?.kind !== 'pbkdf2') return true;
	const key = pbkdf2Sync(Buffer.from(password ?? '', 'utf8'), mac.pbe.salt, kdf.iterations, kdf.keyLength ?? 32, kdf.digest);
	const expected = createHmac(mac.hmacDigest, key).update(mac.content).digest();
	key.fill(0);
	return expected.length === mac.value.length && timingSafeEqual(expected, mac.value);
}

/** ContentInfo: data (SafeContents in the clear) or encryptedData (SafeContents encrypted with a PBE). */
function readContentInfo(info: DerNode): Safe {
	const type = oidOf(info.children[0]);
	const content = explicit(info.children[1], 0);
	if (type === OID.data) return { bags: readSafeContents(octetsOf(content)) };
	if (type !== OID.encryptedData) throw new Error(`safe contents of type ${type || '?'} (e.g. public-key encrypted) are not supported`);
	// EncryptedData ::= SEQUENCE { version, EncryptedContentInfo ::= SEQUENCE { contentType, algorithm, [0] IMPLICIT OCTET STRING } }
	const [, encryptedContentInfo] = content.children;
	const [, algorithm, encrypted] = encryptedContentInfo?.children ?? [];
	if (!algorithm || !encrypted || (encrypted.tag !== 0x80 && encrypted.tag !== 0xa0)) throw new Error('encrypted safe contents without data');
	const data = encrypted.tag === 0x80 ? encrypted.value : Buffer.concat(encrypted.children.map((piece) => octetsOf(piece)));
	return { bags: [], encrypted: { pbe: readPbe(algorithm), data } };
}

function readSafeContents(der: Buffer, depth = 0): Pkcs12Bag[] {
	if (depth > 4) throw new Error('safe contents nested too deeply');
	return parseDer(der).children.flatMap((bag) => {
		const [typeNode, valueNode, attributes] = bag.children;
		const type = oidOf(typeNode);
		const value = explicit(valueNode, 0);
		const localKeyId = attributes?.children.find((attribute) => oidOf(attribute.children[0]) === OID.localKeyId)?.children[1]?.children[0]?.value.toString('hex');
		if (type === OID.safeContentsBag) return readSafeContents(encodeDer(value), depth + 1);
		if (type === OID.keyBag) return [{ kind: 'key' as const, der: encodeDer(value), localKeyId }];
		if (type === OID.shroudedKeyBag) return [{ kind: 'shroudedKey' as const, der: encodeDer(value), pbe: readPbe(value.children[0]), localKeyId }];
		if (type === OID.certBag && oidOf(value.children[0]) === OID.x509Certificate) {
			return [{ kind: 'certificate' as const, der: octetsOf(explicit(value.children[1], 0)), localKeyId }];
		}
		return [{ kind: 'other' as const, der: Buffer.alloc(0) }];
	});
}

/** Every key derivation the file declares so far: MAC, encrypted safe contents, visible key bags. */
export function declaredKdfs(file: Pkcs12File, bags: Pkcs12Bag[] = file.safes.flatMap((safe) => safe.bags)): DeclaredKdf[] {
	const declared: DeclaredKdf[] = [];
	if (file.mac) declared.push({ pbe: file.mac, what: WHAT, pkcs12: true });
	for (const { encrypted } of file.safes) {
		if (encrypted) declared.push({ pbe: encrypted.pbe, what: WHAT, pkcs12: true, legacy: onLegacyPath(encrypted.pbe), twice: true });
	}
	for (const bag of bags) if (bag.pbe) declared.push({ pbe: bag.pbe, what: `private key in the ${WHAT}`, pkcs12: true, legacy: onLegacyPath(bag.pbe) });
	return declared;
}

/**
 * Opens the encrypted safe contents with the passphrase (for an empty one, as OpenSSL does: no
 * password, then the empty password) and lists every bag. The caller has checked
 * `declaredKdfs(file)`; it checks them again with the bags found inside.
 *
 * @throws MaterialError PASSPHRASE_WRONG, KEY_ENCRYPTION_UNSUPPORTED, PKCS12_INVALID
 */
export function openPkcs12(file: Pkcs12File, passphrase: string | undefined): OpenedPkcs12 {
	const candidates: Array<string | null> = passphrase ? [passphrase] : [null, ''];
	const bags = file.safes.flatMap((safe) => safe.bags);
	let password = candidates[0];
	for (const safe of file.safes) {
		if (!safe.encrypted) continue;
		const { pbe, data } = safe.encrypted;
		if (!pbe.cipher || !pbe.kdf || pbe.unsupported) throw fail('encryptionUnsupported', { what: WHAT, pkcs12: true, scheme: pbe.label });
		const opened = tryCandidates(pbe, [password, ...candidates.filter((candidate) => candidate !== password)], data);
		if (!opened) throw passphrase ? fail('passphraseWrong', { what: WHAT }) : fail('passphraseMissing');
		password = opened.password;
		bags.push(...opened.bags);
	}
	const certificates = bags.filter((bag) => bag.kind === 'certificate').map((bag, index) => {
		try {
			return new X509Certificate(bag.der);
		} catch (error) {
			throw fail('pkcs12Unreadable', { reason: `certificate ${index + 1} is not a valid X.509 certificate` }, error);
		}
	});
	return { file, bags, certificates, password };
}

function tryCandidates(pbe: Pbe, candidates: Array<string | null>, data: Buffer): { bags: Pkcs12Bag[]; password: string | null } | undefined {
	// PBES2 derives the same key from no password and from the empty one: one attempt is enough.
	const distinct = pbe.kdf?.kind === 'pkcs12' ? candidates : candidates.slice(0, 1);
	for (const password of distinct) {
		let plain: Buffer;
		try {
			plain = decryptPbe(pbe, password, data);
		} catch (error) {
			if (error instanceof DecryptionFailed) continue;
			throw error;
		}
		try {
			// Bags are copies (certificates here, key bags by encodeDer), so the plaintext can be wiped.
			const bags = readSafeContents(plain).map((bag) => (bag.kind === 'certificate' ? { ...bag, der: Buffer.from(bag.der) } : bag));
			return { bags, password };
		} catch {
			// Padding that came out right by chance (1 in 256 wrong passphrases): garbage, not SafeContents.
		} finally {
			plain.fill(0);
		}
	}
	return undefined;
}

/** The one private key of the file, or the reason there is not exactly one. */
export function keyBagOf(bags: Pkcs12Bag[]): Pkcs12Bag {
	const keys = bags.filter((bag) => bag.kind === 'key' || bag.kind === 'shroudedKey');
	if (keys.length === 0) throw fail('noKeyPkcs12');
	if (keys.length > 1) throw fail('manyKeys', { count: keys.length, pkcs12: true });
	return keys[0];
}

/**
 * The key bag of a file OpenSSL refused: OpenSSL decrypts it where it can (3DES, AES), this node
 * where OpenSSL cannot (RC2, DES, or no password at all, which node:crypto cannot express).
 */
export function decryptKeyBag(bag: Pkcs12Bag, passphrase: string | undefined, opened: OpenedPkcs12): { key: KeyObject; contextKey: { key: string; passphrase?: string } } {
	if (bag.kind === 'key') {
		try {
			const key = createPrivateKey({ key: bag.der, format: 'der', type: 'pkcs8' });
			return { key, contextKey: reencrypt(key) };
		} catch (error) {
			throw fail('keyUnreadablePkcs12', undefined, error);
		}
	}
	const pbe = bag.pbe;
	if (!pbe?.kdf || !pbe.cipher || pbe.unsupported) {
		throw fail('encryptionUnsupported', { what: `private key in the ${WHAT}`, pkcs12: true, scheme: pbe?.label ?? 'an unknown scheme' });
	}
	const candidates = [opened.password, ...(passphrase ? [] : [null, ''])].filter((value, index, all) => all.indexOf(value) === index);
	if (pbe.cipher.engine === 'native' && typeof opened.password === 'string') {
		try {
			const key = createPrivateKey({ key: bag.der, format: 'der', type: 'pkcs8', passphrase: opened.password });
			return { key, contextKey: { key: toPem({ label: 'ENCRYPTED PRIVATE KEY', headers: {}, der: bag.der }), passphrase: opened.password } };
		} catch {
			// Tried below with the other password forms and, failing those, reported as a wrong passphrase.
		}
	}
	const encrypted = readEncryptedData(bag.der);
	for (const password of candidates) {
		let plain: Buffer | undefined;
		try {
			plain = decryptPbe(pbe, password, encrypted);
			const key = createPrivateKey({ key: plain, format: 'der', type: 'pkcs8' });
			return { key, contextKey: reencrypt(key) };
		} catch {
			// A wrong password fails the padding (DecryptionFailed), or decrypts to garbage that is no key.
		} finally {
			plain?.fill(0);
		}
	}
	throw passphrase ? fail('passphraseWrong', { what: 'PKCS#12 file' }) : fail('passphraseMissing');
}

/** EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm, encryptedData OCTET STRING } (read once already). */
function readEncryptedData(encryptedPrivateKeyInfo: Buffer): Buffer {
	return parseDer(encryptedPrivateKeyInfo).children[1].value;
}

/**
 * The whole file read by this module, without OpenSSL's PKCS#12 reader: for tools and tests.
 *
 * @returns the key as unencrypted PKCS#8 DER (wipe it) and the certificates' DER
 * @throws MaterialError as loadMaterial does for a PKCS#12 file
 */
export function readPkcs12(der: Buffer, passphrase: string): { keyDer: Buffer; certificates: Buffer[] } {
	const file = readPkcs12File(der);
	checkCosts(declaredKdfs(file));
	const opened = openPkcs12(file, passphrase || undefined);
	checkCosts(declaredKdfs(file, opened.bags));
	const { key } = decryptKeyBag(keyBagOf(opened.bags), passphrase || undefined, opened);
	return { keyDer: key.export({ type: 'pkcs8', format: 'der' }), certificates: opened.certificates.map((certificate) => certificate.raw) };
}
