import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { mtlsCertificateTest } from './credentialTest';
import { properties } from './description';
import { executeCertificateInfo } from './certificateInfo';
import { executeRequests } from './execute';

export class MtlsHttpRequest implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'mTLS HTTP Request',
		name: 'mtlsHttpRequest',
		icon: { light: 'file:mtlsHttpRequest.svg', dark: 'file:mtlsHttpRequest.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle: '={{$parameter["operation"] === "certificateInfo" ? "Certificate Info" : $parameter["method"] + ": " + $parameter["url"]}}',
		description: "Call a partner's REST API over mutual TLS with a client certificate",
		defaults: { name: 'mTLS HTTP Request' },
		usableAsTool: true,
		// The string, not NodeConnectionTypes.Main: n8n-workflow 1.79–1.82 (n8n ≤ 1.82) has no
		// NodeConnectionTypes, so reading it throws and n8n skips the whole package ("Class could not be found").
		// eslint-disable-next-line @n8n/community-nodes/node-connection-type-literal
		inputs: ['main'],
		// eslint-disable-next-line @n8n/community-nodes/node-connection-type-literal
		outputs: ['main'],
		credentials: [{ name: 'mtlsCertificateApi', required: true, testedBy: 'mtlsCertificateTest' }],
		properties,
	};

	methods = { credentialTest: { mtlsCertificateTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const operation = this.getNodeParameter('operation', 0, 'request') as string;
		return operation === 'certificateInfo' ? executeCertificateInfo(this) : executeRequests(this);
	}
}
