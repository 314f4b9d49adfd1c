/**
 * A new private key as PKCS#8 EncryptedPrivateKeyInfo (RFC 5958) with PBES2 (RFC 8018):
 * PBKDF2-HMAC-SHA256 and AES-256-CBC, the form OpenSSL 3 writes and every TLS stack reads.
 *
 * Written here rather than with `KeyObject.export({ cipher, passphrase })` for the iteration count:
 * that export uses OpenSSL's default of 2,048 PBKDF2 iterations with no way to raise it, and the
 * encrypted key travels through execution data, files and e-mail until it reaches the credential.
 */
import { createCipheriv, KeyObject, pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

import { algorithm, derNull, integer, octetString, sequence } from './derWriter';

/**
 * OWASP's figure for PBKDF2-HMAC-SHA256 (Password Storage Cheat Sheet, 2023). It is paid when the
 * credential is loaded (after a restart or 15 idle minutes): createPrivateKey took 0.38 s with
 * OpenSSL 3.0 on a busy 2-core machine (2,048 iterations: 1.2 ms).
 */
export const KEY_ENCRYPTION_ITERATIONS = 600_000;

const OID = {
	pbes2: '1.2.840.113549.1.5.13',
	pbkdf2: '1.2.840.113549.1.5.12',
	hmacWithSha256: '1.2.840.113549.2.9',
	aes256Cbc: '2.16.840.1.101.3.4.1.42',
};

const derive = promisify(pbkdf2);

/** PEM "ENCRYPTED PRIVATE KEY"; the plaintext PKCS#8 and the derived key are zeroed after use. */
export async function encryptPrivateKey(key: KeyObject, passphrase: string, iterations = KEY_ENCRYPTION_ITERATIONS): Promise<string> {
	const salt = randomBytes(16);
	const iv = randomBytes(16);
	// pbkdf2 runs on libuv's thread pool: 600,000 iterations must not stall n8n's event loop.
	const derived = await derive(Buffer.from(passphrase, 'utf8'), salt, iterations, 32, 'sha256');
	const plain = key.export({ type: 'pkcs8', format: 'der' });
	try {
		const cipher = createCipheriv('aes-256-cbc', derived, iv);
		const encrypted = Buffer.concat([cipher.update(plain), cipher.final()]);
		const scheme = algorithm(OID.pbes2, sequence(
			algorithm(OID.pbkdf2, sequence(octetString(salt), integer(iterations), algorithm(OID.hmacWithSha256, derNull()))),
			algorithm(OID.aes256Cbc, octetString(iv)),
		));
		return toPem('ENCRYPTED PRIVATE KEY', sequence(scheme, octetString(encrypted)));
	} finally {
		plain.fill(0);
		derived.fill(0);
	}
}

/** RFC 7468 text: base64 in lines of 64 characters. */
export function toPem(label: string, der: Buffer): string {
	const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
	return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
