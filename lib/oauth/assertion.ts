import { createPublicKey, createHash, KeyObject, randomUUID, sign } from 'node:crypto';

/** The lifetime of a client assertion; short, since it is a bearer credential for the token endpoint. */
export const ASSERTION_LIFETIME_S = 60;

interface Algorithm {
	alg: string;
	/** node:crypto digest for sign(); null for EdDSA, which hashes internally. */
	digest: string | null;
	options?: { padding?: number; saltLength?: number; dsaEncoding?: 'ieee-p1363' };
}

const RSA_PSS = { padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 32 };
const EC_BY_CURVE: Record<string, Algorithm> = {
	prime256v1: { alg: 'ES256', digest: 'sha256', options: { dsaEncoding: 'ieee-p1363' } },
	secp384r1: { alg: 'ES384', digest: 'sha384', options: { dsaEncoding: 'ieee-p1363' } },
	secp521r1: { alg: 'ES512', digest: 'sha512', options: { dsaEncoding: 'ieee-p1363' } },
};

/**
 * The JWS algorithm for the key (RFC 7518 §3): RS256 for RSA (PS256 when the server lists PS256
 * but not RS256, as FAPI servers do, and for RSA-PSS keys), ES256/ES384/ES512 by curve, EdDSA.
 */
export function algorithmFor(key: KeyObject, supported?: string[]): Algorithm {
	const type = key.asymmetricKeyType;
	if (type === 'rsa') {
		const pss = supported?.length && !supported.includes('RS256') && supported.includes('PS256');
		return pss ? { alg: 'PS256', digest: 'sha256', options: RSA_PSS } : { alg: 'RS256', digest: 'sha256' };
	}
	if (type === 'rsa-pss') return { alg: 'PS256', digest: 'sha256', options: RSA_PSS };
	if (type === 'ec') {
		const algorithm = EC_BY_CURVE[key.asymmetricKeyDetails?.namedCurve ?? ''];
		if (algorithm) return algorithm;
	}
	if (type === 'ed25519' || type === 'ed448') return { alg: 'EdDSA', digest: null };
	const curve = key.asymmetricKeyDetails?.namedCurve;
	throw new Error(`No JWS algorithm for a ${type ?? 'unknown'} key${curve ? ` on ${curve}` : ''}`);
}

/** The members RFC 7638 §3.2 hashes, per key type, in lexicographic order. */
const THUMBPRINT_MEMBERS: Record<string, string[]> = { RSA: ['e', 'kty', 'n'], EC: ['crv', 'kty', 'x', 'y'], OKP: ['crv', 'kty', 'x'] };

/** RFC 7638 JWK thumbprint (SHA-256, base64url) of the key's public part: the `kid` partners register. */
export function jwkThumbprint(key: KeyObject): string {
	const jwk = (key.type === 'public' ? key : createPublicKey(key)).export({ format: 'jwk' }) as Record<string, string>;
	const members = THUMBPRINT_MEMBERS[jwk.kty];
	if (!members) throw new Error(`No JWK thumbprint for key type ${jwk.kty}`);
	const canonical = `{${members.map((name) => `${JSON.stringify(name)}:${JSON.stringify(jwk[name])}`).join(',')}}`;
	return createHash('sha256').update(canonical).digest('base64url');
}

export interface AssertionOptions {
	clientId: string;
	/** The token endpoint URL the assertion is sent to (RFC 7523 §3: `aud`). */
	audience: string;
	/** `x5t#S256` of the client certificate, so the server can pick the key by certificate too. */
	certificateThumbprint: string;
	/** token_endpoint_auth_signing_alg_values_supported from discovery, when known. */
	supportedAlgorithms?: string[];
	now?: number;
}

/**
 * A private_key_jwt client assertion (RFC 7523 §2.2, OpenID Connect Core §9): signed with the
 * credential's own key, valid for 60 seconds, with a fresh `jti` so it cannot be replayed.
 */
export function signClientAssertion(key: KeyObject, options: AssertionOptions): string {
	const algorithm = algorithmFor(key, options.supportedAlgorithms);
	const iat = Math.floor((options.now ?? Date.now()) / 1000);
	const header = { alg: algorithm.alg, typ: 'JWT', kid: jwkThumbprint(key), 'x5t#S256': options.certificateThumbprint };
	const claims = {
		iss: options.clientId,
		sub: options.clientId,
		aud: options.audience,
		jti: randomUUID(),
		iat,
		exp: iat + ASSERTION_LIFETIME_S,
	};
	const input = `${encode(header)}.${encode(claims)}`;
	const signature = sign(algorithm.digest, Buffer.from(input), { key, ...algorithm.options });
	return `${input}.${signature.toString('base64url')}`;
}

function encode(value: object): string {
	return Buffer.from(JSON.stringify(value)).toString('base64url');
}
