import type { ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';

import { MtlsError, RequestSpecError } from '../../lib/errors';
import { createAgent } from '../../lib/http/agent';
import { probe } from '../../lib/http/probe';
import { sharedMaterials } from '../../lib/tls/cache';
import { describeCertificate } from '../../lib/tls/inspect';
import type { TlsMaterial } from '../../lib/tls/material';
import { RotatingInput, selectMaterial, Selection } from '../../lib/tls/rotation';
import type { TransportPolicy } from '../../lib/http/policy';
import { credentialTestPolicy } from './context';
import { credentialNotices, DEFAULT_EXPIRY_WARNING_DAYS } from './credential';

interface CredentialData extends RotatingInput {
	testUrl?: string;
}

/**
 * n8n's "Test" button: checks the material the way every execution does and says what it holds;
 * with a Test URL, also shakes hands with the partner's server and says whether it took the
 * certificate, connecting under the instance's outbound rules and proxy like an execution.
 */
export async function mtlsCertificateTest(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	const data = (credential.data ?? {}) as unknown as CredentialData;
	let selection: Selection;
	try {
		selection = selectMaterial(data, sharedMaterials);
	} catch (error) {
		return { status: 'Error', message: describeError(error) };
	}
	const material = selection.material;
	const summary = summarize(selection);
	if (!data.testUrl?.trim()) return { status: 'OK', message: summary };
	let policy: TransportPolicy;
	try {
		policy = credentialTestPolicy();
	} catch (error) {
		const invalid = new RequestSpecError('PROXY_INVALID', 'The HTTPS_PROXY environment variable is not a valid URL', { description: 'Ask the administrator to fix it.', cause: error });
		return { status: 'Error', message: `${describeError(invalid)} ${summary}` };
	}
	const agent = createAgent(material, { ...policy, connectionsPerOrigin: 1 });
	try {
		const result = await probe(agent, data.testUrl.trim(), policy.egress);
		return { status: result.accepted ? 'OK' : 'Error', message: `${result.message} ${summary}` };
	} catch (error) {
		return { status: 'Error', message: `${describeError(error)} ${summary}` };
	} finally {
		await agent.destroy();
	}
}

function summarize(selection: Selection): string {
	const notices = credentialNotices(selection, DEFAULT_EXPIRY_WARNING_DAYS);
	const warnings = notices.length ? ` Warning: ${notices.join(' ')}` : '';
	const standby = selection.standby ? ` ${selection.active === 'next' ? 'Previous' : 'Next'} certificate: ${describe(selection.standby)}` : '';
	return `Certificate ${describe(selection.material)}${warnings}${standby}`;
}

function describe(material: TlsMaterial): string {
	const leaf = describeCertificate(material.leaf);
	const key = material.key;
	const keyText = key.curve ? `${key.type.toUpperCase()} ${key.curve}` : `${key.type.toUpperCase()}${key.size ? ` ${key.size} bit` : ''}`;
	const validity = leaf.daysUntilExpiry >= 0 && new Date(leaf.notBefore) <= new Date()
		? `valid until ${leaf.notAfter.slice(0, 10)} (${leaf.daysUntilExpiry} days left)`
		: `valid from ${leaf.notBefore.slice(0, 10)} to ${leaf.notAfter.slice(0, 10)}`;
	return `"${leaf.subject}" issued by "${leaf.issuer}", ${validity}, key ${keyText}.`;
}

function describeError(error: unknown): string {
	if (error instanceof MtlsError) return `${error.message}. ${error.description ?? ''}`.trim();
	return 'The credential could not be checked';
}
