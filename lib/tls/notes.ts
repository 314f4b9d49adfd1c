/**
 * Last step of loading a credential: what works but deserves the user's attention, for
 * `TlsMaterial.warnings` (shown by the credential Test and as execution hints).
 */
import { X509Certificate } from 'node:crypto';

import { issuerPathEnd } from './chain';
import { allowsClientAuth, commonName, formatName, weakSignatureDigest } from './inspect';
import type { KeyFacts } from './material';
import { NOTES } from './texts';

/** Curves TLS 1.3 signs with (RFC 8446 section 4.2.3) and TLS 1.2 servers accept in practice. */
const TLS_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);
/** Key types that cannot sign a TLS 1.3 CertificateVerify. */
const NO_TLS13 = new Set(['dsa']);
const WEAK_PROTECTION = /DES|RC2|RC4|MD5|PBES1/i;

export function collectWarnings(leaf: X509Certificate, chain: X509Certificate[], ca: X509Certificate[], key: KeyFacts): string[] {
	const warnings: string[] = [];
	if (!key.encrypted) warnings.push(NOTES.unencrypted);
	if (key.encrypted && (key.legacy || WEAK_PROTECTION.test(key.protection ?? ''))) warnings.push(NOTES.weakEncryption(key.protection ?? 'legacy cipher', key.protection?.startsWith('PKCS#12 file') ?? false));
	if (NO_TLS13.has(key.type)) warnings.push(NOTES.dsaKey(key.size));
	if (key.type === 'ec' && key.curve && !TLS_CURVES.has(key.curve)) warnings.push(NOTES.unusableCurve(key.curve));
	// This Node accepted them (it refuses with KEY_TOO_SMALL / CERTIFICATE_DIGEST_TOO_WEAK otherwise); stricter ones will not.
	if ((key.type === 'rsa' || key.type === 'dsa') && key.size !== undefined && key.size < 2048) warnings.push(NOTES.upgradeKeySize(key.type, key.size));
	for (const certificate of chain) {
		const digest = weakSignatureDigest(certificate);
		if (digest) warnings.push(NOTES.upgradeDigest(commonName(certificate), digest));
	}
	if (!allowsClientAuth(leaf)) warnings.push(NOTES.noClientAuth(commonName(leaf)));
	const top = issuerPathEnd(leaf, chain);
	if (!top.checkIssued(top) && !ca.some((certificate) => top.checkIssued(certificate))) warnings.push(NOTES.chainOpen(commonName(top), formatName(top.issuer)));
	return warnings;
}
