import type { IExecuteFunctions } from 'n8n-workflow';

import { sharedMaterials } from '../../lib/tls/cache';
import { CLIENT_ROLE, commonName, expiryNotices } from '../../lib/tls/inspect';
import type { TlsMaterial, TlsVersions } from '../../lib/tls/material';
import { selectMaterial, Selection } from '../../lib/tls/rotation';
import { CredentialData, fileAccessOf, materialInputOf, relabelForFiles } from './credentialSource';

export const CREDENTIAL_TYPE = 'mtlsCertificateApi';
export const DEFAULT_EXPIRY_WARNING_DAYS = 30;
/** The role of a certificate from the credential's "CA Certificates" field. */
export const CA_FIELD_ROLE = 'CA certificate for the server';

/**
 * The credential's material for this execution: parsed once (and cached across executions),
 * checked at the door, the successor certificate chosen when its time has come.
 *
 * @throws MaterialError naming the credential field to fix
 */
export async function loadCredential(ctx: IExecuteFunctions, versions?: TlsVersions, now = new Date()): Promise<Selection> {
	const data = (await ctx.getCredentials(CREDENTIAL_TYPE)) as unknown as CredentialData;
	const input = await materialInputOf(data, fileAccessOf(ctx));
	try {
		return selectMaterial(input, sharedMaterials, now, versions);
	} catch (error) {
		throw relabelForFiles(data, error);
	}
}

/** Every certificate of the material with the role it plays, leaf first. */
export function certificatesOf(material: TlsMaterial, prefix = '', withCaField = true): Array<{ role: string; certificate: TlsMaterial['leaf'] }> {
	return [
		{ role: `${prefix}${CLIENT_ROLE}`, certificate: material.leaf },
		...material.chain.slice(1).map((certificate) => ({ role: `${prefix}${certificate.checkIssued(certificate) ? 'root' : 'intermediate'} CA certificate in the bundle`, certificate })),
		...(withCaField ? material.ca.map((certificate) => ({ role: CA_FIELD_ROLE, certificate })) : []),
	];
}

/** What the execution should tell the user about the credential, as execution hints. */
export function credentialNotices(selection: Selection, thresholdDays: number, now = new Date()): string[] {
	const notices = [...selection.material.warnings];
	if (selection.active === 'next') {
		notices.push(`Using the next client certificate "${commonName(selection.material.leaf)}" (valid from ${new Date(selection.material.leaf.validFrom).toISOString().slice(0, 10)}). Move it to "Certificate Bundle" when convenient.`);
	}
	// Once a valid successor is in place, the current certificate's expiry needs no attention.
	const standbyCovers = selection.active === 'current' && selection.standby !== undefined;
	const relevant = certificatesOf(selection.material).filter(({ role }) => !(standbyCovers && role === CLIENT_ROLE));
	return [...notices, ...expiryNotices(relevant, thresholdDays, now)];
}
