import type { INodeProperties } from 'n8n-workflow';

/** The "Options" collection. Names and defaults follow n8n's HTTP Request node (V3). */
export const optionsProperty: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add option',
	displayOptions: { show: { operation: ['request'] } },
	default: {},
	options: [
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
			displayName: 'Expiry Warning (Days)',
			name: 'expiryWarningDays',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: 30,
			description: 'When a certificate of the credential expires within this many days, the execution shows a warning with the date',
		},
		{
			displayName: 'Lowercase Headers',
			name: 'lowercaseHeaders',
			type: 'boolean',
			default: true,
			description: 'Whether to lowercase header names',
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
							displayName: 'Allow Cross-Origin Redirects',
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
							displayOptions: { show: { responseFormat: ['text'] } },
							description: 'Name of the field to which to write the text of the response',
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
	],
};
