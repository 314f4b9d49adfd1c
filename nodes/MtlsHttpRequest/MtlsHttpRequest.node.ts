import { NodeConnectionTypes } from 'n8n-workflow';
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
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'mtlsCertificateApi', required: true, testedBy: 'mtlsCertificateTest' }],
		properties,
	};

	methods = { credentialTest: { mtlsCertificateTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const operation = this.getNodeParameter('operation', 0, 'request') as string;
		return operation === 'certificateInfo' ? executeCertificateInfo(this) : executeRequests(this);
	}
}
