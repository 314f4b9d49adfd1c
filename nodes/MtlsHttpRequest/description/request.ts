import type { IDisplayOptions, INodeProperties } from 'n8n-workflow';

type Show = NonNullable<IDisplayOptions['show']>;

/** Parameters shared with n8n's HTTP Request node (V3): same names, same meaning. */

function keyValueCollection(name: string, displayName: string, itemName: string, show: Show): INodeProperties {
	return {
		displayName,
		name,
		type: 'fixedCollection',
		displayOptions: { show },
		typeOptions: { multipleValues: true },
		placeholder: `Add ${itemName}`,
		default: { parameters: [{ name: '', value: '' }] },
		options: [
			{
				name: 'parameters',
				displayName: itemName,
				values: [
					{ displayName: 'Name', name: 'name', type: 'string', default: '' },
					{ displayName: 'Value', name: 'value', type: 'string', default: '' },
				],
			},
		],
	};
}

function specifyOptions(name: string, displayName: string, show: Show, alternative: { name: string; value: string }): INodeProperties {
	return {
		displayName,
		name,
		type: 'options',
		displayOptions: { show },
		options: [{ name: 'Using Fields Below', value: 'keypair' }, alternative],
		default: 'keypair',
	};
}

const USING_JSON = { name: 'Using JSON', value: 'json' };

export const operationProperty: INodeProperties = {
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	options: [
		{
			name: 'Request',
			value: 'request',
			action: 'Send a request over mutual TLS',
			description: 'Call the API with the client certificate of the credential',
		},
		{
			name: 'Certificate Info',
			value: 'certificateInfo',
			action: 'Report the certificates and their expiry',
			// n8n's Operation dropdown shows about one line of description; the node's docs say the rest.
			description: 'List the certificates and their expiry, with no request',
		},
		{
			name: 'Create Key and CSR',
			value: 'createCsr',
			action: 'Create a new key and a certificate signing request',
			description: 'Renew the client certificate: a new key and a CSR for the partner, with no request',
		},
	],
	default: 'request',
};

const onRequest = { operation: ['request'] };
const onCertificateInfo = { operation: ['certificateInfo'] };

export const certificateInfoProperties: INodeProperties[] = [
	{
		displayName: 'Server URL',
		name: 'serverUrl',
		type: 'string',
		displayOptions: { show: onCertificateInfo },
		default: '',
		placeholder: 'https://api.partner.example',
		description: "Optional. Also connect here with the client certificate and report the certificates of the partner's server. Nothing is sent after the handshake.",
	},
	{
		displayName: 'Expiry Warning (Days)',
		name: 'expiryWarningDays',
		type: 'number',
		displayOptions: { show: onCertificateInfo },
		typeOptions: { minValue: 0 },
		default: 30,
		description: 'Certificates expiring within this many days get expiresSoon: true',
	},
];

export const requestProperties: INodeProperties[] = [
	{
		displayName: 'Method',
		name: 'method',
		type: 'options',
		displayOptions: { show: onRequest },
		options: ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'].map((method) => ({ name: method, value: method })),
		default: 'GET',
		description: 'The request method to use',
	},
	{
		displayName: 'URL',
		name: 'url',
		type: 'string',
		displayOptions: { show: onRequest },
		default: '',
		placeholder: 'https://api.partner.example/v1/accounts',
		description: 'The https:// URL to make the request to. The client certificate is only sent over https.',
		required: true,
	},
	{
		displayName: 'Send Query Parameters',
		name: 'sendQuery',
		type: 'boolean',
		displayOptions: { show: onRequest },
		default: false,
		noDataExpression: true,
		description: 'Whether the request has query params or not',
	},
	specifyOptions('specifyQuery', 'Specify Query Parameters', { ...onRequest, sendQuery: [true] }, USING_JSON),
	keyValueCollection('queryParameters', 'Query Parameters', 'Query Parameter', { ...onRequest, sendQuery: [true], specifyQuery: ['keypair'] }),
	{
		displayName: 'JSON',
		name: 'jsonQuery',
		type: 'json',
		displayOptions: { show: { ...onRequest, sendQuery: [true], specifyQuery: ['json'] } },
		default: '',
	},
	{
		displayName: 'Send Headers',
		name: 'sendHeaders',
		type: 'boolean',
		displayOptions: { show: onRequest },
		default: false,
		noDataExpression: true,
		description: 'Whether the request has headers or not',
	},
	specifyOptions('specifyHeaders', 'Specify Headers', { ...onRequest, sendHeaders: [true] }, USING_JSON),
	keyValueCollection('headerParameters', 'Headers', 'Header', { ...onRequest, sendHeaders: [true], specifyHeaders: ['keypair'] }),
	{
		displayName: 'JSON',
		name: 'jsonHeaders',
		type: 'json',
		displayOptions: { show: { ...onRequest, sendHeaders: [true], specifyHeaders: ['json'] } },
		default: '',
	},
	{
		displayName: 'Send Body',
		name: 'sendBody',
		type: 'boolean',
		displayOptions: { show: onRequest },
		default: false,
		noDataExpression: true,
		description: 'Whether the request has a body or not',
	},
	{
		displayName: 'Body Content Type',
		name: 'contentType',
		type: 'options',
		displayOptions: { show: { ...onRequest, sendBody: [true] } },
		options: [
			{ name: 'Form URL Encoded', value: 'form-urlencoded' },
			{ name: 'Form-Data', value: 'multipart-form-data' },
			{ name: 'JSON', value: 'json' },
			{ name: 'n8n Binary File', value: 'binaryData' },
			{ name: 'Raw', value: 'raw' },
		],
		default: 'json',
		description: 'Content-Type to use to send body parameters',
	},
	specifyOptions('specifyBody', 'Specify Body', { ...onRequest, sendBody: [true], contentType: ['json'] }, USING_JSON),
	keyValueCollection('bodyParameters', 'Body Parameters', 'Body Field', { ...onRequest, sendBody: [true], contentType: ['json'], specifyBody: ['keypair'] }),
	{
		displayName: 'JSON',
		name: 'jsonBody',
		type: 'json',
		displayOptions: { show: { ...onRequest, sendBody: [true], contentType: ['json'], specifyBody: ['json'] } },
		default: '',
	},
	specifyOptions('specifyBody', 'Specify Body', { ...onRequest, sendBody: [true], contentType: ['form-urlencoded'] }, { name: 'Using Single Field', value: 'string' }),
	keyValueCollection('bodyParameters', 'Body Fields', 'Field', { ...onRequest, sendBody: [true], contentType: ['form-urlencoded'], specifyBody: ['keypair'] }),
	{
		displayName: 'Body',
		name: 'body',
		type: 'string',
		displayOptions: { show: { ...onRequest, sendBody: [true], contentType: ['form-urlencoded'], specifyBody: ['string'] } },
		default: '',
		placeholder: 'field1=value1&field2=value2',
	},
	{
		displayName: 'Body Parameters',
		name: 'bodyParameters',
		type: 'fixedCollection',
		displayOptions: { show: { ...onRequest, sendBody: [true], contentType: ['multipart-form-data'] } },
		typeOptions: { multipleValues: true },
		placeholder: 'Add Parameter',
		default: { parameters: [{ parameterType: 'formData', name: '', value: '' }] },
		options: [
			{
				name: 'parameters',
				displayName: 'Parameter',
				values: [
					{
						displayName: 'Parameter Type',
						name: 'parameterType',
						type: 'options',
						options: [
							{ name: 'n8n Binary File', value: 'formBinaryData' },
							{ name: 'Form Data', value: 'formData' },
						],
						default: 'formData',
					},
					{ displayName: 'Name', name: 'name', type: 'string', default: '', description: 'Name of the form field' },
					{
						displayName: 'Value',
						name: 'value',
						type: 'string',
						displayOptions: { show: { parameterType: ['formData'] } },
						default: '',
					},
					{
						displayName: 'Input Data Field Name',
						name: 'inputDataFieldName',
						type: 'string',
						displayOptions: { show: { parameterType: ['formBinaryData'] } },
						default: '',
						description: 'The name of the incoming field containing the binary file data to be processed',
					},
				],
			},
		],
	},
	{
		displayName: 'Input Data Field Name',
		name: 'inputDataFieldName',
		type: 'string',
		displayOptions: { show: { ...onRequest, sendBody: [true], contentType: ['binaryData'] } },
		default: '',
		description: 'The name of the incoming field containing the binary file data to be processed',
	},
	{
		displayName: 'Content Type',
		name: 'rawContentType',
		type: 'string',
		displayOptions: { show: { ...onRequest, sendBody: [true], contentType: ['raw'] } },
		default: '',
		placeholder: 'text/xml',
	},
	{
		displayName: 'Body',
		name: 'body',
		type: 'string',
		displayOptions: { show: { ...onRequest, sendBody: [true], contentType: ['raw'] } },
		default: '',
	},
];
