import { MtlsError, TransportError } from '../errors';

/*
 * Codes our own modules put on the errors they hand to undici, which passes them on (sometimes as
 * the `cause` of its own error) to toTransportError. Made and read through these constants.
 */
/** createAgent: the server closed the connection mid-handshake. */
export const HANDSHAKE_INTERRUPTED = 'MTLS_HANDSHAKE_INTERRUPTED';
/** createAgent: the server's public key is not among the pinned ones. */
export const PIN_MISMATCH = 'ERR_MTLS_PIN_MISMATCH';
/** openTunnel: the proxy answered CONNECT with 407. */
export const PROXY_AUTH_REQUIRED = 'ERR_MTLS_PROXY_AUTH';
/** openTunnel: the proxy answered CONNECT with another status, or garbage. */
export const PROXY_REFUSED = 'ERR_MTLS_PROXY_REFUSED';

/** The server's public key is not among the pins; `seenPin` is the key it has, as "sha256//…". */
export class PinMismatchError extends Error {
	readonly code = PIN_MISMATCH;

	constructor(readonly seenPin: string) {
		super('The server public key does not match the pinned keys');
		this.name = 'PinMismatchError';
	}
}

/** The proxy did not open the tunnel; `proxy` names it without credentials. */
export class ProxyTunnelError extends Error {
	constructor(
		readonly code: typeof PROXY_AUTH_REQUIRED | typeof PROXY_REFUSED,
		message: string,
		readonly proxy: string,
		readonly status?: number,
	) {
		super(message);
		this.name = 'ProxyTunnelError';
	}
}

export interface FailureContext {
	/** The request's AbortSignal had fired: undici rejects with the signal's reason, any value. */
	aborted?: boolean;
	/** The response headers had arrived: the failure cut the body short. */
	inBody?: boolean;
}

/** What a rule sees of one failure. */
interface Facts {
	/** host:port, for messages. */
	where: string;
	host: string;
	/** Every `code` on the cause chain (and ABORT_ERR for an abort). */
	codes: Set<string>;
	inBody: boolean;
	/** The proxy the failure happened at, without credentials. */
	proxy?: string;
	property: (name: string) => string | undefined;
}

interface Rule {
	/** Codes on the cause chain that select the rule; a trailing "*" matches a prefix. */
	codes: readonly string[];
	/** A further condition; the rule applies only when it holds too. */
	when?: (facts: Facts) => boolean;
	code: string;
	message: (facts: Facts) => string;
	fix: string | ((facts: Facts) => string);
}

const UNREACHABLE = [
	'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT', 'ECONNRESET',
];
const CLOSED = ['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_CLOSED'];
const ASK_PARTNER_CA = 'The server does not trust the CA that issued this certificate, or the certificate is revoked. ' +
	'Check with the partner that this certificate is registered for this environment (test and production often use different CAs); ' +
	'`openssl s_client -connect host:port` lists the CAs the server accepts.';

/**
 * How undici, Node, OpenSSL and our own modules fail, in plain words. The first rule that matches
 * wins, so specific causes (a proxy, a pin, an alert) come before the generic ones they travel with.
 */
const RULES: readonly Rule[] = [
	{
		codes: ['UND_ERR_ABORTED', 'ABORT_ERR'],
		code: 'ABORTED',
		message: (f) => `The request to ${f.where} was cancelled`,
		fix: 'The execution was stopped while the request was in flight.',
	},
	{
		codes: [PROXY_AUTH_REQUIRED],
		code: 'PROXY_AUTH_FAILED',
		message: (f) => `The proxy ${f.proxy} asked for credentials (HTTP 407)`,
		fix: 'Put the proxy user and password into the proxy URL, e.g. http://user:password@proxy.example:3128 ' +
			'(percent-encode special characters).',
	},
	{
		codes: [PROXY_REFUSED],
		code: 'PROXY_REFUSED',
		message: (f) => `The proxy ${f.proxy} refused to open a tunnel to ${f.where} (HTTP ${f.property('status') ?? 'error'})`,
		fix: 'The proxy does not allow CONNECT to this host or port. ' +
			'Ask its administrator, or add the host to NO_PROXY if it can be reached directly.',
	},
	{
		codes: UNREACHABLE,
		when: (f) => f.proxy !== undefined,
		code: 'PROXY_UNREACHABLE',
		message: (f) => `The proxy ${f.proxy} cannot be reached`,
		// The code goes into the advice: n8n replaces a message that names ECONNREFUSED & co. with its own words.
		fix: (f) => `Check the "Proxy" option or the HTTPS_PROXY environment variable, and that the proxy is running (${[...f.codes][0]}).`,
	},
	{
		codes: [PIN_MISMATCH],
		code: 'SERVER_PIN_MISMATCH',
		message: (f) => `The public key of the server at ${f.where} does not match the pinned key(s); it is ${f.property('seenPin')}`,
		fix: 'If the partner changed its server key, put the new pin into "Pinned Public Keys" (the Certificate Info operation ' +
			'with a Server URL shows it). If they did not, something may be intercepting the connection.',
	},
	{
		codes: ['ERR_TLS_CERT_ALTNAME_INVALID'],
		code: 'SERVER_HOSTNAME_MISMATCH',
		// Node's error names the name it checked: the Server Name option when set, else the URL's host.
		message: (f) => `The server certificate of ${f.where} is not valid for the host name "${f.property('host') ?? f.host}"`,
		fix: 'Use the host name the server certificate was issued for in the URL (its subject alternative names list them).',
	},
	{
		codes: ['CERT_HAS_EXPIRED'],
		code: 'SERVER_CERT_EXPIRED',
		message: (f) => `The server certificate of ${f.where} has expired`,
		fix: 'The partner must renew its server certificate; tell them.',
	},
	{
		codes: ['CERT_NOT_YET_VALID'],
		code: 'SERVER_CERT_NOT_YET_VALID',
		message: (f) => `The server certificate of ${f.where} is not valid yet`,
		fix: 'Check this machine\'s clock, or tell the partner.',
	},
	{
		codes: [
			'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
			'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED', 'CERT_REJECTED',
		],
		code: 'SERVER_CERT_UNTRUSTED',
		message: (f) => `The server certificate of ${f.where} is not trusted`,
		fix: 'Add the CA certificate that signed the partner\'s server certificate to the "CA Certificates" field of the credential ' +
			'(ask the partner for it, or see `openssl s_client -connect host:port -showcerts`).',
	},
	{
		codes: ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'],
		code: 'CLIENT_CERT_REQUIRED',
		message: (f) => `The server at ${f.where} asked for a client certificate and did not get one it accepts`,
		fix: 'Check that the credential holds the client certificate this partner issued.',
	},
	{
		codes: [
			'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
			'ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE', 'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED', 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED',
			'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED', 'ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR',
		],
		code: 'CLIENT_CERT_REJECTED',
		message: (f) => `The server at ${f.where} rejected the client certificate`,
		fix: ASK_PARTNER_CA,
	},
	{
		codes: [
			'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'ERR_SSL_NO_PROTOCOLS_AVAILABLE', 'ERR_SSL_UNSUPPORTED_PROTOCOL',
			'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
		],
		code: 'TLS_HANDSHAKE_FAILED',
		message: (f) => `The TLS handshake with ${f.where} failed`,
		fix: 'The server and this node found no common TLS version or cipher, or the server wanted a client certificate it did not get. ' +
			'The node speaks TLS 1.2 and 1.3.',
	},
	{
		codes: ['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST'],
		code: 'NOT_TLS',
		message: (f) => `${f.where} does not speak TLS`,
		fix: 'Check the port in the URL: it looks like a plain HTTP port.',
	},
	{
		codes: [HANDSHAKE_INTERRUPTED],
		code: 'TLS_HANDSHAKE_FAILED',
		message: (f) => `${f.where} closed the connection during the TLS handshake`,
		fix: 'Servers do this when they do not accept the client certificate: check with the partner that this certificate is ' +
			'registered for this environment. Otherwise the server or a firewall dropped the connection.',
	},
	{
		codes: ['ECONNREFUSED'],
		code: 'CONNECTION_REFUSED',
		message: (f) => `The connection to ${f.where} was refused`,
		fix: 'Check the host and port in the URL, and that the partner\'s server is up.',
	},
	{
		codes: ['ENOTFOUND', 'EAI_AGAIN'],
		code: 'HOST_NOT_FOUND',
		message: (f) => `The host name "${f.host}" could not be resolved`,
		fix: 'Check the host in the URL and this machine\'s DNS.',
	},
	{
		codes: ['EHOSTUNREACH', 'ENETUNREACH'],
		code: 'HOST_UNREACHABLE',
		message: (f) => `${f.where} cannot be reached from this machine`,
		fix: 'Check the network route and firewall rules towards the partner.',
	},
	{
		codes: ['UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT'],
		code: 'CONNECT_TIMEOUT',
		message: (f) => `Connecting to ${f.where} timed out`,
		fix: 'The server did not complete the TCP or TLS handshake in time. ' +
			'Check the firewall and whether the partner allow-lists your IP address.',
	},
	{
		codes: ['UND_ERR_HEADERS_TIMEOUT'],
		code: 'RESPONSE_TIMEOUT',
		message: (f) => `${f.where} did not answer in time`,
		fix: 'Raise the "Timeout" option, or ask the partner why the request takes so long.',
	},
	{
		codes: ['UND_ERR_BODY_TIMEOUT'],
		code: 'BODY_TIMEOUT',
		message: (f) => `${f.where} stopped sending the response body`,
		fix: 'Raise the "Timeout" option, or ask the partner why the response stalls.',
	},
	{
		// zlib's codes for a corrupt or cut-off gzip/deflate stream; brotli's are named after its decoder errors.
		codes: ['Z_DATA_ERROR', 'Z_BUF_ERROR', 'Z_NEED_DICT', 'ERR__ERROR_FORMAT_*'],
		code: 'BODY_DECODING_FAILED',
		message: (f) => `The compressed response body from ${f.where} cannot be decompressed`,
		fix: 'The server declared a content encoding (gzip, deflate or br) that its body does not match, or the body is cut short. ' +
			'Ask the partner; meanwhile the header "Accept-Encoding: identity" asks for the body uncompressed.',
	},
	{
		codes: CLOSED,
		when: (f) => f.inBody,
		code: 'CONNECTION_CLOSED',
		message: (f) => `${f.where} closed the connection before the whole response body arrived`,
		fix: 'The server, or a proxy or firewall in between, dropped the connection mid-response. ' +
			'Run it again; if it keeps happening, ask the partner what cuts this response short.',
	},
	{
		codes: CLOSED,
		code: 'CONNECTION_CLOSED',
		message: (f) => `${f.where} closed the connection unexpectedly`,
		fix: 'Under TLS 1.3 a server that rejects the client certificate closes the connection right after the handshake: ' +
			'check that the partner accepts this certificate. Otherwise the server or a firewall dropped the connection.',
	},
	{
		// undici validates the request before sending it: header values, forbidden headers, the method.
		codes: ['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED'],
		code: 'REQUEST_INVALID',
		message: (f) => `The request to ${f.where} was not sent: ${f.property('message') ?? 'undici refused it'}`,
		fix: 'A header or the method of this request cannot be sent over HTTP (e.g. a "Transfer-Encoding", "Connection" or "Expect" ' +
			'header, or a control character in a value). Remove or correct it.',
	},
	{
		codes: ['ERR_SSL_*', 'ERR_OSSL_*'],
		code: 'TLS_ERROR',
		message: (f) => `The request to ${f.where} failed in TLS (${[...f.codes].find(isTlsCode)})`,
		fix: (f) => underlying(f.codes),
	},
];

/** What no rule recognises: the codes it carries are still worth showing (they hold no secrets). */
const FALLBACK: Rule = {
	codes: [],
	code: 'REQUEST_FAILED',
	message: (f) => `The request to ${f.where} failed`,
	fix: (f) => underlying(f.codes),
};

function underlying(codes: Set<string>): string {
	const shown = [...codes].filter((code) => code !== 'ABORT_ERR');
	if (shown.length === 0) return 'The error carried no code; the n8n log has its details.';
	return `Underlying error codes: ${shown.join(' <- ')}. Search for them, or send them to the partner with the time of the request.`;
}

function isTlsCode(code: string): boolean {
	return code.startsWith('ERR_SSL_') || code.startsWith('ERR_OSSL_');
}

function matches(rule: Rule, facts: Facts): boolean {
	const has = (wanted: string) =>
		wanted.endsWith('*') ? [...facts.codes].some((code) => code.startsWith(wanted.slice(0, -1))) : facts.codes.has(wanted);
	return rule.codes.some(has) && (rule.when?.(facts) ?? true);
}

/**
 * Turns what undici, Node and OpenSSL throw into one TransportError with a stable code and
 * advice, classified by error `code` (never by message text). Our own errors pass through.
 */
export function toTransportError(error: unknown, url: URL, context: FailureContext = {}): MtlsError {
	if (error instanceof MtlsError) return error;
	const codes = collectCodes(error);
	if (context.aborted) codes.add('ABORT_ERR');
	const property = (name: string) => findProperty(error, name);
	const where = `${url.hostname}:${url.port || '443'}`;
	const facts: Facts = { where, host: url.hostname, codes, inBody: context.inBody ?? false, proxy: property('proxy'), property };
	const rule = RULES.find((candidate) => matches(candidate, facts)) ?? FALLBACK;
	const description = typeof rule.fix === 'string' ? rule.fix : rule.fix(facts);
	return new TransportError(rule.code, rule.message(facts), { description, cause: error });
}

/**
 * The pages nginx answers with HTTP 400 when `ssl_verify_client` is on and the client certificate
 * fails verification, or none came; the handshake itself succeeds. The one table of them.
 */
export const NGINX_CERT_PAGES = [
	{ text: 'The SSL certificate error', code: 'CLIENT_CERT_REJECTED' },
	{ text: 'No required SSL certificate was sent', code: 'CLIENT_CERT_REQUIRED' },
] as const;

export type CertificatePage = (typeof NGINX_CERT_PAGES)[number];

/** nginx's certificate page, if this response is one. */
export function certificatePageOf(statusCode: number, body: string): CertificatePage | undefined {
	return statusCode === 400 ? NGINX_CERT_PAGES.find((page) => body.includes(page.text)) : undefined;
}

/** The certificate page of a response as an error with advice. */
export function certificatePageError(page: CertificatePage, url: URL): TransportError {
	const where = `${url.hostname}:${url.port || '443'}`;
	if (page.code === 'CLIENT_CERT_REQUIRED') {
		return new TransportError(page.code, `The server at ${where} did not receive a client certificate (HTTP 400 "${page.text}")`, {
			description: 'This node always presents the credential\'s certificate, so something between it and the partner\'s server ' +
				'took it off: usually a load balancer or proxy that ends TLS itself, or a different virtual host answering this host name ' +
				'(check "Server Name (SNI)"). Ask the partner where TLS ends.',
		});
	}
	return new TransportError(page.code, `The server at ${where} rejected the client certificate (HTTP 400 "${page.text}")`, {
		description: `The TLS handshake succeeded, then the server's check of the certificate failed. ${ASK_PARTNER_CA.replace('host:port', where)}`,
	});
}

function collectCodes(error: unknown): Set<string> {
	const codes = new Set<string>();
	for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
		const { code, name } = current as { code?: unknown; name?: unknown };
		if (typeof code === 'string') codes.add(code);
		// OpenSSL 3.5 (Node 24) names alerts ERR_SSL_SSL/TLS_ALERT_…, where 3.0 (Node 20) says SSLV3 or TLSV1.
		const alert = typeof code === 'string' ? /^ERR_SSL_SSL\/TLS_ALERT_(.+)$/.exec(code) : null;
		if (alert) for (const family of ['SSLV3', 'TLSV1', 'TLSV13']) codes.add(`ERR_SSL_${family}_ALERT_${alert[1]}`);
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
