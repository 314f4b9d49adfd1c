/**
 * The TLS secure context every connection of a credential shares: the key (PEM, or the PKCS#12
 * file as given, which OpenSSL decrypts), the chain, the TLS versions and the partner's CAs on top
 * of Node's default trust store. OpenSSL refusals of the key or a certificate get named errors.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { env, version, versions } from 'node:process';
import * as tls from 'node:tls';

import { MaterialError } from '../errors';
import { CERTIFICATE_LABELS } from './detect';
import { commonName, weakSignatureDigest } from './inspect';
import { findPemBlocks, toPem } from './pem';
import { fail } from './texts';

export interface TlsVersions {
	min?: tls.SecureVersion;
	max?: tls.SecureVersion;
}

/** How the key reaches OpenSSL: PEM with the ordered chain, or a PKCS#12 file OpenSSL reads itself. */
export type KeySource = { kind: 'pem'; key: string; passphrase?: string; chain: X509Certificate[] } | { kind: 'pfx'; pfx: Buffer; passphrase?: string };

const THIS_NODE = `Node.js ${version}, OpenSSL ${versions.openssl}`;

/**
 * OpenSSL refusals a user can act on, by error code or reason (a PKCS#12 file's errors come
 * without a code). Anything else is SECURE_CONTEXT_FAILED.
 */
const REFUSALS: Array<{ match: RegExp; explain: (certificates: X509Certificate[], cause: unknown) => MaterialError }> = [
	{
		match: /EE_KEY_TOO_SMALL|ee key too small/i,
		explain: (certificates, cause) =>
			fail('keyTooSmall', { key: smallestKey(certificates), node: THIS_NODE, level: 'its OpenSSL security level refuses RSA and DSA keys under 2048 bits ("ee key too small")' }, cause),
	},
	{
		match: /CA_MD_TOO_WEAK|EE_MD_TOO_WEAK|md too weak/i,
		explain: (certificates, cause) => {
			const weak = certificates.find((certificate) => weakSignatureDigest(certificate));
			return fail('digestTooWeak', {
				name: weak ? commonName(weak) : 'in the bundle',
				digest: (weak && weakSignatureDigest(weak)) ?? 'a weak digest',
				node: THIS_NODE,
				level: 'its OpenSSL security level refuses MD5 and SHA-1 signatures ("ca md too weak")',
			}, cause);
		},
	},
];

/**
 * @param certificates the bundle's certificates, to name the one OpenSSL refused
 * @throws MaterialError KEY_TOO_SMALL, CERTIFICATE_DIGEST_TOO_WEAK, SECURE_CONTEXT_FAILED; a PKCS#12
 *   file OpenSSL does not read (legacy cipher, no MAC on OpenSSL 3.0, …) throws `PfxRefused`
 */
export function buildSecureContext(source: KeySource, certificates: X509Certificate[], ca: X509Certificate[], versions: TlsVersions): tls.SecureContext {
	let context: tls.SecureContext;
	try {
		context = tls.createSecureContext({
			...(source.kind === 'pfx' ? { pfx: source.pfx } : { key: source.key, cert: source.chain.map((certificate) => certificate.toString()).join('') }),
			passphrase: source.passphrase,
			minVersion: versions.min ?? 'TLSv1.2',
			maxVersion: versions.max ?? 'TLSv1.3',
		});
	} catch (error) {
		const reason = `${(error as { code?: string }).code ?? ''} ${(error as Error).message}`;
		const refusal = REFUSALS.find((entry) => entry.match.test(reason));
		if (refusal) throw refusal.explain(certificates, error);
		if (source.kind === 'pfx') throw new PfxRefused(error);
		throw fail('contextFailed', { reason: (error as Error).message.replace(/^error:[0-9A-F]+:/, '') }, error);
	}
	try {
		if (ca.length) addCertificateAuthorities(context, ca);
	} catch (error) {
		throw fail('contextFailed', { reason: 'the CA certificates could not be added' }, error);
	}
	return context;
}

/** OpenSSL did not read the PKCS#12 file; the caller decides what that means. */
export class PfxRefused extends Error {
	constructor(cause: unknown) {
		super('OpenSSL did not read the PKCS#12 file', { cause });
		this.name = 'PfxRefused';
	}
}

/** The certificate OpenSSL chose as the client certificate of a context (DER), where Node exposes it. */
export function contextCertificate(context: tls.SecureContext): Buffer | undefined {
	const native = (context as { context?: { getCertificate?: () => Buffer | null } }).context;
	return typeof native?.getCertificate === 'function' ? (native.getCertificate() ?? undefined) : undefined;
}

function smallestKey(certificates: X509Certificate[]): string {
	const sizes = certificates
		.map((certificate) => ({ type: certificate.publicKey.asymmetricKeyType ?? 'unknown', bits: certificate.publicKey.asymmetricKeyDetails?.modulusLength }))
		.filter((key): key is { type: string; bits: number } => key.bits !== undefined)
		.sort((a, b) => a.bits - b.bits);
	return sizes.length ? `${sizes[0].bits}-bit ${sizes[0].type.toUpperCase()}` : 'client';
}

/**
 * Adds the partner's CAs to the context's trust store on top of Node's default one (bundled roots,
 * NODE_EXTRA_CA_CERTS, system store where enabled). Passing `ca` to createSecureContext would
 * replace that store, and re-parsing ~140 default roots costs ~20 ms per credential; the native
 * context's addCACert copies the shared store once and adds ours, as Node does for `ca` itself.
 */
export function addCertificateAuthorities(context: tls.SecureContext, ca: X509Certificate[]): void {
	const native = (context as { context?: { addCACert?: (pem: string) => void } }).context;
	if (typeof native?.addCACert !== 'function') throw new Error('This Node.js version cannot add CA certificates to a TLS context');
	// The copy Node makes holds the bundled roots only; what else its default store has goes in again.
	for (const pem of [...defaultStoreAdditions(), ...ca.map((certificate) => certificate.toString())]) native.addCACert(pem);
}

let additions: string[] | undefined;

/**
 * The certificates Node's default store has beyond the bundled roots: NODE_EXTRA_CA_CERTS, and the
 * system store when Node runs with --use-system-ca. Read once per process, as Node does.
 */
function defaultStoreAdditions(): string[] {
	if (additions) return additions;
	const getCACertificates = (tls as { getCACertificates?: (type: string) => string[] }).getCACertificates;
	let text = '';
	if (getCACertificates) {
		text = getCACertificates('default').join('\n');
	} else {
		try {
			text = env.NODE_EXTRA_CA_CERTS ? readFileSync(env.NODE_EXTRA_CA_CERTS, 'utf8') : '';
		} catch {
			// Node itself only warns about an unreadable NODE_EXTRA_CA_CERTS file.
		}
	}
	// Extra files often repeat the bundled roots (a system bundle does); those are in the copy already.
	const bundled = new Set(findPemBlocks(tls.rootCertificates.join('\n')).map((block) => block.der.toString('base64')));
	additions = findPemBlocks(text)
		.filter((block) => CERTIFICATE_LABELS.has(block.label) && block.der.length && !bundled.has(block.der.toString('base64')))
		.map((block) => toPem(block));
	return additions;
}
