import type { IExecuteFunctions } from 'n8n-workflow';
import type { Dispatcher } from 'undici';

import { AgentOptions, createAgent } from '../../lib/http/agent';
import { HttpRequest, open, readBody, StreamedResponse } from '../../lib/http/send';
import { sendWithToken } from '../../lib/oauth/authorize';
import { TokenCache } from '../../lib/oauth/cache';
import { OAuthSession } from '../../lib/oauth/session';
import { OAuthInput, OAuthSettings, readOAuthSettings, usesOAuth } from '../../lib/oauth/settings';
import { loadSigningKey } from '../../lib/oauth/signingKey';
import type { RotatingInput, Selection } from '../../lib/tls/rotation';
import { CREDENTIAL_TYPE } from './credential';
import { CredentialData, fileAccessOf, materialInputOf } from './credentialSource';

/** What the execution needs to get tokens: the validated settings and the active certificate's fields. */
export interface OAuthPlan {
	settings: OAuthSettings;
	selection: Selection;
	/** The bundle and passphrase of the certificate in use, read again only for private_key_jwt. */
	keyInput: { certificateBundle: string; passphrase?: string };
}

/** Sends one request through the execution's Agent, with the access token when OAuth is on. */
export type Open = (request: HttpRequest) => Promise<StreamedResponse>;

/**
 * The credential's OAuth settings for this execution, or undefined when Authentication is None.
 *
 * @throws OAuthError OAUTH_SETTINGS_INVALID naming the credential field
 */
export async function readOAuth(ctx: IExecuteFunctions, selection: Selection): Promise<OAuthPlan | undefined> {
	const data = (await ctx.getCredentials(CREDENTIAL_TYPE)) as unknown as OAuthInput & CredentialData;
	if (!usesOAuth(data)) return undefined;
	// With Source "Files", the key for private_key_jwt is in the files, read under the same rules.
	return planOf({ ...data, ...(await materialInputOf(data, fileAccessOf(ctx))) }, selection);
}

function planOf(data: OAuthInput & RotatingInput, selection: Selection): OAuthPlan | undefined {
	if (!usesOAuth(data)) return undefined;
	const next = selection.active === 'next';
	return {
		settings: readOAuthSettings(data),
		selection,
		keyInput: next
			? { certificateBundle: data.nextCertificateBundle ?? '', passphrase: data.nextPassphrase }
			: { certificateBundle: data.certificateBundle, passphrase: data.passphrase },
	};
}

/**
 * One session per execution over the execution's Agent. Once the successor certificate is in use,
 * the tokens bound to the old one are dropped from the shared cache.
 */
export function startOAuth(
	plan: OAuthPlan,
	dispatcher: Dispatcher,
	shared: Pick<HttpRequest, 'signal' | 'egress'>,
	cache?: TokenCache,
): OAuthSession {
	const { selection } = plan;
	return new OAuthSession({
		settings: plan.settings,
		material: selection.material,
		dispatcher,
		retired: selection.active === 'next' && selection.standby ? [selection.standby.fingerprint] : [],
		signingKey: () => loadSigningKey(plan.keyInput),
		shared,
		cache,
	});
}

/** `open` on the Agent, or `open` with the session's token and its one retry after invalid_token. */
export function opener(dispatcher: Dispatcher, session?: OAuthSession): Open {
	const direct: Open = (request) => open(dispatcher, request);
	if (!session) return direct;
	return (request) => sendWithToken(session, request, direct, discard);
}

async function discard(response: StreamedResponse): Promise<void> {
	await readBody(response, 1024 * 1024).catch(() => undefined);
}

/**
 * The credential test's OAuth part: obtains a token with a cache of its own (so the test always
 * asks the server) and says what came back; never the token itself. `transport` is the test's
 * outbound policy (proxy, outbound rules), as for the Test URL.
 *
 * @throws OAuthError, TransportError as a token request does
 */
export async function describeTokenTest(data: OAuthInput & RotatingInput, selection: Selection, transport: AgentOptions = {}): Promise<string | undefined> {
	const plan = planOf(data, selection);
	if (!plan) return undefined;
	const agent = createAgent(selection.material, { ...transport, connectionsPerOrigin: 1 });
	try {
		const session = startOAuth(plan, agent, { egress: transport.egress }, new TokenCache());
		const token = await session.token();
		const seconds = Math.round((token.expiresAt - token.obtainedAt) / 1000);
		const binding = token.bound === true
			? `bound to this certificate (cnf x5t#S256 ${session.thumbprint})`
			: token.bound === false ? 'NOT bound to the certificate (a JWT without cnf)' : 'opaque, so its binding cannot be checked here';
		return [
			`OAuth: got a ${token.tokenType} token for client "${plan.settings.clientId}" (${plan.settings.clientAuthMethod}),`,
			`valid for ${seconds} s, scope "${token.scope ?? ''}", ${binding}.`,
			...session.hints,
		].join(' ');
	} finally {
		await agent.destroy();
	}
}
