import { MaterialError } from '../errors';
import { MaterialCache } from './cache';
import { checkValidity, MaterialInput, TlsMaterial, TlsVersions } from './material';
import { fail } from './texts';

/** The credential with its optional successor certificate. */
export interface RotatingInput extends MaterialInput {
	nextCertificateBundle?: string;
	nextPassphrase?: string;
}

export interface Selection {
	/** The material to use now. */
	material: TlsMaterial;
	/** Which of the two it is. */
	active: 'current' | 'next';
	/** The other one, when a successor is configured. */
	standby?: TlsMaterial;
}

/**
 * Picks the certificate to present: the successor from its notBefore on (or as soon as the current
 * one has expired), the current one before that. Both are parsed with the same checks.
 *
 * @throws MaterialError when neither certificate is valid now, or one of them cannot be read
 */
export function selectMaterial(input: RotatingInput, cache: MaterialCache, now = new Date(), versions?: TlsVersions): Selection {
	const { current, next } = loadCandidates(input, cache, now, versions);
	if (!next) {
		checkValidity(current.leaf, now);
		return { material: current, active: 'current' };
	}
	if (isValid(next, now)) return { material: next, active: 'next', standby: current };
	if (isValid(current, now)) return { material: current, active: 'current', standby: next };
	const span = (material: TlsMaterial) => `from ${iso(material.leaf.validFrom)} to ${iso(material.leaf.validTo)}`;
	throw fail('noValidCertificate', { now: now.toISOString(), current: span(current), next: span(next) });
}

/**
 * Both certificates of the credential, parsed and checked except for their dates (so that
 * monitoring can report an expired one).
 *
 * @throws MaterialError naming the field to fix
 */
export function loadCandidates(input: RotatingInput, cache: MaterialCache, now = new Date(), versions?: TlsVersions): { current: TlsMaterial; next?: TlsMaterial } {
	const current = cache.load(input, { now, checkValidity: false, versions });
	return { current, next: input.nextCertificateBundle?.trim() ? loadNext(input, cache, now, versions) : undefined };
}

function loadNext(input: RotatingInput, cache: MaterialCache, now: Date, versions?: TlsVersions): TlsMaterial {
	try {
		return cache.load({ certificateBundle: input.nextCertificateBundle ?? '', passphrase: input.nextPassphrase, caCertificates: input.caCertificates }, { now, checkValidity: false, versions });
	} catch (error) {
		if (!(error instanceof MaterialError) || error.field === 'caCertificates') throw error;
		// The same checks, told about the successor's fields.
		const rename = (text: string) => text.replace(/"Certificate Bundle"/g, '"Next Certificate Bundle"').replace(/"Passphrase"/g, '"Next Passphrase"');
		throw new MaterialError(error.code, rename(error.message), {
			field: error.field === 'passphrase' ? 'nextPassphrase' : 'nextCertificateBundle',
			description: error.description && rename(error.description),
			cause: error,
		});
	}
}

function isValid(material: TlsMaterial, now: Date): boolean {
	return new Date(material.leaf.validFrom) <= now && now <= new Date(material.leaf.validTo);
}

function iso(date: string): string {
	return new Date(date).toISOString();
}
