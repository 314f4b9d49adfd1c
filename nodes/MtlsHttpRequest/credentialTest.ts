import type { ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';

import { RequestSpecError } from '../../lib/errors';
import { createAgent } from '../../lib/http/agent';
import { probe } from '../../lib/http/probe';
import { sharedMaterials } from '../../lib/tls/cache';
import { RotatingInput, selectMaterial, Selection } from '../../lib/tls/rotation';
import type { TransportPolicy } from '../../lib/http/policy';
import { credentialTestPolicy } from './context';
import { CredentialData as StoredCredential, materialInputOf, relabelForFiles } from './credentialSource';
import { describeTokenTest } from './oauth';
import { failedMessage, passedMessage, rejectedMessage } from './testMessages';

interface CredentialData extends StoredCredential {
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
	let input: RotatingInput;
	try {
		input = await materialInputOf(data);
		selection = selectMaterial(input, sharedMaterials);
	} catch (error) {
		return { status: 'Error', message: failedMessage(relabelForFiles(data, error)) };
	}
	const material = selection.material;
	let policy: TransportPolicy;
	try {
		policy = credentialTestPolicy();
	} catch (error) {
		const invalid = new RequestSpecError('PROXY_INVALID', 'The HTTPS_PROXY environment variable is not a valid URL', { description: 'Ask the administrator to fix it.', cause: error });
		return { status: 'Error', message: failedMessage(invalid, selection) };
	}
	// With Authentication set, the test also obtains a token and describes it (never shows it).
	let tokenSummary: string | undefined;
	try {
		tokenSummary = await describeTokenTest({ ...data, ...input }, selection, policy);
	} catch (error) {
		return { status: 'Error', message: failedMessage(error, selection) };
	}
	if (!data.testUrl?.trim()) return { status: 'OK', message: [tokenSummary, passedMessage(selection)].filter(Boolean).join('\n') };
	const agent = createAgent(material, { ...policy, connectionsPerOrigin: 1 });
	try {
		const result = await probe(agent, data.testUrl.trim(), policy.egress);
		if (!result.accepted) return { status: 'Error', message: rejectedMessage(selection, result) };
		return { status: 'OK', message: passedMessage(selection, result) };
	} catch (error) {
		return { status: 'Error', message: failedMessage(error, selection) };
	} finally {
		await agent.destroy();
	}
}
