import type { ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';

import { MtlsError } from '../../lib/errors';
import { describeCertificate } from '../../lib/tls/inspect';
import { loadMaterial, MaterialInput } from '../../lib/tls/material';

/** n8n's "Test" button: checks the material the way every execution does, and says what it holds. */
export async function mtlsCertificateTest(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	try {
		const material = loadMaterial((credential.data ?? {}) as unknown as MaterialInput);
		const leaf = describeCertificate(material.leaf);
		const key = material.key;
		const keyText = key.curve ? `${key.type.toUpperCase()} ${key.curve}` : `${key.type.toUpperCase()}${key.size ? ` ${key.size} bit` : ''}`;
		const warnings = material.warnings.length ? ` Warning: ${material.warnings.join(' ')}` : '';
		return {
			status: 'OK',
			message: `Certificate "${leaf.subject}" issued by "${leaf.issuer}", valid until ${leaf.notAfter.slice(0, 10)} (${leaf.daysUntilExpiry} days left), key ${keyText}.${warnings}`,
		};
	} catch (error) {
		if (error instanceof MtlsError) return { status: 'Error', message: `${error.message}. ${error.description ?? ''}`.trim() };
		return { status: 'Error', message: 'The credential could not be checked' };
	}
}
