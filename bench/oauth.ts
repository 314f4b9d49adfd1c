/**
 * A token endpoint for the OAuth row of the benchmark: mTLS like the partner's, answering every
 * client credentials request with a one-hour opaque Bearer token. It runs in the client process
 * (one request per run, so its CPU time does not matter) and is kept apart from the benchmark
 * server, whose request counts must stay exactly the API calls.
 */
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';

import type { StandardPki } from '../test/fixtures/pki';
import type { CredentialFields } from './node';

export interface TokenEndpoint {
	url: string;
	requests: () => number;
	close: () => Promise<void>;
}

export async function startTokenEndpoint(pki: StandardPki): Promise<TokenEndpoint> {
	let requests = 0;
	const server = createServer({ key: pki.server.keyPem, cert: pki.server.certPem, ca: pki.ca.certPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
		req.resume();
		req.on('end', () => {
			requests++;
			res.setHeader('content-type', 'application/json');
			res.end(JSON.stringify({ access_token: `bench-token-${requests}`, token_type: 'Bearer', expires_in: 3600, scope: 'accounts' }));
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/token`,
		requests: () => requests,
		close: () => new Promise<void>((resolve) => {
			server.closeAllConnections();
			server.close(() => resolve());
		}),
	};
}

/** The benchmark credential with OAuth turned on (tls_client_auth against the endpoint above). */
export function withOAuth(credential: CredentialFields, tokenUrl: string): CredentialFields & Record<string, string> {
	return { ...credential, authentication: 'oauth2ClientCredentials', tokenUrl, clientId: 'bench-client', clientAuthMethod: 'tls_client_auth', scope: 'accounts' };
}
