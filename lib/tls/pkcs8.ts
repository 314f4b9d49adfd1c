import { MaterialError } from '../errors';
import { DER_TAG, integerOf, oidOf, parseDer } from './der';

export interface EncryptionFacts {
	/** e.g. "PBES2 aes-256-cbc, PBKDF2 hmacWithSHA256" or "PKCS#12 PBE RC2-40". */
	algorithm: string;
	iterations?: number;
	/** A cipher or key derivation considered broken or obsolete (RC2, RC4, DES, 3DES, MD5, PBES1). */
	weak: boolean;
}

export const OID_NAMES: Record<string, string> = {
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

export const WEAK_ENCRYPTION = /DES|RC2|RC4|MD5|PBES1/;

const nameOf = (oid: string) => OID_NAMES[oid] ?? oid;

/**
 * Reads the AlgorithmIdentifier of an EncryptedPrivateKeyInfo (RFC 5958) without decrypting and
 * without node-forge: it runs for every encrypted key, on every first use of a credential.
 *
 * @throws MaterialError KEY_UNREADABLE when the DER cannot be parsed
 */
export function describePkcs8Encryption(der: Buffer): EncryptionFacts {
	try {
		const [algorithm] = parseDer(der).children;
		const [schemeOid, params] = algorithm.children;
		const scheme = nameOf(oidOf(schemeOid));
		if (scheme !== 'PBES2') return { algorithm: scheme, iterations: integerOf(params?.children[1]), weak: true };
		const [kdf, cipher] = params.children;
		const [kdfOid, kdfParams] = kdf.children;
		const cipherName = nameOf(oidOf(cipher.children[0]));
		if (nameOf(oidOf(kdfOid)) === 'scrypt') return { algorithm: `PBES2 ${cipherName}, scrypt`, weak: WEAK_ENCRYPTION.test(cipherName) };
		const prf = kdfParams.children.find((field) => field.tag === DER_TAG.SEQUENCE);
		const prfName = prf ? nameOf(oidOf(prf.children[0])) : 'hmacWithSHA1';
		return { algorithm: `PBES2 ${cipherName}, PBKDF2 ${prfName}`, iterations: integerOf(kdfParams.children[1]), weak: WEAK_ENCRYPTION.test(cipherName) };
	} catch (error) {
		throw new MaterialError('KEY_UNREADABLE', 'The encrypted private key in the "Certificate Bundle" field cannot be read', {
			field: 'certificateBundle',
			description: 'Copy the key block again from the file the partner sent, from its BEGIN line to its END line.',
			cause: error,
		});
	}
}
