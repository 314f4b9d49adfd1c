/**
 * The two block ciphers OpenSSL 3 (in Node 20 and 24) keeps in its legacy provider, which this
 * package never turns on process-wide: single DES and RC2, as old PKCS#8 keys, traditional PEM keys
 * and PKCS#12 files use them. node-forge is used here and nowhere else; key derivation happens in
 * lib/tls/pbe.ts with node:crypto, so forge never runs an expensive loop.
 */
import forge from 'node-forge';

import { CipherSpec, DecryptionFailed } from './pbe';

const toForge = (bytes: Buffer) => forge.util.createBuffer(bytes.toString('binary'));

/**
 * Decrypts CBC data with DES or RC2 and checks the padding.
 *
 * @throws DecryptionFailed when the padding is wrong (a wrong passphrase, most of the time)
 */
export function decryptLegacyCipher(cipher: CipherSpec, key: Buffer, iv: Buffer, data: Buffer): Buffer {
	let decipher: { update(input: forge.util.ByteStringBuffer): void; finish(): boolean; output: forge.util.ByteStringBuffer };
	if (cipher.name === 'des-cbc') {
		const des = forge.cipher.createDecipher('DES-CBC', toForge(key));
		des.start({ iv: toForge(iv) });
		decipher = des;
	} else if (cipher.name === 'rc2-cbc') {
		const rc2 = forge.rc2.createDecryptionCipher(toForge(key), cipher.effectiveBits ?? 128);
		rc2.start(toForge(iv));
		decipher = rc2;
	} else {
		throw new Error(`${cipher.name} is not a legacy cipher`);
	}
	decipher.update(toForge(data));
	if (!decipher.finish()) throw new DecryptionFailed();
	return Buffer.from(decipher.output.getBytes(), 'binary');
}
