/**
 * The secret sweep: every error this package can produce, in every form it can take on its way
 * to the user or a log (message, description, the item JSON of "continue on fail", the n8n error,
 * its JSON, util.inspect with the whole `cause` chain), plus the credential test's answers and the
 * objects that live in memory between executions, must not show a passphrase, any part of a
 * private key (encrypted or not), a PKCS#12 file or the bundle text.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createTcpServer, AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import type { ICredentialTestFunctions, INode, INodeCredentialTestResult } from 'n8n-workflow';

import { MtlsError } from '../lib/errors';
import { createAgent } from '../lib/http/agent';
import { resolveProxy } from '../lib/http/proxy';
import { HttpResponse, send } from '../lib/http/send';
import { MaterialCache, sharedMaterials } from '../lib/tls/cache';
import { fingerprintOf, loadMaterial, MaterialInput, TlsMaterial, TlsVersions } from '../lib/tls/material';
import { selectMaterial } from '../lib/tls/rotation';
import { sharedSessions } from '../lib/tls/sessions';
import { HttpStatusError, toErrorJson, toNodeError } from '../nodes/MtlsHttpRequest/errors';
import { MtlsHttpRequest } from '../nodes/MtlsHttpRequest/MtlsHttpRequest.node';
import { startMtlsServer, MtlsServer } from './fixtures/mtlsServer';
import { createStandardPki, encryptKey, openssl, StandardPki } from './fixtures/pki';
import { closedPort, PlainServer, startHttpServer, startOpensslServer } from './fixtures/servers';

const NODE: INode = { id: 'n1', name: 'mTLS HTTP Request', type: 'n8n-nodes-mtls.mtlsHttpRequest', typeVersion: 1, position: [0, 0], parameters: {} };
const LEGACY = ['-provider', 'legacy', '-provider', 'default'];
/** Typed by a user who almost got it right: a secret too. */
const WRONG_PASSPHRASE = 'correct horse battery stapel ü';
const URL_PASSWORD = 'url-pa55word-Zx81';
const PROXY_PASSWORD = 'proxy-pa55word-Qm27';

/**
 * What must never be shown. Base64 material is compared by every 32-character window (a PEM line is
 * 64), on the text with line breaks and escapes removed, so a line split or quoted still counts.
 */
class Secrets {
	private readonly exact = new Map<string, string>();
	private readonly windows = new Map<string, string>();
	static readonly WINDOW = 32;

	addExact(name: string, value: string): void {
		this.exact.set(value, name);
	}

	/** Every base64 body line of the PEM text (or the whole base64 text), in windows. */
	addBase64(name: string, text: string): void {
		const body = text.split(/\r?\n/).filter((line) => !line.startsWith('-----') && !/^[A-Za-z-]+:/.test(line)).join('');
		for (let start = 0; start + Secrets.WINDOW <= body.length; start++) this.windows.set(body.slice(start, start + Secrets.WINDOW), name);
	}

	/** Forgets windows that also occur in public text: a private key holds its public key, which the certificate shows. */
	excludePublic(text: string): void {
		const compact = text.split(/\r?\n/).filter((line) => !line.startsWith('-----')).join('');
		for (let start = 0; start + Secrets.WINDOW <= compact.length; start++) this.windows.delete(compact.slice(start, start + Secrets.WINDOW));
	}

	/** The name of the first secret found in the text, if any. */
	find(text: string): string | undefined {
		for (const [value, name] of this.exact) if (text.includes(value)) return name;
		const compact = text.replace(/\\[nr]|\s+|'\s*\+\s*'/g, '');
		for (let start = 0; start + Secrets.WINDOW <= compact.length; start++) {
			const name = this.windows.get(compact.slice(start, start + Secrets.WINDOW));
			if (name) return name;
		}
		return undefined;
	}

	assertNone(where: string, text: string): void {
		const found = this.find(text);
		assert.equal(found, undefined, `${where} shows ${found}`);
	}
}

function stringify(value: unknown): string {
	const seen = new WeakSet<object>();
	try {
		return JSON.stringify(value, (_key, item: unknown) => {
			if (item && typeof item === 'object') {
				if (seen.has(item)) return '[circular]';
				seen.add(item);
			}
			return typeof item === 'bigint' ? String(item) : item;
		}) ?? '';
	} catch (error) {
		return `[not serializable: ${(error as Error).message}]`;
	}
}

/** Every form an error takes on its way out: ours, n8n's, and each link of the cause chain. */
function formsOf(error: unknown): Record<string, string> {
	const nodeError = toNodeError(NODE, error, 0);
	const forms: Record<string, string> = {
		'String(error)': String(error),
		'error.stack': String((error as Error).stack),
		'JSON.stringify(error)': stringify(error),
		'inspect(error)': inspect(error, { depth: 10 }),
		'inspect(error, showHidden)': inspect(error, { depth: 10, showHidden: true }),
		'nodeError.message': nodeError.message,
		'nodeError.description': String(nodeError.description),
		'JSON.stringify(nodeError)': stringify(nodeError),
		'inspect(nodeError)': inspect(nodeError, { depth: 10 }),
		'toErrorJson': stringify(toErrorJson(nodeError, error)),
	};
	if (error instanceof MtlsError) Object.assign(forms, { message: error.message, description: String(error.description) });
	let depth = 0;
	for (let cause = (error as { cause?: unknown }).cause; cause !== undefined && depth < 10; cause = (cause as { cause?: unknown })?.cause, depth++) {
		forms[`cause[${depth}]`] = `${String(cause)}\n${stringify(cause)}\n${inspect(cause, { depth: 10, showHidden: true })}`;
	}
	return forms;
}

function captureSync(run: () => unknown): unknown {
	try {
		run();
	} catch (error) {
		return error;
	}
	assert.fail('no error was thrown');
}

async function capture(run: () => Promise<unknown>): Promise<unknown> {
	try {
		await run();
	} catch (error) {
		return error;
	}
	assert.fail('no error was thrown');
}

function pkcs12Base64(content: string, passphrase: string, extra: string[] = []): string {
	const dir = mkdtempSync(join(tmpdir(), 'secrets-p12-'));
	try {
		openssl(['pkcs12', '-export', '-passout', 'env:P', ...extra, '-out', join(dir, 'c.p12')], content, { P: passphrase });
		return readFileSync(join(dir, 'c.p12')).toString('base64').replace(/.{76}/g, '$&\n');
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

describe('the secret sweep', () => {
	let pki: StandardPki;
	const secrets = new Secrets();
	/** The same without the bundles' certificates, which are public and which a certificate's JSON form is. */
	const keySecrets = new Secrets();
	const formats: Record<string, string> = {};
	const closers: Array<{ close: () => Promise<void> }> = [];

	before(() => {
		pki = createStandardPki();
		const { clientEc, clientRsa, passphrase } = pki;
		const rsaTraditional = (cipher: string, legacy: boolean) => openssl(['rsa', '-traditional', `-${cipher}`, '-passout', 'env:P', ...(legacy ? LEGACY : [])], clientRsa.keyPem, { P: passphrase });
		const keys: Record<string, string> = {
			'PKCS#8 AES-256': encryptKey(clientEc.keyPem, passphrase),
			'PKCS#8 PBES1 SHA1-RC2-40': encryptKey(clientEc.keyPem, passphrase, ['-v1', 'PBE-SHA1-RC2-40', ...LEGACY]),
			'PKCS#8 PBES1 MD5-DES': encryptKey(clientRsa.keyPem, passphrase, ['-v1', 'PBE-MD5-DES', ...LEGACY]),
			'PKCS#8 PBES1 SHA1-RC4-128': encryptKey(clientEc.keyPem, passphrase, ['-v1', 'PBE-SHA1-RC4-128', ...LEGACY]),
			'PKCS#8 DES 300,000 iterations': encryptKey(clientEc.keyPem, passphrase, ['-v2', 'des-cbc', '-iter', '300000', ...LEGACY]),
			'traditional RSA DES': rsaTraditional('des', true),
			'traditional RSA Blowfish': rsaTraditional('bf', true),
			'traditional RSA AES-128': rsaTraditional('aes128', false),
		};
		const certificateFor = (name: string) => (/RSA|MD5-DES/.test(name) ? clientRsa.certPem : clientEc.certPem);
		const both = (add: (target: Secrets) => void) => [secrets, keySecrets].forEach(add);
		for (const [name, keyPem] of Object.entries(keys)) {
			formats[name] = keyPem + certificateFor(name);
			both((target) => target.addBase64(`the ${name} key`, keyPem));
			secrets.addBase64(`the ${name} bundle`, formats[name]);
		}
		formats['unencrypted PKCS#8'] = clientEc.keyPem + clientEc.certPem;
		formats['PKCS#12 modern'] = pkcs12Base64(clientEc.keyPem + clientEc.certPem, passphrase);
		formats['PKCS#12 legacy'] = pkcs12Base64(clientRsa.keyPem + clientRsa.certPem, passphrase, ['-legacy']);
		for (const name of ['PKCS#12 modern', 'PKCS#12 legacy']) both((target) => target.addBase64(`the ${name} file`, formats[name]));
		both((target) => target.addBase64('the plain EC key', clientEc.keyPem));
		both((target) => target.addBase64('the plain RSA key', clientRsa.keyPem));
		secrets.addBase64('the EC bundle', pki.bundleEc);
		secrets.addBase64('the RSA bundle', pki.bundleRsa);
		both((target) => target.addExact('the passphrase', passphrase));
		both((target) => target.addExact('the wrong passphrase', WRONG_PASSPHRASE));
		both((target) => target.addExact('the URL password', URL_PASSWORD));
		both((target) => target.addExact('the proxy password', PROXY_PASSWORD));
		both((target) => target.addExact('the proxy credentials as Basic', Buffer.from(`proxy-user:${PROXY_PASSWORD}`).toString('base64')));
		for (const certificate of [clientEc.certPem, clientRsa.certPem, pki.ca.certPem]) keySecrets.excludePublic(certificate);
	});
	after(async () => {
		await Promise.all(closers.map((item) => item.close()));
		pki.pki.cleanup();
	});

	const sweep = (name: string, error: unknown, expectedCode?: string) => {
		if (expectedCode) assert.equal((error as { code?: unknown }).code, expectedCode, `${name}: ${inspect(error)}`);
		for (const [form, text] of Object.entries(formsOf(error))) secrets.assertNone(`${name}: ${form}`, text);
	};

	describe('material errors, every code', () => {
		const keyOf = (bundle: string) => bundle.slice(0, bundle.indexOf('-----BEGIN CERTIFICATE-----'));
		const csrFor = (keyPem: string) => {
			const file = join(pki.pki.dir, 'csr-key.pem');
			writeFileSync(file, keyPem);
			return openssl(['req', '-new', '-key', file, '-subj', '/CN=csr']);
		};
		const damage = (pem: string) => pem.split('\n').filter((_line, index) => index !== 3).join('\n');
		const cases: Array<{ name: string; code: string; input: () => MaterialInput; now?: Date; versions?: TlsVersions }> = [
			{ name: 'text without PEM (the passphrase pasted into the bundle)', code: 'BUNDLE_NO_PEM', input: () => ({ certificateBundle: `my key: ${pki.passphrase}`, passphrase: pki.passphrase }) },
			{ name: 'a CSR in the bundle', code: 'BUNDLE_WRONG_CONTENT', input: () => ({ certificateBundle: csrFor(pki.clientEc.keyPem) + pki.bundleEc, passphrase: pki.passphrase }) },
			{ name: 'a key block whose body is not base64', code: 'BUNDLE_BAD_BLOCK', input: () => ({ certificateBundle: pki.bundleEc.replace(/\n([A-Za-z0-9+/]{20})/, '\n$1!'), passphrase: pki.passphrase }) },
			{ name: 'a certificate without a key', code: 'BUNDLE_NO_KEY', input: () => ({ certificateBundle: pki.clientEc.certPem }) },
			{ name: 'two keys', code: 'BUNDLE_MANY_KEYS', input: () => ({ certificateBundle: pki.bundleEc + keyOf(pki.bundleEc), passphrase: pki.passphrase }) },
			{ name: 'a key without a certificate', code: 'BUNDLE_NO_CERTIFICATE', input: () => ({ certificateBundle: keyOf(pki.bundleEc), passphrase: pki.passphrase }) },
			{ name: 'an encrypted key without passphrase', code: 'PASSPHRASE_MISSING', input: () => ({ certificateBundle: pki.bundleEc }) },
			{ name: 'a damaged encrypted key', code: 'KEY_UNREADABLE', input: () => ({ certificateBundle: damage(keyOf(pki.bundleEc)) + pki.clientEc.certPem, passphrase: pki.passphrase }) },
			{ name: 'a damaged unencrypted key', code: 'KEY_UNREADABLE', input: () => ({ certificateBundle: damage(pki.clientEc.keyPem) + pki.clientEc.certPem }) },
			{ name: 'the key of another certificate', code: 'KEY_CERT_MISMATCH', input: () => ({ certificateBundle: keyOf(pki.bundleEc) + pki.clientRsa.certPem, passphrase: pki.passphrase }) },
			{ name: 'an expired certificate', code: 'CERTIFICATE_EXPIRED', input: () => ({ certificateBundle: pki.bundleEc, passphrase: pki.passphrase }), now: new Date(Date.now() + 2 * 365 * 86_400_000) },
			{ name: 'a certificate not valid yet', code: 'CERTIFICATE_NOT_YET_VALID', input: () => ({ certificateBundle: pki.bundleEc, passphrase: pki.passphrase }), now: new Date(Date.now() - 30 * 86_400_000) },
			{ name: 'a bundle over the size cap', code: 'INPUT_TOO_LARGE', input: () => ({ certificateBundle: pki.bundleEc.repeat(Math.ceil((1024 * 1024) / pki.bundleEc.length) + 1), passphrase: pki.passphrase }) },
			{ name: 'a certificate block that is no certificate', code: 'BAD_CERTIFICATE', input: () => ({ certificateBundle: keyOf(pki.bundleEc) + `-----BEGIN CERTIFICATE-----\n${Buffer.from(pki.passphrase).toString('base64')}\n-----END CERTIFICATE-----\n`, passphrase: pki.passphrase }) },
			{ name: 'the key body pasted into the CA field', code: 'CA_NO_PEM', input: () => ({ certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: keyOf(pki.bundleEc).split('\n').filter((line) => !line.startsWith('-----')).join('\n') }) },
			{ name: 'the key pasted into the CA field', code: 'CA_BAD_BLOCK', input: () => ({ certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: keyOf(pki.bundleEc) }) },
			{ name: 'a CA block that is no certificate', code: 'BAD_CERTIFICATE', input: () => ({ certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: `-----BEGIN CERTIFICATE-----\n${Buffer.from('x'.repeat(90)).toString('base64')}\n-----END CERTIFICATE-----\n` }) },
			{ name: 'a TLS version OpenSSL does not know', code: 'SECURE_CONTEXT_FAILED', input: () => ({ certificateBundle: pki.bundleEc, passphrase: pki.passphrase }), versions: { min: 'TLSv9' as 'TLSv1.3' } },
			{ name: 'base64 that is not PKCS#12', code: 'PKCS12_INVALID', input: () => ({ certificateBundle: `MI${Buffer.from(pki.passphrase.repeat(10)).toString('base64')}`, passphrase: pki.passphrase }) },
			{ name: 'a truncated PKCS#12 file', code: 'PKCS12_INVALID', input: () => ({ certificateBundle: formats['PKCS#12 modern'].replace(/\s+/g, '').slice(0, 1200), passphrase: pki.passphrase }) },
			{ name: 'an RC4-encrypted key', code: 'KEY_ENCRYPTION_UNSUPPORTED', input: () => ({ certificateBundle: formats['PKCS#8 PBES1 SHA1-RC4-128'], passphrase: pki.passphrase }) },
			{ name: 'a Blowfish-encrypted traditional key', code: 'KEY_ENCRYPTION_UNSUPPORTED', input: () => ({ certificateBundle: formats['traditional RSA Blowfish'], passphrase: pki.passphrase }) },
			{ name: 'a legacy key with 300,000 iterations', code: 'KDF_ITERATIONS_TOO_HIGH', input: () => ({ certificateBundle: formats['PKCS#8 DES 300,000 iterations'], passphrase: pki.passphrase }) },
		];
		for (const format of ['PKCS#8 AES-256', 'PKCS#8 PBES1 SHA1-RC2-40', 'PKCS#8 PBES1 MD5-DES', 'traditional RSA DES', 'traditional RSA AES-128', 'PKCS#12 modern', 'PKCS#12 legacy']) {
			cases.push({ name: `${format} with a wrong passphrase`, code: 'PASSPHRASE_WRONG', input: () => ({ certificateBundle: formats[format], passphrase: WRONG_PASSPHRASE }) });
		}
		for (const { name, code, input, now, versions } of cases) {
			test(`${code}: ${name}`, () => sweep(name, captureSync(() => loadMaterial(input(), { now, versions })), code));
		}

		test('NO_VALID_CERTIFICATE and the next certificate\'s errors (renamed, with the original on cause)', () => {
			const cache = new MaterialCache();
			const both = { certificateBundle: pki.bundleEc, passphrase: pki.passphrase, nextCertificateBundle: pki.bundleRsa, nextPassphrase: pki.passphrase };
			sweep('both expired', captureSync(() => selectMaterial(both, cache, new Date(Date.now() + 3 * 365 * 86_400_000))), 'NO_VALID_CERTIFICATE');
			const wrongNext = captureSync(() => selectMaterial({ ...both, nextPassphrase: WRONG_PASSPHRASE }, cache));
			sweep('next passphrase wrong', wrongNext, 'PASSPHRASE_WRONG');
			assert.equal((wrongNext as MtlsError).field, 'nextPassphrase');
			assert.ok((wrongNext as { cause?: unknown }).cause instanceof MtlsError, 'the original error is kept on cause');
			sweep('next bundle damaged', captureSync(() => selectMaterial({ ...both, nextCertificateBundle: damage(pki.bundleRsa) }, cache)));
		});
	});

	describe('transport errors', () => {
		let material: TlsMaterial;
		let legacyMaterial: TlsMaterial;
		const request = (url: string) => ({ method: 'GET', url: new URL(url), headers: { authorization: 'Bearer not-a-listed-secret' }, redirect: { follow: true, max: 3, allowCrossOrigin: false } });
		const track = <T extends { close: () => Promise<void> }>(item: T): T => {
			closers.push(item);
			return item;
		};

		before(() => {
			material = loadMaterial({ certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: pki.ca.certPem });
			legacyMaterial = loadMaterial({ certificateBundle: formats['PKCS#12 legacy'], passphrase: pki.passphrase, caCertificates: pki.ca.certPem });
		});

		test('refused, rejected by OpenSSL, reset by Node, untrusted, not TLS, through a proxy: no secret anywhere', async () => {
			const refusedPort = await closedPort();
			const opensslServer = track(await startOpensslServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.otherCa.certPem, version: 'TLSv1.3' }));
			const nodeServer = track(await startMtlsServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.otherCa.certPem, maxVersion: 'TLSv1.2' }));
			const plain = track(await startHttpServer());
			const proxy407 = track(await startProxyAnswering('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="x"\r\ncontent-length: 0\r\n\r\n'));
			const credentialsIn = (port: number) => `https://user:${URL_PASSWORD}@localhost:${port}/`;
			const proxyUrl = (port: number) => resolveProxy(`http://proxy-user:${PROXY_PASSWORD}@127.0.0.1:${port}`);
			const attempts: Array<{ name: string; code: string; material: TlsMaterial; url: string; proxy?: ReturnType<typeof resolveProxy> }> = [
				{ name: 'connection refused', code: 'CONNECTION_REFUSED', material, url: credentialsIn(refusedPort) },
				{ name: 'OpenSSL rejects the certificate (TLS 1.3 alert)', code: 'CLIENT_CERT_REJECTED', material, url: credentialsIn(opensslServer.port) },
				{ name: 'Node resets the handshake (PKCS#12 legacy material)', code: 'TLS_HANDSHAKE_FAILED', material: legacyMaterial, url: credentialsIn(nodeServer.port) },
				{ name: 'plain HTTP', code: 'NOT_TLS', material: legacyMaterial, url: credentialsIn(plain.port) },
				{ name: 'proxy unreachable', code: 'PROXY_UNREACHABLE', material, url: 'https://partner.example/', proxy: proxyUrl(refusedPort) },
				{ name: 'proxy wants other credentials', code: 'PROXY_AUTH_FAILED', material, url: 'https://partner.example/', proxy: proxyUrl(proxy407.port) },
			];
			for (const attempt of attempts) {
				const agent = createAgent(attempt.material, { proxy: attempt.proxy });
				try {
					sweep(attempt.name, await capture(() => send(agent, request(attempt.url))), attempt.code);
					secrets.assertNone(`${attempt.name}: inspect(agent)`, inspect(agent, { depth: 10, showHidden: true }));
				} finally {
					await agent.destroy();
				}
			}
		});

		test('an HTTP status error (401) as n8n shows it', () => {
			const response: HttpResponse = {
				statusCode: 401,
				statusMessage: 'Unauthorized',
				headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer' },
				url: new URL('https://partner.example/accounts'),
				body: Buffer.from(JSON.stringify({ error: 'certificate not registered', subject: 'CN=client-ec.example' })),
			};
			sweep('HTTP 401', new HttpStatusError(response));
		});

		test('an error nobody classified (a plain Error), as n8n shows it', () => {
			sweep('unexpected', new Error('something odd happened'));
		});
	});

	describe('the credential test', () => {
		const node = new MtlsHttpRequest();
		const runTest = (data: Record<string, string>): Promise<INodeCredentialTestResult> =>
			node.methods.credentialTest.mtlsCertificateTest.call({} as ICredentialTestFunctions, { id: '1', name: 'x', type: 'mtlsCertificateApi', data });
		let server: MtlsServer;
		let rejecting: PlainServer;

		before(async () => {
			server = await startMtlsServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.ca.certPem });
			rejecting = await startOpensslServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.otherCa.certPem, version: 'TLSv1.2' });
			closers.push(server, rejecting);
		});

		test('every answer, good or bad, is free of secrets', async () => {
			const base = { certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: pki.ca.certPem };
			const cases: Array<{ name: string; data: Record<string, string>; status: 'OK' | 'Error' }> = [
				{ name: 'valid, no Test URL', data: base, status: 'OK' },
				{ name: 'valid, server accepts', data: { ...base, testUrl: `${server.origin}/health` }, status: 'OK' },
				{ name: 'server rejects the certificate', data: { ...base, testUrl: `${rejecting.origin}/` }, status: 'Error' },
				{ name: 'Test URL with credentials, refused', data: { ...base, testUrl: `https://user:${URL_PASSWORD}@localhost:${await closedPort()}/` }, status: 'Error' },
				{ name: 'Test URL that is not a URL', data: { ...base, testUrl: `not a url ${URL_PASSWORD}` }, status: 'Error' },
				{ name: 'wrong passphrase', data: { ...base, passphrase: WRONG_PASSPHRASE }, status: 'Error' },
				{ name: 'no passphrase', data: { ...base, passphrase: '' }, status: 'Error' },
				{ name: 'garbage bundle', data: { ...base, certificateBundle: `${pki.passphrase}\n${pki.clientEc.keyPem.split('\n')[1]}` }, status: 'Error' },
				{ name: 'key only', data: { ...base, certificateBundle: pki.bundleEc.slice(0, pki.bundleEc.indexOf('-----BEGIN CERTIFICATE-----')) }, status: 'Error' },
				{ name: 'PKCS#12 with a wrong passphrase', data: { ...base, certificateBundle: formats['PKCS#12 legacy'], passphrase: WRONG_PASSPHRASE }, status: 'Error' },
				{ name: 'legacy key with a wrong passphrase', data: { ...base, certificateBundle: formats['traditional RSA DES'], passphrase: WRONG_PASSPHRASE }, status: 'Error' },
				{ name: 'next certificate with a wrong passphrase', data: { ...base, nextCertificateBundle: pki.bundleRsa, nextPassphrase: WRONG_PASSPHRASE }, status: 'Error' },
			];
			for (const { name, data, status } of cases) {
				const result = await runTest(data);
				assert.equal(result.status, status, `${name}: ${result.message}`);
				secrets.assertNone(`credential test "${name}"`, `${result.message}\n${stringify(result)}`);
			}
		});
	});

	test('the passphrase, with its "ü", opens every format (node-forge used to take one byte per character)', () => {
		assert.match(pki.passphrase, /[^\x00-\x7f]/);
		for (const format of ['PKCS#8 AES-256', 'PKCS#8 PBES1 SHA1-RC2-40', 'PKCS#8 PBES1 MD5-DES', 'traditional RSA DES', 'traditional RSA AES-128', 'PKCS#12 modern', 'PKCS#12 legacy']) {
			assert.doesNotThrow(() => loadMaterial({ certificateBundle: formats[format], passphrase: pki.passphrase }), format);
		}
		const pbes2Des = encryptKey(pki.clientEc.keyPem, pki.passphrase, ['-v2', 'des-cbc', ...LEGACY]) + pki.clientEc.certPem;
		assert.equal(loadMaterial({ certificateBundle: pbes2Des, passphrase: pki.passphrase }).key.protection, 'PBES2 des-cbc, PBKDF2 hmacWithSHA256');
		const noMac = pkcs12Base64(pki.clientEc.keyPem + pki.clientEc.certPem, pki.passphrase, ['-nomac']);
		assert.doesNotThrow(() => loadMaterial({ certificateBundle: noMac, passphrase: pki.passphrase }), 'PKCS#12 without MAC');
		assert.throws(() => loadMaterial({ certificateBundle: formats['PKCS#12 modern'], passphrase: WRONG_PASSPHRASE }), { code: 'PASSPHRASE_WRONG' });
	});

	describe('objects that stay in memory', () => {
		test('the material, its secure context, a used agent and the shared caches print no secret', async () => {
			const server = await startMtlsServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.ca.certPem });
			closers.push(server);
			const materials = ['PKCS#8 AES-256', 'PKCS#8 PBES1 SHA1-RC2-40', 'traditional RSA DES', 'PKCS#12 modern', 'PKCS#12 legacy', 'unencrypted PKCS#8'].map((format) =>
				sharedMaterials.load({ certificateBundle: formats[format], passphrase: pki.passphrase, caCertificates: pki.ca.certPem }));
			for (const material of materials) {
				const agent = createAgent(material, { sessions: sharedSessions });
				try {
					const response = await send(agent, { method: 'GET', url: new URL(`${server.origin}/`), headers: {}, redirect: { follow: false, max: 0, allowCrossOrigin: false } });
					assert.equal(response.statusCode, 200);
					secrets.assertNone('inspect(agent) after a request', inspect(agent, { depth: 10, showHidden: true }));
				} finally {
					await agent.close();
				}
				secrets.assertNone('inspect(material)', inspect(material, { depth: 10, showHidden: true }));
				// X509Certificate's toJSON is its PEM: the public certificates appear, nothing else may.
				keySecrets.assertNone('JSON.stringify(material)', stringify(material));
				secrets.assertNone('inspect(secureContext)', inspect(material.secureContext, { depth: 10, showHidden: true }));
			}
			assert.ok(sharedMaterials.size >= materials.length && sharedSessions.size >= 1, 'the caches were used');
			for (const [name, value] of [['sharedMaterials', sharedMaterials], ['sharedSessions', sharedSessions]] as const) {
				secrets.assertNone(`inspect(${name})`, inspect(value, { depth: 10, showHidden: true }));
				keySecrets.assertNone(`JSON.stringify(${name})`, stringify(value));
			}
		});
	});

	test('the credential fingerprint kept in memory gives no shortcut for guessing the passphrase', () => {
		const input = { certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: pki.ca.certPem };
		const material = loadMaterial(input);
		assert.equal(material.fingerprint, fingerprintOf(input), 'stable within the process');
		const guessable = createHash('sha256').update(JSON.stringify([input.certificateBundle, input.passphrase, input.caCertificates])).digest('hex');
		assert.notEqual(material.fingerprint, guessable, 'a plain hash of bundle and passphrase can be brute-forced at hash speed');
	});

	test('the sweep itself finds what it looks for', () => {
		assert.equal(secrets.find(`x ${pki.passphrase} y`), 'the passphrase');
		const line = pki.clientEc.keyPem.split('\n')[1];
		assert.equal(secrets.find(inspect({ leaked: `prefix ${line.slice(5, 45)}` })), 'the plain EC key');
		assert.equal(secrets.find(inspect({ leaked: formats['PKCS#12 legacy'].replace(/\s+/g, '').slice(500, 540) })), 'the PKCS#12 legacy file');
		assert.equal(secrets.find('Block 1 of the "Certificate Bundle" field is damaged'), undefined);
	});
});

/** A TCP server that answers every CONNECT with the given bytes, like a proxy refusing credentials. */
async function startProxyAnswering(answer: string): Promise<{ port: number; close: () => Promise<void> }> {
	const server: Server = createTcpServer((socket) => {
		socket.on('error', () => undefined);
		socket.once('data', () => socket.end(answer));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		port: (server.address() as AddressInfo).port,
		close: () => new Promise<void>((resolve) => server.close(() => resolve())),
	};
}
