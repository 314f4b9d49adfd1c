/**
 * A new key pair and a PKCS#10 certificate signing request (RFC 2986) for renewing a client
 * certificate, with node:crypto and our own DER writer: no OpenSSL CLI, no key in the clear
 * outside this process.
 */
import { createHash, generateKeyPair, KeyObject, sign } from 'node:crypto';
import { promisify } from 'node:util';

import { MaterialError } from '../errors';
import { algorithm, bitString, contextConstructed, derBoolean, derNull, integer, octetString, oid, sequence, setOf } from './derWriter';
import { encryptPrivateKey, toPem } from './keyEncryption';
import { formatRfc2253, SUBJECT_ALT_NAME_OID } from './names';

export const CSR_KEY_TYPES = ['ec-p256', 'ec-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096', 'ed25519'] as const;
export type CsrKeyType = (typeof CSR_KEY_TYPES)[number];

interface KeySpec {
	generate: () => Promise<{ publicKey: KeyObject; privateKey: KeyObject }>;
	/** signatureAlgorithm of the request. */
	signature: Buffer;
	/** For crypto.sign; Ed25519 hashes inside the algorithm. */
	digest: 'sha256' | 'sha384' | null;
}

const generate = promisify(generateKeyPair);
const ecdsa = (curve: string, oidText: string, digest: 'sha256' | 'sha384'): KeySpec => ({
	generate: () => generate('ec', { namedCurve: curve }),
	signature: algorithm(oidText),
	digest,
});
// RFC 4055: sha256WithRSAEncryption takes NULL parameters.
const rsa = (bits: number): KeySpec => ({
	generate: () => generate('rsa', { modulusLength: bits, publicExponent: 0x10001 }),
	signature: algorithm('1.2.840.113549.1.1.11', derNull()),
	digest: 'sha256',
});

/** RFC 5758 3.2 (ECDSA: the digest matches the curve), RFC 4055, RFC 8410 (Ed25519: no parameters). */
const KEY_SPECS: Record<CsrKeyType, KeySpec> = {
	'ec-p256': ecdsa('P-256', '1.2.840.10045.4.3.2', 'sha256'),
	'ec-p384': ecdsa('P-384', '1.2.840.10045.4.3.3', 'sha384'),
	'rsa-2048': rsa(2048),
	'rsa-3072': rsa(3072),
	'rsa-4096': rsa(4096),
	ed25519: { generate: () => generate('ed25519', {}), signature: algorithm('1.3.101.112'), digest: null },
};

export function isCsrKeyType(value: unknown): value is CsrKeyType {
	return typeof value === 'string' && (CSR_KEY_TYPES as readonly string[]).includes(value);
}

export interface CsrInput {
	keyType: CsrKeyType;
	/** DER Name: built with buildName or copied with subjectNameOf. */
	subject: Buffer;
	/** DER GeneralNames for the subjectAltName extension, when there are any. */
	altNames?: Buffer;
	/** Encrypts the new key; required. */
	passphrase: string;
}

export interface CsrResult {
	csrPem: string;
	encryptedPrivateKeyPem: string;
	/** RFC 2253, e.g. "CN=client.example,O=Example Ltd,C=DE". */
	subject: string;
	keyType: CsrKeyType;
	/** curl's form: "sha256//" + base64 SHA-256 of the DER SubjectPublicKeyInfo. */
	publicKeyPin: string;
	/** The same hash as colon-separated hex, as certificate fingerprints are shown. */
	publicKeySha256: string;
}

/**
 * Generates the key pair, signs the request with it and encrypts the private key. The private key
 * leaves this function only encrypted.
 *
 * @throws MaterialError NEXT_PASSPHRASE_REQUIRED when the passphrase is empty, before any key exists
 */
export async function createKeyAndCsr(input: CsrInput): Promise<CsrResult> {
	requirePassphrase(input.passphrase);
	const spec = KEY_SPECS[input.keyType];
	const { publicKey, privateKey } = await spec.generate();
	const spki = publicKey.export({ type: 'spki', format: 'der' });
	const csr = buildCsr(input.subject, spki, input.altNames, (data) => sign(spec.digest, data, privateKey), spec.signature);
	const hash = createHash('sha256').update(spki).digest();
	return {
		csrPem: toPem('CERTIFICATE REQUEST', csr),
		encryptedPrivateKeyPem: await encryptPrivateKey(privateKey, input.passphrase),
		subject: formatRfc2253(input.subject),
		keyType: input.keyType,
		publicKeyPin: `sha256//${hash.toString('base64')}`,
		publicKeySha256: hash.toString('hex').toUpperCase().match(/../g)?.join(':') ?? '',
	};
}

/**
 * @throws MaterialError NEXT_PASSPHRASE_REQUIRED when the passphrase is empty
 */
export function requirePassphrase(passphrase: string | undefined): asserts passphrase is string {
	if (passphrase) return;
	throw new MaterialError('NEXT_PASSPHRASE_REQUIRED', 'The "Next Passphrase" of the credential is empty; it is needed to encrypt the new private key', {
		field: 'nextPassphrase',
		description: 'Enter a passphrase in the credential\'s "Next Passphrase" field and run again. The new key is encrypted with it, so that it can go into "Next Certificate Bundle" with the certificate the partner returns.',
	});
}

const EXTENSION_REQUEST_OID = '1.2.840.113549.1.9.14';

/**
 * CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature }.
 * The subject alternative names travel as a PKCS#9 extensionRequest attribute, as `openssl req`
 * writes them; CAs copy them from there when their policy allows.
 */
export function buildCsr(subject: Buffer, spki: Buffer, altNames: Buffer | undefined, signWith: (data: Buffer) => Buffer, signature: Buffer): Buffer {
	const attributes = altNames ? [extensionRequest(subject, altNames)] : [];
	const info = sequence(integer(0), subject, spki, contextConstructed(0, attributes, true));
	return sequence(info, signature, bitString(signWith(info)));
}

function extensionRequest(subject: Buffer, altNames: Buffer): Buffer {
	// RFC 5280 4.2.1.6: with an empty subject, the alternative names are the identity and are critical.
	const emptySubject = subject.length === 2;
	const extension = sequence(oid(SUBJECT_ALT_NAME_OID), ...(emptySubject ? [derBoolean(true)] : []), octetString(altNames));
	return sequence(oid(EXTENSION_REQUEST_OID), setOf(sequence(extension)));
}
