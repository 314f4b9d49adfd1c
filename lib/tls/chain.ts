/**
 * The client certificate and its chain: which certificate the key belongs to, the issuer order
 * servers expect (leaf → intermediates → root), and the validity dates.
 */
import { KeyObject, sign, verify, X509Certificate } from 'node:crypto';

import { commonName } from './inspect';
import { fail } from './texts';

/**
 * @throws MaterialError KEY_CERT_MISMATCH naming the certificates the bundle holds
 */
export function findLeaf(key: KeyObject, certificates: X509Certificate[]): X509Certificate {
	const leaf = certificates.find((certificate) => certificate.checkPrivateKey(key));
	if (leaf) return checkKeySigns(key, leaf);
	throw fail('keyCertMismatch', { subjects: certificates.map((certificate) => `"${commonName(certificate)}"`).join(', ') });
}

const PROBE = Buffer.from('n8n-nodes-mtls: can this key sign?');

/**
 * checkPrivateKey compares an RSA key's modulus and exponent only; a key whose private values are
 * broken (e.g. q = 2, as in the badkeys corpus) matches its certificate yet can never sign a
 * handshake. One signature at load time (first use of a credential; about a millisecond) tells.
 *
 * @throws MaterialError KEY_UNUSABLE
 */
function checkKeySigns(key: KeyObject, leaf: X509Certificate): X509Certificate {
	if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'rsa-pss') return leaf;
	let signs = false;
	try {
		signs = verify('sha256', PROBE, leaf.publicKey, sign('sha256', PROBE, key));
	} catch {
		signs = false;
	}
	if (!signs) throw fail('keyUnusable');
	return leaf;
}

/**
 * @throws MaterialError when the client certificate is outside its validity dates
 */
export function checkValidity(leaf: X509Certificate, now: Date): void {
	const dates = { name: commonName(leaf), from: new Date(leaf.validFrom).toISOString(), to: new Date(leaf.validTo).toISOString() };
	if (now < new Date(leaf.validFrom)) throw fail('notYetValid', dates);
	if (now > new Date(leaf.validTo)) throw fail('expired', dates);
}

/** Orders the bundle leaf → issuer → issuer's issuer; certificates outside that path follow. */
export function orderChain(leaf: X509Certificate, certificates: X509Certificate[]): X509Certificate[] {
	const chain = [leaf];
	const rest = certificates.filter((certificate) => certificate !== leaf);
	for (let current = leaf; ; ) {
		if (current.checkIssued(current)) break;
		const issuerIndex = rest.findIndex((candidate) => current.checkIssued(candidate));
		if (issuerIndex < 0) break;
		current = rest.splice(issuerIndex, 1)[0];
		chain.push(current);
	}
	return [...chain, ...rest];
}

/** The last certificate of the issuer path that starts at the leaf (chain is ordered that way). */
export function issuerPathEnd(leaf: X509Certificate, chain: X509Certificate[]): X509Certificate {
	let end = leaf;
	for (const certificate of chain.slice(1)) {
		if (!end.checkIssued(certificate) || end.checkIssued(end)) break;
		end = certificate;
	}
	return end;
}
