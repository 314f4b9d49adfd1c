/**
 * Loading a credential, top to bottom: detect what was pasted (lib/tls/detect.ts) → open the
 * container (PEM key, or PKCS#12 in lib/tls/pkcs12.ts) → check the declared key-derivation cost
 * (lib/tls/cost.ts) → decrypt (lib/tls/decrypt.ts; OpenSSL reads PKCS#12 itself) → order the chain
 * (lib/tls/chain.ts) → build the TLS context (lib/tls/context.ts) → notes (lib/tls/notes.ts).
 */
import { createHmac, KeyObject, randomBytes, X509Certificate } from 'node:crypto';
import * as tls from 'node:tls';

import { checkValidity, findLeaf, orderChain } from './chain';
import { buildSecureContext, contextCertificate, KeySource, PfxRefused, TlsVersions } from './context';
import { checkCosts } from './cost';
import { declaredKdfsOfPem, decryptPemKey } from './decrypt';
import { detectBundle, detectCaCertificates, PemBundle } from './detect';
import { collectWarnings } from './notes';
import { declaredKdfs, decryptKeyBag, keyBagOf, OpenedPkcs12, openPkcs12, pbmac1Matches, Pkcs12Bag, readPkcs12File } from './pkcs12';
import { fail } from './texts';

export { checkValidity } from './chain';
export type { TlsVersions } from './context';
export { MAX_INPUT_CHARS } from './detect';

/** The credential as the user filled it in. */
export interface MaterialInput {
	certificateBundle: string;
	passphrase?: string;
	caCertificates?: string;
}

export interface KeyFacts {
	type: string;
	size?: number;
	curve?: string;
	encrypted: boolean;
	/** How the key was protected, e.g. "PBES2 aes-256-cbc, PBKDF2 hmacWithSHA256" or "PKCS#12 file (…)". */
	protection?: string;
	/** Protected with a cipher OpenSSL 3 only reads with its legacy provider (RC2, DES): decrypted by this node. */
	legacy: boolean;
}

/**
 * Everything a connection needs, parsed once. The private key lives only inside `secureContext`
 * (OpenSSL memory); nothing here holds the key or the passphrase in JavaScript.
 */
export interface TlsMaterial {
	secureContext: tls.SecureContext;
	/** The client certificate, whose public key matches the private key. */
	leaf: X509Certificate;
	/** Leaf first, then its issuers in order, then any other certificate of the bundle. */
	chain: X509Certificate[];
	/** Certificates of the "CA Certificates" field. */
	ca: X509Certificate[];
	key: KeyFacts;
	/** Things that work but deserve the user's attention. */
	warnings: string[];
	/** Identifies the credential (a hash of all its fields) for caches; reveals nothing of it. */
	fingerprint: string;
}

export interface LoadOptions {
	now?: Date;
	/** Refuse a client certificate outside its validity dates (default true). */
	checkValidity?: boolean;
	/** TLS versions the secure context allows (default TLSv1.2 to TLSv1.3). */
	versions?: TlsVersions;
}

/** What the decrypt and context steps agree on: the context's key, and the leaf once known. */
interface Loaded {
	secureContext: tls.SecureContext;
	leaf: X509Certificate;
	certificates: X509Certificate[];
	key: KeyFacts;
}

/**
 * Parses and checks the credential, and builds the TLS secure context every connection of an
 * execution shares.
 *
 * @throws MaterialError naming the field to fix
 */
export function loadMaterial(input: MaterialInput, options: LoadOptions = {}): TlsMaterial {
	const now = options.now ?? new Date();
	const versions = options.versions ?? {};
	const passphrase = input.passphrase ? input.passphrase : undefined;
	const bundle = detectBundle(input.certificateBundle ?? '');
	const ca = detectCaCertificates(input.caCertificates ?? '');
	const loaded = bundle.kind === 'pem' ? loadPem(bundle, passphrase, ca, versions) : loadPkcs12(bundle.der, passphrase, ca, versions);
	if (options.checkValidity ?? true) checkValidity(loaded.leaf, now);
	const chain = orderChain(loaded.leaf, loaded.certificates);
	return {
		secureContext: loaded.secureContext,
		leaf: loaded.leaf,
		chain,
		ca,
		key: loaded.key,
		warnings: collectWarnings(loaded.leaf, chain, ca, loaded.key),
		fingerprint: fingerprintOf(input),
	};
}

function loadPem(bundle: PemBundle, passphrase: string | undefined, ca: X509Certificate[], versions: TlsVersions): Loaded {
	checkCosts(declaredKdfsOfPem(bundle.key));
	const decrypted = decryptPemKey(bundle.key, passphrase);
	const leaf = findLeaf(decrypted.key, bundle.certificates);
	const chain = orderChain(leaf, bundle.certificates);
	const source: KeySource = { kind: 'pem', ...decrypted.contextKey, chain };
	const key = keyFacts(decrypted.key, { encrypted: decrypted.encrypted, protection: decrypted.protection, legacy: decrypted.legacy });
	return { secureContext: buildSecureContext(source, chain, ca, versions), leaf, certificates: bundle.certificates, key };
}

/**
 * PKCS#12: structure and costs first; the encrypted safe contents opened here list the certificates;
 * then OpenSSL reads the file into the context (it verifies the MAC and decrypts the key). Only
 * what OpenSSL refuses (RC2/DES, no MAC on OpenSSL 3.0, a MAC it does not know) is assembled here
 * from the key bag and the certificates; the key must then decrypt and match a certificate.
 */
function loadPkcs12(der: Buffer, passphrase: string | undefined, ca: X509Certificate[], versions: TlsVersions): Loaded {
	const file = readPkcs12File(der);
	checkCosts(declaredKdfs(file));
	const opened = openPkcs12(file, passphrase);
	checkCosts(declaredKdfs(file, opened.bags));
	const keyBag = keyBagOf(opened.bags);
	try {
		return buildPkcs12Context(der, passphrase, opened, keyBag, ca, versions);
	} finally {
		// A key bag in the clear is a copy (lib/tls/der.ts encodeDer): wipe it, as other plaintext keys.
		if (keyBag.kind === 'key') keyBag.der.fill(0);
	}
}

function buildPkcs12Context(der: Buffer, passphrase: string | undefined, opened: OpenedPkcs12, keyBag: Pkcs12Bag, ca: X509Certificate[], versions: TlsVersions): Loaded {
	const file = opened.file;
	if (opened.certificates.length === 0) throw fail('noCertificatePkcs12');
	const safes = file.safes.flatMap((safe) => (safe.encrypted ? [safe.encrypted.pbe.label] : []));
	const protection = `PKCS#12 file (key: ${keyBag.pbe?.label ?? 'not encrypted'}${safes.length ? `; certificates: ${[...new Set(safes)].join(', ')}` : ''})`;
	const legacy = [keyBag.pbe, ...file.safes.map((safe) => safe.encrypted?.pbe)].some((pbe) => pbe?.cipher?.engine === 'forge');
	// OpenSSL first, also for RC2 files: it verifies their MAC before it stops at the cipher it lacks.
	try {
		const secureContext = buildSecureContext({ kind: 'pfx', pfx: der, passphrase }, opened.certificates, ca, versions);
		const leaf = leafOf(secureContext, opened, keyBag);
		// OpenSSL checked that the key belongs to this certificate: the certificate's public key tells its type and size.
		const key = keyFacts(leaf.publicKey, { encrypted: keyBag.kind === 'shroudedKey', protection, legacy: false });
		return { secureContext, leaf, certificates: opened.certificates, key };
	} catch (error) {
		if (!(error instanceof PfxRefused)) throw error;
	}
	if (!pbmac1Matches(file, opened.password)) {
		// With certificates decrypted, the passphrase is right and the file was changed; without, it is the passphrase.
		const decrypted = file.safes.some((safe) => safe.encrypted);
		throw decrypted ? fail('pkcs12Unreadable', { reason: 'its MAC does not match its contents' }) : fail('passphraseWrong', { what: 'PKCS#12 file' });
	}
	const { key, contextKey } = decryptKeyBag(keyBag, passphrase, opened);
	const leaf = findLeaf(key, opened.certificates);
	const source: KeySource = { kind: 'pem', ...contextKey, chain: orderChain(leaf, opened.certificates) };
	const secureContext = buildSecureContext(source, opened.certificates, ca, versions);
	return { secureContext, leaf, certificates: opened.certificates, key: keyFacts(key, { encrypted: keyBag.kind === 'shroudedKey', protection, legacy }) };
}

/** The certificate OpenSSL paired with the key; by localKeyId, then the first, where Node cannot say. */
function leafOf(context: tls.SecureContext, opened: OpenedPkcs12, keyBag: Pkcs12Bag): X509Certificate {
	const der = contextCertificate(context);
	const chosen = der && opened.certificates.find((certificate) => certificate.raw.equals(der));
	if (chosen) return chosen;
	const index = opened.bags.filter((bag) => bag.kind === 'certificate').findIndex((bag) => bag.localKeyId !== undefined && bag.localKeyId === keyBag.localKeyId);
	return opened.certificates[Math.max(index, 0)];
}

function keyFacts(key: KeyObject, facts: { encrypted: boolean; protection?: string; legacy: boolean }): KeyFacts {
	const details = key.asymmetricKeyDetails ?? {};
	// Field by field: `facts` may be a whole DecryptedKey, whose context key must not travel further.
	const { encrypted, protection, legacy } = facts;
	return { type: key.asymmetricKeyType ?? 'unknown', size: details.modulusLength, curve: details.namedCurve, encrypted, protection, legacy };
}

/** Keys the fingerprints of this process; caches and sessions live no longer than it. */
const FINGERPRINT_KEY = randomBytes(32);

/**
 * An HMAC of every field of the credential under a per-process random key. A plain hash would let
 * anyone holding it and the bundle test passphrase guesses at hash speed, far faster than the key's
 * own key derivation allows.
 */
export function fingerprintOf(input: MaterialInput): string {
	return createHmac('sha256', FINGERPRINT_KEY)
		.update(JSON.stringify([input.certificateBundle ?? '', input.passphrase ?? '', input.caCertificates ?? '']))
		.digest('hex');
}
