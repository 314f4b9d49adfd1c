import { pkcs8Pbe } from './decrypt';

export interface EncryptionFacts {
	/** e.g. "PBES2 aes-256-cbc, PBKDF2 hmacWithSHA256" or "PKCS#12 PBE RC2-40". */
	algorithm: string;
	iterations?: number;
	/** A cipher or key derivation considered broken or obsolete (RC2, RC4, DES, 3DES, MD5, PBES1). */
	weak: boolean;
}

/**
 * Reads the AlgorithmIdentifier of an EncryptedPrivateKeyInfo (RFC 5958) without decrypting and
 * without node-forge (see lib/tls/pbe.ts).
 *
 * @throws MaterialError KEY_UNREADABLE when the DER cannot be parsed
 */
export function describePkcs8Encryption(der: Buffer): EncryptionFacts {
	const pbe = pkcs8Pbe(der);
	const kdf = pbe.kdf;
	return { algorithm: pbe.label, iterations: kdf && kdf.kind !== 'scrypt' ? kdf.iterations : undefined, weak: pbe.weak };
}
