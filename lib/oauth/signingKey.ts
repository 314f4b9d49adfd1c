import { createPrivateKey, KeyObject } from 'node:crypto';

import { decryptPemKey } from '../tls/decrypt';
import { detectBundle } from '../tls/detect';
import type { MaterialInput } from '../tls/material';
import { readPkcs12 } from '../tls/pkcs12';
import { OAuthError } from './errors';

/**
 * The credential's private key as a KeyObject, for signing a private_key_jwt assertion. The TLS
 * material keeps the key only inside OpenSSL's secure context; this reads it again from the same
 * fields only when a token is requested, and the caller drops it after signing. The bundle has
 * already passed loadMaterial's checks, so only what signing adds can fail here.
 *
 * @throws OAuthError OAUTH_SETTINGS_INVALID when the key cannot be read for signing
 */
export function loadSigningKey(input: MaterialInput): KeyObject {
	const passphrase = input.passphrase || undefined;
	try {
		// The loader's own stages: the same formats, ciphers and cost caps as the TLS material.
		const bundle = detectBundle(input.certificateBundle ?? '');
		if (bundle.kind === 'pem') return decryptPemKey(bundle.key, passphrase).key;
		const { keyDer } = readPkcs12(bundle.der, passphrase ?? '');
		try {
			return createPrivateKey({ key: keyDer, format: 'der', type: 'pkcs8' });
		} finally {
			keyDer.fill(0);
		}
	} catch (error) {
		throw new OAuthError('OAUTH_SETTINGS_INVALID', 'The private key cannot be used to sign the private_key_jwt client assertion', {
			field: 'clientAuthMethod',
			description: 'Check the key of the "Certificate Bundle", or choose tls_client_auth.',
			cause: error,
		});
	}
}
