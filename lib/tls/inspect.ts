import { createHash, X509Certificate } from 'node:crypto';

import { oidOf, parseDer } from './der';

/** Facts about one certificate, safe to show to users and to put into output items. */
export interface CertificateFacts {
	subject: string;
	issuer: string;
	serialNumber: string;
	subjectAltNames: string[];
	notBefore: string;
	notAfter: string;
	daysUntilExpiry: number;
	expired: boolean;
	fingerprint256: string;
	extendedKeyUsage: string[];
	keyType: string;
	/** RSA modulus bits, or the EC curve's bits (P-256 → 256). */
	keySize?: number;
	/** SHA-256 of the DER SubjectPublicKeyInfo, base64, as curl's `sha256//` pins use it. */
	publicKeyPin: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';
const EKU_NAMES: Record<string, string> = {
	'1.3.6.1.5.5.7.3.1': 'serverAuth',
	[CLIENT_AUTH_OID]: 'clientAuth',
	'1.3.6.1.5.5.7.3.3': 'codeSigning',
	'1.3.6.1.5.5.7.3.4': 'emailProtection',
	'1.3.6.1.5.5.7.3.8': 'timeStamping',
	'1.3.6.1.5.5.7.3.9': 'OCSPSigning',
	'2.5.29.37.0': 'anyExtendedKeyUsage',
};

/**
 * Turns Node's multi-line distinguished name into the one-line form users know ("CN=a, O=b").
 * Node gives undefined for an empty name, which certificates named only by their subjectAltName have.
 */
export function formatName(name: string | undefined): string {
	return (name ?? '')
		.split('\n')
		.filter(Boolean)
		.reverse()
		.join(', ');
}

/** The subject's common name, or the whole subject when it has none. */
export function commonName(certificate: X509Certificate): string {
	const cn = (certificate.subject ?? '').split('\n').find((part) => part.startsWith('CN='));
	return cn ? cn.slice(3) : formatName(certificate.subject);
}

export function describeCertificate(certificate: X509Certificate, now = new Date()): CertificateFacts {
	const notBefore = new Date(certificate.validFrom);
	const notAfter = new Date(certificate.validTo);
	const spki = certificate.publicKey.export({ type: 'spki', format: 'der' });
	return {
		subject: formatName(certificate.subject),
		issuer: formatName(certificate.issuer),
		serialNumber: certificate.serialNumber,
		subjectAltNames: certificate.subjectAltName ? certificate.subjectAltName.split(', ') : [],
		notBefore: notBefore.toISOString(),
		notAfter: notAfter.toISOString(),
		daysUntilExpiry: Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS),
		expired: notAfter.getTime() < now.getTime(),
		fingerprint256: certificate.fingerprint256,
		extendedKeyUsage: (certificate.keyUsage ?? []).map((oid) => EKU_NAMES[oid] ?? oid),
		keyType: certificate.publicKey.asymmetricKeyType ?? 'unknown',
		keySize: keySizeOf(certificate),
		publicKeyPin: createHash('sha256').update(spki).digest('base64'),
	};
}

/** True when the certificate may be used for TLS client authentication (no EKU means any use). */
export function allowsClientAuth(certificate: X509Certificate): boolean {
	const eku = certificate.keyUsage;
	return !eku || eku.length === 0 || eku.includes(CLIENT_AUTH_OID) || eku.includes('2.5.29.37.0');
}

/** The role name expiryNotices gives advice for. */
export const CLIENT_ROLE = 'client certificate';

const CURVE_BITS: Record<string, number> = { prime256v1: 256, secp384r1: 384, secp521r1: 521, secp256k1: 256 };

function keySizeOf(certificate: X509Certificate): number | undefined {
	const details = certificate.publicKey.asymmetricKeyDetails ?? {};
	if (details.modulusLength) return details.modulusLength;
	if (details.namedCurve) return CURVE_BITS[details.namedCurve];
	const type = certificate.publicKey.asymmetricKeyType;
	return type === 'ed25519' ? 256 : type === 'ed448' ? 456 : undefined;
}

/**
 * One sentence per certificate that expires within `thresholdDays` (or has expired), for
 * execution hints and the credential test.
 */
export function expiryNotices(certificates: Array<{ role: string; certificate: X509Certificate }>, thresholdDays: number, now = new Date()): string[] {
	const notices: string[] = [];
	for (const { role, certificate } of certificates) {
		const facts = describeCertificate(certificate, now);
		if (facts.daysUntilExpiry >= thresholdDays) continue;
		const when = facts.notAfter.slice(0, 10);
		notices.push(
			facts.expired
				? `The ${role} "${commonName(certificate)}" expired on ${when}.`
				: `The ${role} "${commonName(certificate)}" expires on ${when} (${facts.daysUntilExpiry} days left).${role === CLIENT_ROLE ? ' Ask the partner for its successor and paste it into "Next Certificate Bundle" to switch over without an outage.' : ''}`,
		);
	}
	return notices;
}

/** Signature algorithms OpenSSL's security level 2 refuses (RFC 3279, RFC 5758 OIDs) → digest. */
const WEAK_SIGNATURES: Record<string, string> = {
	'1.2.840.113549.1.1.2': 'MD2',
	'1.2.840.113549.1.1.4': 'MD5',
	'1.2.840.113549.1.1.5': 'SHA-1',
	'1.3.14.3.2.29': 'SHA-1',
	'1.2.840.10040.4.3': 'SHA-1',
	'1.2.840.10045.4.1': 'SHA-1',
};

/** The digest of the certificate's signature when it is MD2, MD5 or SHA-1; self-signed ones are never checked. */
export function weakSignatureDigest(certificate: X509Certificate): string | undefined {
	if (certificate.checkIssued(certificate)) return undefined;
	try {
		return WEAK_SIGNATURES[oidOf(parseDer(certificate.raw).children[1]?.children[0])];
	} catch {
		return undefined;
	}
}
