import type { ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';

import { MtlsError } from '../../lib/errors';
import { createAgent } from '../../lib/http/agent';
import { probe } from '../../lib/http/probe';
import { describeCertificate } from '../../lib/tls/inspect';
import { loadMaterial, MaterialInput, TlsMaterial } from '../../lib/tls/material';

interface CredentialData extends MaterialInput {
	testUrl?: string;
}

/**
 * n8n's "Test" button: checks the material the way every execution does and says what it holds;
 * with a Test URL, also shakes hands with the partner's server and says whether it took the certificate.
 */
export async function mtlsCertificateTest(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	const data = (credential.data ?? {}) as unknown as CredentialData;
	let material: TlsMaterial;
	try {
		material = loadMaterial(data);
	} catch (error) {
		return { status: 'Error', message: describeError(error) };
	}
	const summary = summarize(material);
	if (!data.testUrl?.trim()) return { status: 'OK', message: summary };
	const agent = createAgent(material, { connectionsPerOrigin: 1 });
	try {
		const result = await probe(agent, data.testUrl.trim());
		return { status: result.accepted ? 'OK' : 'Error', message: `${result.message} ${summary}` };
	} catch (error) {
		return { status: 'Error', message: `${describeError(error)} ${summary}` };
	} finally {
		await agent.destroy();
	}
}

function summarize(material: TlsMaterial): string {
	const leaf = describeCertificate(material.leaf);
	const key = material.key;
	const keyText = key.curve ? `${key.type.toUpperCase()} ${key.curve}` : `${key.type.toUpperCase()}${key.size ? ` ${key.size} bit` : ''}`;
	const warnings = material.warnings.length ? ` Warning: ${material.warnings.join(' ')}` : '';
	return `Certificate "${leaf.subject}" issued by "${leaf.issuer}", valid until ${leaf.notAfter.slice(0, 10)} (${leaf.daysUntilExpiry} days left), key ${keyText}.${warnings}`;
}

function describeError(error: unknown): string {
	if (error instanceof MtlsError) return `${error.message}. ${error.description ?? ''}`.trim();
	return 'The credential could not be checked';
}
