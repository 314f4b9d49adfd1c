import { createPrivateKey, KeyObject } from 'node:crypto';

import { looksLikePkcs12Base64, readPkcs12 } from '../tls/legacy';
import type { MaterialInput } from '../tls/material';
import { findPemBlocks, toPem } from '../tls/pem';
import { OAuthError } from './errors';

const KEY_LABELS = new Set(['ENCRYPTED PRIVATE KEY', 'PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY']);

/**
 * The credential's private key as a KeyObject, for signing a private_key_jwt assertion. The TLS
 * material keeps the key only inside OpenSSL's secure context; this reads it again from the same
 * fields only when a token is requested, and the caller drops it after signing. The bundle has
 * already passed loadMaterial's checks, so only what signing adds can fail here.
 *
 * @throws OAuthError OAUTH_SETTINGS_INVALID when the key cannot be read for signing
 */
export function loadSigningKey(input: MaterialInput): KeyObject {
	const bundle = input.certificateBundle ?? '';
	const passphrase = input.passphrase || undefined;
	try {
		const blocks = findPemBlocks(bundle);
		if (blocks.length === 0 && looksLikePkcs12Base64(bundle)) {
			const contents = readPkcs12(Buffer.from(bundle.replace(/\s+/g, ''), 'base64'), passphrase ?? '');
			try {
				return createPrivateKey({ key: contents.keyDer, format: 'der', type: 'pkcs8' });
			} finally {
				contents.keyDer.fill(0);
			}
		}
		const block = blocks.find((candidate) => KEY_LABELS.has(candidate.label));
		if (!block) throw new Error('no private key block');
		return createPrivateKey({ key: toPem(block), format: 'pem', passphrase });
	} catch (error) {
		throw new OAuthError('OAUTH_SETTINGS_INVALID', 'The private key cannot be used to sign the private_key_jwt client assertion', {
			field: 'clientAuthMethod',
			description: 'Keys in legacy encryption (DES, RC2) work for TLS but not for signing here: re-encrypt the key once with '
				+ '`openssl pkcs8 -topk8 -v2 aes-256-cbc -in old.pem -out new.pem`, or choose tls_client_auth.',
			cause: error,
		});
	}
}
