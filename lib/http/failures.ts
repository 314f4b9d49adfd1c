import { TransportError } from '../errors';

/** Code of the error createAgent reports when the server closes the connection mid-handshake. */
export const HANDSHAKE_INTERRUPTED = 'MTLS_HANDSHAKE_INTERRUPTED';

export interface FailureContext {
	/** The request's AbortSignal had fired: undici rejects with the signal's reason, any value. */
	aborted?: boolean;
	/** The response headers had arrived: the failure cut the body short. */
	inBody?: boolean;
}

/**
 * Turns what undici, Node and OpenSSL throw into one TransportError with a stable code and
 * advice, classified by error `code` (never by message text).
 */
export function toTransportError(error: unknown, url: URL, context: FailureContext = {}): TransportError {
	if (error instanceof TransportError) return error;
	const where = `${url.hostname}:${url.port || '443'}`;
	const codes = collectCodes(error);
	const has = (...wanted: string[]) => wanted.some((code) => codes.has(code));
	const fail = (code: string, message: string, description: string) =>
		new TransportError(code, message, { description, cause: error });

	if (context.aborted || has('UND_ERR_ABORTED', 'ABORT_ERR')) {
		return fail('ABORTED', `The request to ${where} was cancelled`, 'The execution was stopped while the request was in flight.');
	}
	const proxy = findProperty(error, 'proxy');
	if (has('ERR_MTLS_PROXY_AUTH')) {
		return fail('PROXY_AUTH_FAILED', `The proxy ${proxy} asked for credentials (HTTP 407)`, 'Put the proxy user and password into the proxy URL, e.g. http://user:password@proxy.example:3128 (percent-encode special characters).');
	}
	if (has('ERR_MTLS_PROXY_REFUSED')) {
		return fail('PROXY_REFUSED', `The proxy ${proxy} refused to open a tunnel to ${where} (HTTP ${findProperty(error, 'status') ?? 'error'})`,
			'The proxy does not allow CONNECT to this host or port. Ask its administrator, or add the host to NO_PROXY if it can be reached directly.');
	}
	if (proxy && has('ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT', 'ECONNRESET')) {
		return fail('PROXY_UNREACHABLE', `The proxy ${proxy} cannot be reached (${[...codes][0]})`, 'Check the "Proxy" option or the HTTPS_PROXY environment variable, and that the proxy is running.');
	}
	if (has('ERR_MTLS_PIN_MISMATCH')) {
		const seen = findProperty(error, 'seenPin');
		return fail('SERVER_PIN_MISMATCH', `The public key of the server at ${where} does not match the pinned key(s); it is ${seen}`,
			'If the partner changed its server key, put the new pin into "Pinned Public Keys" (the Certificate Info operation with a Server URL shows it). If they did not, something may be intercepting the connection.');
	}
	if (has('ERR_TLS_CERT_ALTNAME_INVALID')) {
		return fail('SERVER_HOSTNAME_MISMATCH', `The server certificate of ${where} is not valid for the host name "${url.hostname}"`,
			'Use the host name the server certificate was issued for in the URL (its subject alternative names list them).');
	}
	if (has('CERT_HAS_EXPIRED')) {
		return fail('SERVER_CERT_EXPIRED', `The server certificate of ${where} has expired`, 'The partner must renew its server certificate; tell them.');
	}
	if (has('CERT_NOT_YET_VALID')) {
		return fail('SERVER_CERT_NOT_YET_VALID', `The server certificate of ${where} is not valid yet`, 'Check this machine\'s clock, or tell the partner.');
	}
	if (has('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED', 'CERT_REJECTED')) {
		return fail('SERVER_CERT_UNTRUSTED', `The server certificate of ${where} is not trusted`,
			'Add the CA certificate that signed the partner\'s server certificate to the "CA Certificates" field of the credential (ask the partner for it, or see `openssl s_client -connect host:port -showcerts`).');
	}
	if (has('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED')) {
		return fail('CLIENT_CERT_REQUIRED', `The server at ${where} asked for a client certificate and did not get one it accepts`,
			'Check that the credential holds the client certificate this partner issued.');
	}
	if (has('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN', 'ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE', 'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED', 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED', 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED', 'ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR')) {
		return fail('CLIENT_CERT_REJECTED', `The server at ${where} rejected the client certificate`,
			'The server does not trust the CA that issued this certificate, or the certificate is revoked. Check with the partner that this certificate is registered for this environment (test and production often use different CAs); `openssl s_client -connect host:port` lists the CAs the server accepts.');
	}
	if (has('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'ERR_SSL_NO_PROTOCOLS_AVAILABLE', 'ERR_SSL_UNSUPPORTED_PROTOCOL', 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION')) {
		return fail('TLS_HANDSHAKE_FAILED', `The TLS handshake with ${where} failed`,
			'The server and this node found no common TLS version or cipher, or the server wanted a client certificate it did not get. The node speaks TLS 1.2 and 1.3.');
	}
	if (has('ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST')) {
		return fail('NOT_TLS', `${where} does not speak TLS`, 'Check the port in the URL: it looks like a plain HTTP port.');
	}
	if (has(HANDSHAKE_INTERRUPTED)) {
		return fail('TLS_HANDSHAKE_FAILED', `${where} closed the connection during the TLS handshake`,
			'Servers do this when they do not accept the client certificate: check with the partner that this certificate is registered for this environment. Otherwise the server or a firewall dropped the connection.');
	}
	if (has('ECONNREFUSED')) {
		return fail('CONNECTION_REFUSED', `The connection to ${where} was refused`, 'Check the host and port in the URL, and that the partner\'s server is up.');
	}
	if (has('ENOTFOUND', 'EAI_AGAIN')) {
		return fail('HOST_NOT_FOUND', `The host name "${url.hostname}" could not be resolved`, 'Check the host in the URL and this machine\'s DNS.');
	}
	if (has('EHOSTUNREACH', 'ENETUNREACH')) {
		return fail('HOST_UNREACHABLE', `${where} cannot be reached from this machine`, 'Check the network route and firewall rules towards the partner.');
	}
	if (has('UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT')) {
		return fail('CONNECT_TIMEOUT', `Connecting to ${where} timed out`, 'The server did not complete the TCP or TLS handshake in time. Check the firewall and whether the partner allow-lists your IP address.');
	}
	if (has('UND_ERR_HEADERS_TIMEOUT')) {
		return fail('RESPONSE_TIMEOUT', `${where} did not answer in time`, 'Raise the "Timeout" option, or ask the partner why the request takes so long.');
	}
	if (has('UND_ERR_BODY_TIMEOUT')) {
		return fail('BODY_TIMEOUT', `${where} stopped sending the response body`, 'Raise the "Timeout" option, or ask the partner why the response stalls.');
	}
	// zlib's codes for a corrupt or cut-off gzip/deflate stream; brotli's are named after its decoder errors.
	if (has('Z_DATA_ERROR', 'Z_BUF_ERROR', 'Z_NEED_DICT') || [...codes].some((code) => code.startsWith('ERR__ERROR_FORMAT_'))) {
		return fail('BODY_DECODING_FAILED', `The compressed response body from ${where} cannot be decompressed`,
			'The server declared a content encoding (gzip, deflate or br) that its body does not match, or the body is cut short. Ask the partner; meanwhile the header "Accept-Encoding: identity" asks for the body uncompressed.');
	}
	if (has('ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_CLOSED') && context.inBody) {
		return fail('CONNECTION_CLOSED', `${where} closed the connection before the whole response body arrived`,
			'The server, or a proxy or firewall in between, dropped the connection mid-response. Run it again; if it keeps happening, ask the partner what cuts this response short.');
	}
	if (has('ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_CLOSED')) {
		return fail('CONNECTION_CLOSED', `${where} closed the connection unexpectedly`,
			'Under TLS 1.3 a server that rejects the client certificate closes the connection right after the handshake: check that the partner accepts this certificate. Otherwise the server or a firewall dropped the connection.');
	}
	const sslCode = [...codes].find((code) => code.startsWith('ERR_SSL_') || code.startsWith('ERR_OSSL_'));
	return fail(sslCode ? 'TLS_ERROR' : 'REQUEST_FAILED', `The request to ${where} failed${sslCode ? ` in TLS (${sslCode})` : ''}`,
		'See the error details for the underlying cause.');
}

function collectCodes(error: unknown): Set<string> {
	const codes = new Set<string>();
	for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
		const { code, name } = current as { code?: unknown; name?: unknown };
		if (typeof code === 'string') codes.add(code);
		if (name === 'AbortError') codes.add('ABORT_ERR');
		current = (current as { cause?: unknown }).cause;
	}
	return codes;
}

function findProperty(error: unknown, name: string): string | undefined {
	for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
		const value = (current as Record<string, unknown>)[name];
		if (typeof value === 'string' || typeof value === 'number') return String(value);
		current = (current as { cause?: unknown }).cause;
	}
	return undefined;
}
