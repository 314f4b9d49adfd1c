import type { ICredentialType, Icon, INodeProperties } from 'n8n-workflow';

/**
 * What partners hand out for mutual TLS: a PEM bundle (encrypted private key + client
 * certificate + chain), the key's passphrase, and optionally the CA of their server; and, when
 * their API also wants an OAuth 2.0 token obtained with that certificate (RFC 8705), the client.
 */
export class MtlsCertificateApi implements ICredentialType {
	name = 'mtlsCertificateApi';

	displayName = 'mTLS Client Certificate API';

	icon: Icon = { light: 'file:mtlsCertificateApi.svg', dark: 'file:mtlsCertificateApi.dark.svg' };

	documentationUrl = 'https://github.com/n8n-nodes-mtls/n8n-nodes-mtls#the-credential';

	properties: INodeProperties[] = [
		{
			// n8n shows a passed Test only as "Connection tested successfully", so say where the details are.
			displayName:
				'Fill in Certificate Bundle and Passphrase; the other fields are optional. Saving tests the certificate (and the Test URL, if set). A failed test says what to fix; a passed one shows no details: the node\'s Certificate Info operation lists the subject, expiry and warnings.',
			name: 'notice',
			type: 'notice',
			default: '',
		},
		{
			displayName: 'Source',
			name: 'source',
			type: 'options',
			options: [
				{ name: 'Pasted', value: 'pasted', description: 'Paste the key and certificate below' },
				{ name: 'Files on the N8n Server', value: 'files', description: 'Read them from files mounted into n8n (cert-manager, Vault Agent…); re-read when they change' },
			],
			default: 'pasted',
		},
		{
			displayName: 'Bundle File',
			name: 'bundlePath',
			type: 'string',
			displayOptions: { show: { source: ['files'] } },
			default: '',
			placeholder: '/home/node/.n8n-files/certs/client.pem',
			description: 'Absolute path of a PEM file holding the private key and the client certificate (and its chain), or of a .p12/.pfx file. Leave empty when key and certificate are separate files.',
			hint:
				"Either this, or Key File with Certificate File. n8n reads files only inside N8N_RESTRICT_FILE_ACCESS_TO (n8n 2.x's default: ~/.n8n-files, in n8n's Docker image /home/node/.n8n-files) and never in its own folder.",
		},
		{
			displayName: 'Key File',
			name: 'keyPath',
			type: 'string',
			displayOptions: { show: { source: ['files'] } },
			default: '',
			placeholder: '/home/node/.n8n-files/certs/tls.key',
			description: 'Absolute path of the private key (PEM), e.g. tls.key of a Kubernetes secret. The Passphrase below applies when it is encrypted.',
		},
		// A path is not a secret; showing it lets users check it.
		// eslint-disable-next-line @n8n/community-nodes/credential-password-field
		{
			displayName: 'Certificate File',
			name: 'certificatePath',
			type: 'string',
			displayOptions: { show: { source: ['files'] } },
			default: '',
			placeholder: '/home/node/.n8n-files/certs/tls.crt',
			description: 'Absolute path of the client certificate (PEM), with its chain if the file holds it, e.g. tls.crt of a Kubernetes secret',
		},
		{
			displayName: 'CA File',
			name: 'caPath',
			type: 'string',
			displayOptions: { show: { source: ['files'] } },
			default: '',
			placeholder: 'Optional: /home/node/.n8n-files/certs/partner-ca.pem',
			description: "Optional. Absolute path of PEM certificate(s) of the CA that signed the partner's server certificate, added to the CA Certificates field",
		},
		{
			displayName: 'Certificate Bundle',
			name: 'certificateBundle',
			type: 'string',
			typeOptions: { password: true, rows: 10 },
			default: '',
			required: true,
			displayOptions: { show: { source: ['pasted'] } },
			placeholder: '-----BEGIN ENCRYPTED PRIVATE KEY-----\n…\n-----END ENCRYPTED PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\n…',
			description:
				'The PEM text the partner gave you: the private key (PKCS#8, usually encrypted) and the client certificate, plus any intermediate certificates, in any order. A .p12/.pfx file works too, pasted as base64 (base64 -w0 client.p12).',
			hint: 'Private key + client certificate as PEM text, or a .p12/.pfx file as base64',
		},
		{
			displayName: 'Passphrase',
			name: 'passphrase',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'The passphrase of the private key, exactly as given (spaces and letter case count). Leave empty only for an unencrypted key.',
			hint: 'Of the private key, or the .p12 file\'s password. Empty only for an unencrypted key.',
		},
		// CA certificates are public; showing them lets users check what they pasted.
		// eslint-disable-next-line @n8n/community-nodes/credential-password-field
		{
			displayName: 'CA Certificates',
			name: 'caCertificates',
			type: 'string',
			typeOptions: { rows: 6 },
			default: '',
			placeholder: '-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----',
			description:
				"Optional. PEM certificate(s) of the CA that signed the partner's server certificate. They are added to the usual public CAs, not used instead of them.",
			hint: "Optional. Only when the partner's server certificate comes from a private CA",
		},
		{
			displayName: 'Test URL',
			name: 'testUrl',
			type: 'string',
			default: '',
			placeholder: 'https://api.partner.example/health',
			description:
				"Optional. When set, the credential's Test button also connects to this https:// URL with the certificate and tells you whether the partner's server accepts it. Any path works; a GET is sent.",
			hint: "Optional. With it, the test also checks that the partner's server accepts the certificate",
		},
		{
			displayName:
				'Certificate rotation (optional): before the current certificate expires, paste its successor below. The node switches to it on its start date, with no edit on the day.',
			name: 'rotationNotice',
			type: 'notice',
			default: '',
		},
		{
			displayName: 'Next Certificate Bundle',
			name: 'nextCertificateBundle',
			type: 'string',
			typeOptions: { password: true, rows: 6 },
			default: '',
			placeholder: 'Optional: the next key + certificate (PEM), or .p12 as base64',
			description:
				'Optional. The successor certificate and key, in the same form as the Certificate Bundle. The node switches to it on its start date (or as soon as the current certificate expires), so a rotation needs no edit on the day.',
		},
		{
			displayName: 'Next Passphrase',
			name: 'nextPassphrase',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			placeholder: 'Optional',
			description: 'The passphrase of the next key (or the next .p12 file\'s password)',
		},
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'options',
			options: [
				{ name: 'None', value: 'none', description: 'The client certificate is the only credential' },
				{
					name: 'OAuth2 Client Credentials over mTLS',
					value: 'oauth2ClientCredentials',
					description: 'Get an access token with this certificate (RFC 8705) and send it as Bearer token with every request',
				},
			],
			default: 'none',
			description: 'Open Banking, FAPI and many gateways also want an OAuth 2.0 access token obtained with the same certificate',
		},
		{
			displayName: 'Token URL',
			name: 'tokenUrl',
			type: 'string',
			default: '',
			placeholder: 'https://mtls.as.partner.example/token',
			description: 'The token endpoint (for servers with RFC 8705 aliases, the mTLS one). Wins over the Issuer URL when both are set.',
			hint: 'Or leave empty and set the Issuer URL to read it from the partner\'s metadata',
			displayOptions: { show: { authentication: ['oauth2ClientCredentials'] } },
		},
		{
			displayName: 'Issuer URL',
			name: 'issuerUrl',
			type: 'string',
			default: '',
			placeholder: 'https://as.partner.example',
			description:
				'Optional. The authorization server\'s issuer: the token endpoint is read from /.well-known/oauth-authorization-server or openid-configuration, preferring mtls_endpoint_aliases',
			displayOptions: { show: { authentication: ['oauth2ClientCredentials'] } },
		},
		{
			displayName: 'Client ID',
			name: 'clientId',
			type: 'string',
			default: '',
			description: 'The client ID the partner registered for this certificate',
			displayOptions: { show: { authentication: ['oauth2ClientCredentials'] } },
		},
		{
			displayName: 'Client Authentication',
			name: 'clientAuthMethod',
			type: 'options',
			options: [
				{ name: 'Certificate (tls_client_auth)', value: 'tls_client_auth', description: 'The CA-issued certificate authenticates the client; register its subject DN' },
				{ name: 'Self-Signed Certificate (self_signed_tls_client_auth)', value: 'self_signed_tls_client_auth', description: 'Register the certificate (its x5t#S256 thumbprint) in the client\'s JWKS' },
				{ name: 'Signed JWT (private_key_jwt)', value: 'private_key_jwt', description: 'A short-lived assertion signed with the certificate\'s key' },
				{ name: 'Client Secret in Header (client_secret_basic)', value: 'client_secret_basic' },
				{ name: 'Client Secret in Body (client_secret_post)', value: 'client_secret_post' },
			],
			default: 'tls_client_auth',
			description: 'How the client proves who it is at the token endpoint (token_endpoint_auth_method at the partner)',
			displayOptions: { show: { authentication: ['oauth2ClientCredentials'] } },
		},
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: { show: { authentication: ['oauth2ClientCredentials'], clientAuthMethod: ['client_secret_basic', 'client_secret_post'] } },
		},
		{
			displayName: 'Scope',
			name: 'scope',
			type: 'string',
			default: '',
			placeholder: 'accounts payments',
			description: 'Optional. Space-separated scopes to ask for',
			displayOptions: { show: { authentication: ['oauth2ClientCredentials'] } },
		},
		{
			displayName: 'Audience',
			name: 'audience',
			type: 'string',
			default: '',
			placeholder: 'https://api.partner.example/',
			description: 'Optional. The API the token is for, sent as "resource" (RFC 8707)',
			displayOptions: { show: { authentication: ['oauth2ClientCredentials'] } },
		},
		// Extra parameters name public things (an account, a purpose); secrets belong in Client Secret.
		// eslint-disable-next-line @n8n/community-nodes/credential-password-field
		{
			displayName: 'Extra Token Parameters',
			name: 'tokenParameters',
			type: 'fixedCollection',
			typeOptions: { multipleValues: true },
			default: {},
			placeholder: 'Add Parameter',
			description: 'Optional. More form parameters for the token request, as the partner documents them',
			displayOptions: { show: { authentication: ['oauth2ClientCredentials'] } },
			options: [
				{
					displayName: 'Parameter',
					name: 'parameter',
					values: [
						{ displayName: 'Name', name: 'name', type: 'string', default: '' },
						{ displayName: 'Value', name: 'value', type: 'string', default: '' },
					],
				},
			],
		},
	];
}
