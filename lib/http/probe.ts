import type { Dispatcher } from 'undici';

import { RequestSpecError } from '../errors';
import type { EgressFilter } from './egress';
import { certificatePageOf, certificatePageError } from './failures';
import { send } from './send';

export interface ProbeResult {
	/** The server completed the handshake with our certificate and answered without rejecting it. */
	accepted: boolean;
	statusCode: number;
	/** Why the server did not take the certificate, when it said so (nginx's pages). */
	code?: string;
	message: string;
}

/**
 * One GET to the partner's URL to see whether its server takes the client certificate: a real
 * TLS handshake and request, with the answer put into plain words.
 *
 * The dispatcher is built with the same transport policy as requests; `egress` is checked before
 * the connection, as for requests.
 *
 * @throws RequestSpecError for a URL that cannot be used
 * @throws TransportError when the connection or handshake fails, or the outbound rules forbid it
 */
export async function probe(dispatcher: Dispatcher, urlText: string, egress?: EgressFilter): Promise<ProbeResult> {
	let url: URL;
	try {
		url = new URL(urlText);
	} catch (error) {
		throw new RequestSpecError('URL_INVALID', 'The "Test URL" is not a valid URL', { field: 'testUrl', description: 'Enter a full https:// address of the partner API.', cause: error });
	}
	const response = await send(dispatcher, { method: 'GET', url, headers: { accept: '*/*' }, timeout: 15_000, redirect: { follow: false, max: 0, allowCrossOrigin: false }, egress });
	const status = response.statusCode;
	const body = response.body.subarray(0, 4096).toString('utf8');
	const page = certificatePageOf(status, body);
	if (page) {
		// Executions and the Test say the same about nginx's certificate pages.
		const error = certificatePageError(page, url);
		return { accepted: false, statusCode: status, code: error.code, message: `${error.message}. ${error.description ?? ''}`.trim() };
	}
	if (status === 401 || status === 403) {
		return {
			accepted: true,
			statusCode: status,
			message: `The server at ${url.host} accepted the TLS handshake with the client certificate, then answered HTTP ${status}: the API itself refuses this identity or wants more authentication. Check with the partner that the certificate is registered for this API.`,
		};
	}
	return { accepted: true, statusCode: status, message: `The server at ${url.host} accepted the client certificate (HTTP ${status}).` };
}
