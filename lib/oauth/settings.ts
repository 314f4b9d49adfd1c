import { OAuthError } from './errors';

export const CLIENT_AUTH_METHODS = [
	'tls_client_auth',
	'self_signed_tls_client_auth',
	'private_key_jwt',
	'client_secret_basic',
	'client_secret_post',
] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** Methods where the certificate itself authenticates the client (RFC 8705 §2). */
export const CERTIFICATE_METHODS: ReadonlySet<ClientAuthMethod> = new Set(['tls_client_auth', 'self_signed_tls_client_auth']);

/** The OAuth part of the credential, validated. */
export interface OAuthSettings {
	/** Set when the user gave a Token URL; otherwise discovered from `issuerUrl`. */
	tokenUrl?: URL;
	issuerUrl?: URL;
	clientId: string;
	clientSecret?: string;
	scope?: string;
	/** Sent as RFC 8707 `resource`. */
	audience?: string;
	tokenParameters: Array<{ name: string; value: string }>;
	clientAuthMethod: ClientAuthMethod;
}

/** The credential's fields as n8n hands them over. */
export interface OAuthInput {
	authentication?: string;
	tokenUrl?: string;
	issuerUrl?: string;
	clientId?: string;
	clientSecret?: string;
	scope?: string;
	audience?: string;
	tokenParameters?: { parameter?: Array<{ name?: string; value?: string }> } | Array<{ name?: string; value?: string }>;
	clientAuthMethod?: string;
}

/** Parameters the token request sets itself; a duplicate would be ambiguous (RFC 6749 §3.2). */
const RESERVED = new Set(['grant_type', 'client_id', 'client_secret', 'client_assertion', 'client_assertion_type']);

/** True when the credential asks for a token. */
export function usesOAuth(input: OAuthInput): boolean {
	return input.authentication === 'oauth2ClientCredentials';
}

/**
 * @throws OAuthError OAUTH_SETTINGS_INVALID naming the field to fix
 */
export function readOAuthSettings(input: OAuthInput): OAuthSettings {
	const method = (input.clientAuthMethod || 'tls_client_auth') as ClientAuthMethod;
	if (!CLIENT_AUTH_METHODS.includes(method)) {
		invalid('clientAuthMethod', `The client authentication method "${method}" is not supported`, `Choose one of ${CLIENT_AUTH_METHODS.join(', ')}.`);
	}
	const clientId = (input.clientId ?? '').trim();
	if (!clientId) invalid('clientId', 'The "Client ID" field is empty', 'Enter the client ID the partner registered for this certificate.');
	const tokenUrl = optionalUrl(input.tokenUrl, 'tokenUrl', 'Token URL');
	const issuerUrl = optionalUrl(input.issuerUrl, 'issuerUrl', 'Issuer URL');
	if (!tokenUrl && !issuerUrl) {
		const fix = 'Enter the partner\'s token endpoint, or its issuer URL to read it from its metadata.';
		invalid('tokenUrl', 'Neither "Token URL" nor "Issuer URL" is set', fix);
	}
	const clientSecret = input.clientSecret || undefined;
	if (!clientSecret && (method === 'client_secret_basic' || method === 'client_secret_post')) {
		invalid('clientSecret', 'The "Client Secret" field is empty', `The method ${method} sends the client secret: enter it, or choose tls_client_auth.`);
	}
	return {
		tokenUrl,
		issuerUrl,
		clientId,
		clientSecret: method.startsWith('client_secret_') ? clientSecret : undefined,
		scope: input.scope?.trim() || undefined,
		audience: input.audience?.trim() || undefined,
		tokenParameters: readParameters(input.tokenParameters),
		clientAuthMethod: method,
	};
}

function readParameters(raw: OAuthInput['tokenParameters']): Array<{ name: string; value: string }> {
	const list = Array.isArray(raw) ? raw : raw?.parameter ?? [];
	return list
		.filter((entry) => entry.name?.trim())
		.map((entry) => {
			const name = String(entry.name).trim();
			if (RESERVED.has(name)) {
				const fix = 'Remove it from "Extra Token Parameters"; the client authentication method decides it.';
				invalid('tokenParameters', `The token parameter "${name}" is set by the node itself`, fix);
			}
			return { name, value: String(entry.value ?? '') };
		});
}

function optionalUrl(text: string | undefined, field: string, label: string): URL | undefined {
	const trimmed = text?.trim();
	if (!trimmed) return undefined;
	let url: URL;
	try {
		url = new URL(trimmed);
	} catch (error) {
		return invalid(field, `The "${label}" is not a valid URL`, 'Enter an https:// address.', error);
	}
	if (url.protocol !== 'https:') {
		invalid(field, `The "${label}" must start with https://`, 'The token request presents the client certificate and carries credentials: https only.');
	}
	return url;
}

function invalid(field: string, message: string, description: string, cause?: unknown): never {
	throw new OAuthError('OAUTH_SETTINGS_INVALID', message, { field, description, cause });
}
