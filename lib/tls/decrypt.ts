/**
 * Decrypting a PEM private key: OpenSSL (node:crypto) first, lib/tls/pbe.ts for the ciphers OpenSSL 3
 * keeps in its legacy provider (DES, RC2). The key then lives in a KeyObject; what goes into the
 * TLS context is the user's PEM as given, or for legacy keys a copy re-encrypted with a one-time
 * passphrase, so no plaintext PEM exists.
 */
import { createHash, createPrivateKey, KeyObject, randomBytes } from 'node:crypto';

import { DeclaredKdf } from './cost';
import { parseDer } from './der';
import { DecryptionFailed, decryptPbe, Pbe, readPbe } from './pbe';
import { PemBlock, toPem } from './pem';
import { decryptLegacyCipher } from './legacy';
import { fail } from './texts';

export interface DecryptedKey {
	key: KeyObject;
	/** What the secure context loads. */
	contextKey: { key: string; passphrase?: string };
	encrypted: boolean;
	/** e.g. "PBES2 aes-256-cbc, PBKDF2 hmacWithSHA256", "AES-256-CBC" (traditional PEM), "PKCS#12 PBE 3DES". */
	protection?: string;
	/** Decrypted here because OpenSSL 3 refuses the cipher. */
	legacy: boolean;
}

const WHAT = 'private key';

/** Traditional PEM encryption (RFC 1421 DEK-Info) OpenSSL 3 refuses and this node decrypts itself. */
const TRADITIONAL_LEGACY: Record<string, { name: string; keyLength: number; engine: 'forge' }> = {
	'DES-CBC': { name: 'des-cbc', keyLength: 8, engine: 'forge' },
};

/** What DER form a decrypted traditional key has, by PEM label (DSA has none in node:crypto). */
const TRADITIONAL_TYPES: Record<string, 'pkcs1' | 'sec1' | undefined> = { 'RSA PRIVATE KEY': 'pkcs1', 'EC PRIVATE KEY': 'sec1', 'DSA PRIVATE KEY': undefined };

export function isEncrypted(block: PemBlock): boolean {
	return block.label === 'ENCRYPTED PRIVATE KEY' || /ENCRYPTED/.test(block.headers['Proc-Type'] ?? '');
}

/**
 * The PBE of an encrypted PKCS#8 block, read without decrypting.
 *
 * @throws MaterialError KEY_UNREADABLE when the structure is damaged
 */
export function pkcs8Pbe(der: Buffer): Pbe {
	try {
		return readPbe(parseDer(der).children[0]);
	} catch (error) {
		throw fail('keyUnreadable', { what: 'encrypted private key' }, error);
	}
}

/** The key derivation an encrypted PEM key declares, for lib/tls/cost.ts (traditional PEM: one MD5, nothing to check). */
export function declaredKdfsOfPem(block: PemBlock): DeclaredKdf[] {
	if (block.label !== 'ENCRYPTED PRIVATE KEY') return [];
	const pbe = pkcs8Pbe(block.der);
	return [{ pbe, what: WHAT, legacy: pbe.cipher?.engine === 'forge' }];
}

/**
 * @throws MaterialError PASSPHRASE_MISSING, PASSPHRASE_WRONG, KEY_UNREADABLE, KEY_ENCRYPTION_UNSUPPORTED
 */
export function decryptPemKey(block: PemBlock, passphrase: string | undefined): DecryptedKey {
	const encrypted = isEncrypted(block);
	const pkcs8 = block.label === 'ENCRYPTED PRIVATE KEY';
	const pbe = pkcs8 ? pkcs8Pbe(block.der) : undefined;
	const dekCipher = block.headers['DEK-Info']?.split(',')[0];
	const protection = pbe?.label ?? (encrypted ? dekCipher : undefined);
	if (encrypted && passphrase === undefined) throw fail('passphraseMissing');
	if (pbe && (!pbe.kdf || pbe.unsupported)) throw fail('encryptionUnsupported', { what: WHAT, scheme: pbe.label });
	const keyPem = toPem(block);
	const legacyTraditional = encrypted && !pkcs8 && dekCipher !== undefined ? TRADITIONAL_LEGACY[dekCipher.toUpperCase()] : undefined;
	if (pbe?.cipher?.engine !== 'forge' && !legacyTraditional) {
		try {
			return { key: createPrivateKey({ key: keyPem, format: 'pem', passphrase }), contextKey: { key: keyPem, passphrase }, encrypted, protection, legacy: false };
		} catch (error) {
			if (!encrypted) throw fail('keyUnreadable', { what: WHAT }, error);
			// A scheme OpenSSL lacks (Blowfish, CAST, …) is not a wrong passphrase.
			if (isUnsupported(error)) throw fail('encryptionUnsupported', { what: WHAT, scheme: protection ?? block.label }, error);
			// OpenSSL reports a wrong passphrase with different codes depending on version and cipher
			// ("bad decrypt", an ASN.1 error after decrypting garbage, …): all of them mean the same here.
			throw fail('passphraseWrong', { what: WHAT }, error);
		}
	}
	const plain = pbe ? decryptLegacy(() => decryptPbe(pbe, passphrase ?? '', parseDer(block.der).children[1].value)) : decryptTraditional(block, passphrase ?? '');
	try {
		const type = pbe ? 'pkcs8' : TRADITIONAL_TYPES[block.label];
		const key = type ? createPrivateKey({ key: plain, format: 'der', type }) : createPrivateKey(toPem({ label: block.label, headers: {}, der: plain }));
		return { key, contextKey: reencrypt(key), encrypted, protection, legacy: true };
	} catch (error) {
		// Legacy ciphers have no integrity check: a wrong passphrase can decrypt to well-formed garbage.
		throw fail('passphraseWrong', { what: WHAT }, error);
	} finally {
		plain.fill(0);
	}
}

function decryptLegacy(run: () => Buffer): Buffer {
	try {
		return run();
	} catch (error) {
		if (error instanceof DecryptionFailed) throw fail('passphraseWrong', { what: WHAT }, error);
		throw error;
	}
}

/** Traditional PEM encryption: EVP_BytesToKey (MD5, one round, salt = the IV's first 8 bytes), then the cipher. */
function decryptTraditional(block: PemBlock, passphrase: string): Buffer {
	const [name, ivHex] = (block.headers['DEK-Info'] ?? '').split(',');
	const cipher = TRADITIONAL_LEGACY[name.toUpperCase()];
	const iv = Buffer.from(ivHex ?? '', 'hex');
	if (iv.length !== 8) throw fail('keyUnreadable', { what: WHAT });
	const password = Buffer.from(passphrase, 'utf8');
	const key = createHash('md5').update(password).update(iv.subarray(0, 8)).digest().subarray(0, cipher.keyLength);
	return decryptLegacy(() => decryptLegacyCipher(cipher, key, iv, block.der));
}

/** OpenSSL lacks the cipher; a wrong passphrase gives "bad decrypt" or a decoder error after garbage instead. */
const UNSUPPORTED_CODES = new Set(['ERR_OSSL_EVP_UNSUPPORTED', 'ERR_OSSL_PEM_UNSUPPORTED_ENCRYPTION', 'ERR_OSSL_EVP_UNSUPPORTED_CIPHER']);

function isUnsupported(error: unknown): boolean {
	return UNSUPPORTED_CODES.has((error as { code?: string }).code ?? '');
}

/** The key as PKCS#8 PEM encrypted with a random one-time passphrase, so no plaintext PEM exists. */
export function reencrypt(key: KeyObject): { key: string; passphrase: string } {
	const passphrase = randomBytes(32).toString('base64');
	return { key: key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }) as string, passphrase };
}
