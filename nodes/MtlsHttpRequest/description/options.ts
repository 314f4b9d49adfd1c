import type { INodeProperties } from 'n8n-workflow';

import { paginationOption } from './pagination';

function tlsVersionOption(displayName: string, name: string, value: string, description: string): INodeProperties {
	return {
		displayName,
		name,
		type: 'options',
		options: [
			{ name: 'TLS 1.2', value: 'TLSv1.2' },
			{ name: 'TLS 1.3', value: 'TLSv1.3' },
		],
		default: value,
		description,
	};
}

/** The "Options" collection. Names and defaults follow n8n's HTTP Request node (V3); general options first, then TLS. */
export const optionsProperty: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add option',
	displayOptions: { show: { operation: ['request'] } },
	default: {},
	options: [
		{
			displayName: 'Array Format in Query Parameters',
			name: 'queryParameterArrays',
			type: 'options',
			displayOptions: { show: { '/sendQuery': [true] } },
			options: [
				{ name: 'No Brackets', value: 'repeat', description: 'E.g. foo=bar&foo=qux' },
				{ name: 'Brackets Only', value: 'brackets', description: 'E.g. foo[]=bar&foo[]=qux' },
				{ name: 'Brackets with Indices', value: 'indices', description: 'E.g. foo[0]=bar&foo[1]=qux' },
			],
			default: 'brackets',
		},
		{
			displayName: 'Batching',
			name: 'batching',
			placeholder: 'Add Batching',
			type: 'fixedCollection',
			typeOptions: { multipleValues: false },
			default: { batch: {} },
			options: [
				{
					displayName: 'Batching',
					name: 'batch',
					values: [
						{
							displayName: 'Items per Batch',
							name: 'batchSize',
							type: 'number',
							typeOptions: { minValue: -1 },
							default: 50,
							description: 'Input will be split in batches to throttle requests. -1 for disabled. 0 will be treated as 1. Requests of one batch run in parallel over the shared connections.',
						},
						{
							displayName: 'Batch Interval (Ms)',
							name: 'batchInterval',
							type: 'number',
							typeOptions: { minValue: 0 },
							default: 1000,
							description: 'Time (in milliseconds) between each batch of requests. 0 for disabled.',
						},
					],
				},
			],
		},
		{
			displayName: 'Lowercase Headers',
			name: 'lowercaseHeaders',
			type: 'boolean',
			default: true,
			description: 'Whether to lowercase header names',
		},
		{
			displayName: 'Max File Size (MB)',
			name: 'maxFileSize',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 4096,
			description: 'Largest file response to accept. Files are streamed into n8n binary data, not held in memory.',
		},
		{
			displayName: 'Max Response Size (MB)',
			name: 'maxResponseSize',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 64,
			description: 'Largest JSON or text response to accept; it is held in memory. For bigger downloads use Response Format "File".',
		},
		paginationOption,
		{
			displayName: 'Proxy',
			name: 'proxy',
			type: 'string',
			default: '',
			placeholder: 'e.g. http://myproxy:3128',
			description: 'HTTP proxy to use. The client certificate is presented to the API through a CONNECT tunnel, never to the proxy. Without it, HTTPS_PROXY and NO_PROXY from the environment apply.',
		},
		{
			displayName: 'Redirects',
			name: 'redirect',
			placeholder: 'Add Redirect',
			type: 'fixedCollection',
			typeOptions: { multipleValues: false },
			default: { redirect: {} },
			options: [
				{
					displayName: 'Redirect',
					name: 'redirect',
					values: [
						{
							displayName: 'Follow Redirects',
							name: 'followRedirects',
							type: 'boolean',
							default: true,
							noDataExpression: true,
							description: 'Whether to follow redirects to the same origin (https, same host and port). Redirects to plain http are never followed.',
						},
						{
							displayName: 'Max Redirects',
							name: 'maxRedirects',
							type: 'number',
							displayOptions: { show: { followRedirects: [true] } },
							default: 21,
							description: 'Max number of redirects to follow',
						},
						{
							displayName: 'Allow Cross-Origin',
							name: 'allowCrossOriginRedirects',
							type: 'boolean',
							displayOptions: { show: { followRedirects: [true] } },
							default: false,
							description:
								'Whether to follow redirects to another host or port. Warning: the client certificate is then presented to that host too; Authorization and Cookie headers are dropped.',
						},
					],
				},
			],
		},
		{
			displayName: 'Response',
			name: 'response',
			placeholder: 'Add response',
			type: 'fixedCollection',
			typeOptions: { multipleValues: false },
			default: { response: {} },
			options: [
				{
					displayName: 'Response',
					name: 'response',
					values: [
						{
							displayName: 'Include Response Headers and Status',
							name: 'fullResponse',
							type: 'boolean',
							default: false,
							description: 'Whether to return the full response (headers and response status code) data instead of only the body',
						},
						{
							displayName: 'Never Error',
							name: 'neverError',
							type: 'boolean',
							default: false,
							description: 'Whether to succeed also when the status code is not 2xx',
						},
						{
							displayName: 'Response Format',
							name: 'responseFormat',
							type: 'options',
							noDataExpression: true,
							options: [
								{ name: 'Autodetect', value: 'autodetect' },
								{ name: 'File', value: 'file' },
								{ name: 'JSON', value: 'json' },
								{ name: 'Text', value: 'text' },
							],
							default: 'autodetect',
							description: 'The format in which the data gets returned from the URL',
						},
						{
							displayName: 'Put Output in Field',
							name: 'outputPropertyName',
							type: 'string',
							default: 'data',
							required: true,
							displayOptions: { show: { responseFormat: ['file', 'text'] } },
							description: 'Name of the binary property (file) or field (text) to which to write the response',
						},
					],
				},
			],
		},
		{
			displayName: 'Timeout',
			name: 'timeout',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 10000,
			description: 'Time in ms to wait for the server to send response headers (and then each part of the body) before aborting the request',
		},
		// TLS settings last, each named "TLS: …": n8n lists a collection's options in this order, and
		// the prefix keeps them together and lets the dropdown's filter find them. Names (the paths
		// options.<name> that workflows use) stay those of the HTTP Request node.
		{
			displayName: 'TLS: Allow HTTP/2',
			name: 'allowHttp2',
			type: 'boolean',
			default: false,
			description: 'Whether to offer HTTP/2 to the server. Off by default: servers that ask for the client certificate per path (TLS renegotiation or post-handshake authentication) do not work over HTTP/2.',
		},
		{
			displayName: 'TLS: Expiry Warning (Days)',
			name: 'expiryWarningDays',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: 30,
			description: 'When a certificate of the credential expires within this many days, the execution shows a warning with the date',
		},
		{
			displayName: 'TLS: Ignore SSL Issues (Insecure)',
			name: 'allowUnauthorizedCerts',
			type: 'boolean',
			noDataExpression: true,
			default: false,
			description: "Whether to accept a server certificate that cannot be verified. The client certificate is still presented. Every execution then shows a warning. Prefer adding the partner's CA to the credential.",
		},
		tlsVersionOption('TLS: Maximum Version', 'maxTlsVersion', 'TLSv1.3', 'Highest TLS version to offer. Choose 1.2 for servers that ask for the client certificate only for some paths and fail under TLS 1.3.'),
		tlsVersionOption('TLS: Minimum Version', 'minTlsVersion', 'TLSv1.2', 'Lowest TLS version to accept'),
		{
			displayName: 'TLS: Pinned Public Keys',
			name: 'pinnedPublicKeys',
			type: 'string',
			default: '',
			placeholder: 'sha256//AbCd…=;sha256//EfGh…=',
			description: "SHA-256 pins of the server's public key, in curl's sha256//base64 form, separated by semicolons. Every connection checks that the server's key is one of them. Certificate Info with a Server URL shows the current pin.",
		},
		{
			displayName: 'TLS: Server Name (SNI)',
			name: 'serverName',
			type: 'string',
			default: '',
			placeholder: 'api.partner.example',
			description: 'Host name to send in TLS SNI and to check the server certificate against, when the URL uses an IP address or another name (e.g. a load balancer)',
		},
	],
};

/** Options of Certificate Info's server connection: it is made as a request's would be. */
const CONNECTION_OPTIONS = ['maxTlsVersion', 'minTlsVersion', 'pinnedPublicKeys', 'proxy', 'serverName'];

export const certificateInfoOptionsProperty: INodeProperties = {
	...optionsProperty,
	displayOptions: { show: { operation: ['certificateInfo'] } },
	options: optionsProperty.options?.filter((option) => CONNECTION_OPTIONS.includes(option.name)),
};
