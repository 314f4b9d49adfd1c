import type { INodeProperties } from 'n8n-workflow';

const onCreateCsr = { operation: ['createCsr'] };

/** The "Create Key and CSR" operation: what the partner's renewal needs, nothing sent anywhere. */
export const createCsrProperties: INodeProperties[] = [
	{
		displayName:
			'Creates a new private key and a certificate signing request (CSR) to send to the partner. The key is encrypted with the credential\'s "Next Passphrase" (required). When the partner returns the certificate, paste it with the encrypted key into "Next Certificate Bundle": the node switches on the certificate\'s start date.',
		name: 'createCsrNotice',
		type: 'notice',
		displayOptions: { show: onCreateCsr },
		default: '',
	},
	{
		displayName: 'Key Type',
		name: 'keyType',
		type: 'options',
		displayOptions: { show: onCreateCsr },
		options: [
			{ name: 'EC P-256', value: 'ec-p256', description: 'Small and fast; accepted by most CAs and TLS servers today' },
			{ name: 'EC P-384', value: 'ec-p384', description: 'When the partner asks for P-384 (some government and banking policies)' },
			{ name: 'RSA 2048', value: 'rsa-2048', description: 'Accepted everywhere, also by older partner systems that take RSA only' },
			{ name: 'RSA 3072', value: 'rsa-3072', description: 'RSA for policies that require more than 2048 bits' },
			{ name: 'RSA 4096', value: 'rsa-4096', description: 'RSA for policies that require 4096 bits; slower handshakes' },
			{ name: 'Ed25519', value: 'ed25519', description: 'Only when the partner asks for it: many CAs and TLS servers do not accept Ed25519' },
		],
		default: 'ec-p256',
		description: 'The key the partner asked for. When unsure, use what the current certificate has (Certificate Info shows its key type).',
	},
	{
		displayName: 'Subject',
		name: 'subjectSource',
		type: 'options',
		displayOptions: { show: onCreateCsr },
		options: [
			{
				name: 'Copy From Current Certificate',
				value: 'currentCertificate',
				description: 'The usual renewal: the same subject, byte for byte, and its alternative names',
			},
			{ name: 'Enter Fields', value: 'fields', description: 'For a new identity, or when the partner asked for other values' },
		],
		default: 'currentCertificate',
	},
	{
		displayName: 'Subject Fields',
		name: 'subjectFields',
		type: 'collection',
		displayOptions: { show: { ...onCreateCsr, subjectSource: ['fields'] } },
		placeholder: 'Add Field',
		default: { commonName: '' },
		options: [
			{ displayName: 'Common Name (CN)', name: 'commonName', type: 'string', default: '', placeholder: 'client.example.com' },
			{ displayName: 'Country (C)', name: 'country', type: 'string', default: '', placeholder: 'DE', description: 'Two-letter ISO 3166 code' },
			{ displayName: 'E-Mail Address', name: 'email', type: 'string', default: '', placeholder: 'name@email.com' },
			{ displayName: 'Locality (L)', name: 'locality', type: 'string', default: '', placeholder: 'Berlin' },
			{ displayName: 'Organization (O)', name: 'organization', type: 'string', default: '', placeholder: 'Example Ltd' },
			{ displayName: 'Organizational Unit (OU)', name: 'organizationalUnit', type: 'string', default: '', placeholder: 'Payments' },
			{ displayName: 'State or Province (ST)', name: 'state', type: 'string', default: '', placeholder: 'Berlin' },
		],
	},
	{
		displayName: 'Subject Alternative Names',
		name: 'subjectAltNames',
		type: 'fixedCollection',
		displayOptions: { show: onCreateCsr },
		typeOptions: { multipleValues: true },
		placeholder: 'Add Alternative Name',
		default: {},
		description: 'Optional. When set, they replace the alternative names copied from the current certificate.',
		options: [
			{
				name: 'altNames',
				displayName: 'Alternative Name',
				values: [
					{
						displayName: 'Type',
						name: 'type',
						type: 'options',
						options: [
							{ name: 'DNS Name', value: 'dns' },
							{ name: 'E-Mail', value: 'email' },
							{ name: 'IP Address', value: 'ip' },
							{ name: 'URI', value: 'uri' },
						],
						default: 'dns',
					},
					{ displayName: 'Value', name: 'value', type: 'string', default: '', placeholder: 'client.example.com' },
				],
			},
		],
	},
];
