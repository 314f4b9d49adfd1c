/**
 * The classification table of toTransportError, row by row, on the cause chains undici, Node and
 * OpenSSL produce (the fault table in faults.test.ts provokes them for real). Precedence is part
 * of the table: the first rule that matches wins.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { INode } from 'n8n-workflow';

import { RequestSpecError } from '../lib/errors';
import { FailureContext, HANDSHAKE_INTERRUPTED, PinMismatchError, PROXY_AUTH_REQUIRED, PROXY_REFUSED, ProxyTunnelError, toTransportError } from '../lib/http/failures';
import { toNodeError } from '../nodes/MtlsHttpRequest/errors';

const url = new URL('https://api.partner.example:8443/v1/accounts');
const node: INode = { id: '1', name: 'Partner API', type: 'n8n-nodes-mtls.mtlsHttpRequest', typeVersion: 1, position: [0, 0], parameters: {} };

/** An error as Node and undici make them: a message, a code, maybe a cause, maybe more. */
function fault(code: string | undefined, extra: Record<string, unknown> = {}): Error {
	return Object.assign(new Error(`failure ${code ?? 'without code'}`), code ? { code } : {}, extra);
}

const rows: Array<{ what: string; error: unknown; context?: FailureContext; code: string; message?: RegExp; advice?: RegExp }> = [
	{ what: 'refused TCP connection', error: fault('ECONNREFUSED'), code: 'CONNECTION_REFUSED', message: /connection to api\.partner\.example:8443 was refused/ },
	{ what: 'refused by the proxy, not the origin', error: fault('ECONNREFUSED', { proxy: 'http://proxy.example:3128' }), code: 'PROXY_UNREACHABLE', message: /^The proxy http:\/\/proxy\.example:3128 cannot be reached$/, advice: /\(ECONNREFUSED\)/ },
	{ what: 'proxy asks for credentials', error: new ProxyTunnelError(PROXY_AUTH_REQUIRED, 'x', 'http://proxy.example:3128', 407), code: 'PROXY_AUTH_FAILED' },
	{ what: 'proxy refuses CONNECT', error: new ProxyTunnelError(PROXY_REFUSED, 'x', 'http://proxy.example:3128', 403), code: 'PROXY_REFUSED', message: /\(HTTP 403\)/ },
	{ what: 'pin mismatch', error: new PinMismatchError('sha256//abc='), code: 'SERVER_PIN_MISMATCH', message: /it is sha256\/\/abc=/ },
	{ what: 'TLS alert kept on the cause of undici\'s socket error', error: fault('UND_ERR_SOCKET', { cause: fault('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA') }), code: 'CLIENT_CERT_REJECTED' },
	{ what: 'certificate required (TLS 1.3)', error: fault('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), code: 'CLIENT_CERT_REQUIRED' },
	{ what: 'reset during the handshake', error: fault(HANDSHAKE_INTERRUPTED, { cause: fault('ECONNRESET') }), code: 'TLS_HANDSHAKE_FAILED', message: /during the TLS handshake/ },
	{ what: 'reset after the headers', error: fault('ECONNRESET'), context: { inBody: true }, code: 'CONNECTION_CLOSED', message: /before the whole response body arrived/ },
	{ what: 'reset before the headers', error: fault('UND_ERR_SOCKET'), code: 'CONNECTION_CLOSED', message: /closed the connection unexpectedly/ },
	{ what: 'reset while the signal had fired', error: fault('ECONNRESET'), context: { aborted: true }, code: 'ABORTED' },
	{ what: 'AbortError without a code', error: Object.assign(new Error('aborted'), { name: 'AbortError' }), code: 'ABORTED' },
	{ what: 'brotli decoder error (prefix match)', error: fault('ERR__ERROR_FORMAT_PADDING_1'), code: 'BODY_DECODING_FAILED' },
	{ what: 'DNS failure', error: fault('ENOTFOUND'), code: 'HOST_NOT_FOUND', message: /"api\.partner\.example" could not be resolved/ },
	{ what: 'undici refuses a header', error: fault('UND_ERR_INVALID_ARG', { message: 'invalid transfer-encoding header' }), code: 'REQUEST_INVALID', message: /was not sent: invalid transfer-encoding header/ },
	{ what: 'an OpenSSL error no rule names', error: fault('UND_ERR_SOCKET', { cause: fault('ERR_SSL_NEW_KIND_OF_FAILURE') }), code: 'CONNECTION_CLOSED' },
	{ what: 'an OpenSSL error alone', error: fault('ERR_OSSL_EVP_BAD_DECRYPT'), code: 'TLS_ERROR', message: /in TLS \(ERR_OSSL_EVP_BAD_DECRYPT\)/, advice: /Underlying error codes: ERR_OSSL_EVP_BAD_DECRYPT\./ },
	{ what: 'codes nobody knows', error: fault('UND_ERR_SOMETHING', { cause: fault('ESOMETHING') }), code: 'REQUEST_FAILED', advice: /Underlying error codes: UND_ERR_SOMETHING <- ESOMETHING\./ },
	{ what: 'no code at all', error: new TypeError('boom'), code: 'REQUEST_FAILED', advice: /carried no code/ },
];

describe('toTransportError', () => {
	for (const row of rows) {
		test(`${row.what}: ${row.code}`, () => {
			const error = toTransportError(row.error, url, row.context);
			assert.equal(error.code, row.code, error.message);
			if (row.message) assert.match(error.message, row.message);
			if (row.advice) assert.match(error.description ?? '', row.advice);
			assert.equal((error as { cause?: unknown }).cause, row.error, 'the original stays on cause');
		});
	}

	test('our own errors pass through unchanged', () => {
		const own = new RequestSpecError('PROXY_CREDENTIALS_INVALID', 'x');
		assert.equal(toTransportError(own, url), own);
	});
});

describe('what n8n shows of a transport error', () => {
	test('REQUEST_FAILED and TLS_ERROR show the underlying codes in the description', () => {
		for (const [error, codes] of [[fault('EWEIRD'), 'EWEIRD'], [fault('ERR_SSL_X', { cause: fault('ERR_OSSL_Y') }), 'ERR_SSL_X <- ERR_OSSL_Y']] as const) {
			const shown = toNodeError(node, toTransportError(error, url), 0);
			assert.ok(shown.description?.includes(`Underlying error codes: ${codes}.`), shown.description ?? '');
			assert.match(shown.description ?? '', /Error code: (REQUEST_FAILED|TLS_ERROR)/);
		}
	});

	test('n8n keeps our message for an unreachable proxy (it replaces messages that name ECONNREFUSED)', () => {
		const shown = toNodeError(node, toTransportError(fault('ECONNREFUSED', { proxy: 'http://proxy.example:3128' }), url), 0);
		assert.equal(shown.message, 'The proxy http://proxy.example:3128 cannot be reached');
		assert.match(shown.description ?? '', /ECONNREFUSED/);
	});
});
