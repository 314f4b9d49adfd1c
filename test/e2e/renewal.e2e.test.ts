/**
 * The renewal loop inside a real n8n 2.40: the shipped example creates a key and a CSR for the
 * current subject; the test's own CA signs the CSR (as the partner would); the certificate goes with
 * the encrypted key into the credential's Next Certificate Bundle; the next execution presents it and
 * the partner's server sees the new identity.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { createStandardPki, encryptKey, openssl, type Issued, type StandardPki } from '../fixtures/pki';
import { startMtlsServer, type MtlsServer } from '../fixtures/mtlsServer';
import {
	prepareN8n, tearDown, linearWorkflow, mtlsNode, MTLS_CREDENTIAL_TYPE, outputOf, REPO_ROOT,
	type BatchResult, type CredentialJson, type N8n, type OutputItem, type WorkflowJson,
} from './n8n';

const IDS = { renewal: 'mtlsE2eRenewal01', call: 'mtlsE2eRenewCall1' };
const TIMEOUT = { timeout: 5 * 60_000 };
const EXAMPLE = join(REPO_ROOT, 'examples', 'certificate-renewal.json');
const EXAMPLE_CREDENTIAL_PLACEHOLDER = 'REPLACE_WITH_YOUR_CREDENTIAL_ID';
/** Node names of the shipped example. */
const RENEWAL = { csr: 'Create Key and CSR', send: 'Send CSR to the partner (replace with e-mail or upload)' };
const NEXT_PASSPHRASE = 'next one, 2026 – ü';

let pki: StandardPki;
let n8n: N8n;
let server: MtlsServer;
let current: Issued;
let credential: CredentialJson;
/** What the partner's server saw of each client certificate, in order. */
const peers: Array<{ fingerprint256: string; subject: string }> = [];
/** Shared by the tests in order: what the first run produced. */
let firstRun: BatchResult | undefined;
let created: OutputItem | undefined;

before(async () => {
	pki = createStandardPki();
	server = await startMtlsServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.ca.certPem });
	server.route('/whoami', (req, res) => {
		const peer = (req.socket as TLSSocket).getPeerCertificate();
		const seen = { fingerprint256: peer.fingerprint256, subject: String(peer.subject?.CN) };
		peers.push(seen);
		res.setHeader('content-type', 'application/json');
		res.end(JSON.stringify(seen));
	});
	current = pki.pki.issue(pki.ca, { cn: 'renewal-client.example', san: ['DNS:renewal-client.example'], endDays: 20 });
	credential = {
		id: 'mtlsCredRenew001',
		name: 'Partner mTLS',
		type: MTLS_CREDENTIAL_TYPE,
		data: {
			certificateBundle: encryptKey(current.keyPem, pki.passphrase) + current.certPem,
			passphrase: pki.passphrase,
			caCertificates: pki.ca.certPem,
			nextPassphrase: NEXT_PASSPHRASE,
		},
	};
	n8n = await prepareN8n([credential], workflows());
}, TIMEOUT);

after(() => tearDown({ server }, n8n, pki));

/** The shipped example with its credential placeholder filled in; every node and connection as shipped. */
function renewalWorkflow(): WorkflowJson {
	const example = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as WorkflowJson;
	let placeholders = 0;
	const nodes = example.nodes.map((node) => {
		const refs = node.credentials as Record<string, { id: string; name: string }> | undefined;
		if (refs?.[MTLS_CREDENTIAL_TYPE]?.id !== EXAMPLE_CREDENTIAL_PLACEHOLDER) return node;
		placeholders++;
		return { ...node, credentials: { [MTLS_CREDENTIAL_TYPE]: { id: credential.id, name: credential.name } } };
	});
	assert.equal(placeholders, 1, `the example has one credential placeholder ${EXAMPLE_CREDENTIAL_PLACEHOLDER}`);
	return { ...example, id: IDS.renewal, active: false, nodes };
}

function workflows(): WorkflowJson[] {
	return [
		renewalWorkflow(),
		linearWorkflow(IDS.call, 'e2e: call the partner', [mtlsNode('mTLS', credential, { method: 'GET', url: `${server.origin}/whoami` })]),
	];
}

function itemsOf(batch: BatchResult, id: string, node: string): OutputItem[] {
	try {
		return outputOf(batch.runs[id], node);
	} catch (error) {
		throw new Error(`${(error as Error).message}\n--- n8n output ---\n${batch.log.slice(-6000)}`);
	}
}

/** The partner's CA signs the request as it is, alternative names included; notBefore is now. */
function signAsPartner(csrPem: string): string {
	const dir = join(pki.pki.dir, 'renewal');
	mkdirSync(dir, { recursive: true });
	writeFileSync(join(dir, 'request.csr'), csrPem);
	return openssl(['x509', '-req', '-in', join(dir, 'request.csr'), '-CA', join(pki.ca.dir, 'ca.crt'), '-CAkey', join(pki.ca.dir, 'ca.key'),
		'-days', '365', '-set_serial', `0x${Date.now().toString(16)}`, '-copy_extensions', 'copy', '-sha256']);
}

function pinOf(certificate: X509Certificate): string {
	return `sha256//${createHash('sha256').update(certificate.publicKey.export({ type: 'spki', format: 'der' })).digest('base64')}`;
}

test('the shipped renewal example: a new key and a CSR for the current subject, as JSON and files', TIMEOUT, async () => {
	firstRun = await n8n.runWorkflows([IDS.renewal, IDS.call]);
	const [item] = itemsOf(firstRun, IDS.renewal, RENEWAL.csr);
	created = item;
	const json = item.json as Record<string, string>;
	assert.equal(json.keyType, 'ec-p256');
	// The fixture writes /CN=…/O=…: RFC 2253 lists the last RDN first.
	assert.equal(json.subject, 'O=mTLS Test,CN=renewal-client.example');
	assert.deepEqual(item.json.subjectAltNames, ['DNS:renewal-client.example']);
	assert.match(json.csrPem, /^-----BEGIN CERTIFICATE REQUEST-----\n/);
	assert.match(json.encryptedPrivateKeyPem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
	assert.match(json.publicKeyPin, /^sha256\/\/[A-Za-z0-9+/]{43}=$/);

	// The files reach the next node, ready for an e-mail or upload node.
	const [sent] = itemsOf(firstRun, IDS.renewal, RENEWAL.send);
	const { csr, privateKey } = sent.binary ?? {};
	assert.ok(csr && privateKey, `binary fields csr and privateKey: ${JSON.stringify(Object.keys(sent.binary ?? {}))}`);
	assert.deepEqual([csr.fileName, csr.mimeType], ['renewal-client.example.csr', 'application/pkcs10']);
	assert.deepEqual([privateKey.fileName, privateKey.mimeType], ['renewal-client.example.key.pem', 'application/x-pem-file']);
	assert.equal(n8n.readBinary(csr).toString('ascii'), json.csrPem);
	assert.equal(n8n.readBinary(privateKey).toString('ascii'), json.encryptedPrivateKeyPem);

	// Before the renewal, the partner sees the current certificate.
	const [call] = itemsOf(firstRun, IDS.call, 'mTLS');
	assert.equal(call.json.fingerprint256, new X509Certificate(current.certPem).fingerprint256);
});

test('the signed certificate in Next Certificate Bundle: the node switches at its notBefore and the partner sees the new key', TIMEOUT, async () => {
	assert.ok(created, 'the first test produced a CSR');
	const json = created.json as Record<string, string>;
	const returned = signAsPartner(json.csrPem);
	const certificate = new X509Certificate(returned);
	assert.ok(new Date(certificate.validFrom).getTime() <= Date.now(), 'valid from now');
	assert.equal(pinOf(certificate), json.publicKeyPin, 'the partner certified the key of the request');
	assert.equal(certificate.subject, new X509Certificate(current.certPem).subject);
	assert.equal(certificate.subjectAltName, 'DNS:renewal-client.example');

	// What the user pastes: the returned certificate and the encrypted key from the CSR run.
	await n8n.importCredentials([{ ...credential, data: { ...credential.data, nextCertificateBundle: `${returned}${json.encryptedPrivateKeyPem}` } }]);
	const seenBefore = peers.length;
	const second = await n8n.runWorkflows([IDS.call]);
	const [call] = itemsOf(second, IDS.call, 'mTLS');
	assert.equal(call.json.fingerprint256, certificate.fingerprint256, 'the partner saw the new certificate');
	assert.deepEqual(peers.slice(seenBefore), [{ fingerprint256: certificate.fingerprint256, subject: 'renewal-client.example' }]);
	assert.notEqual(certificate.fingerprint256, new X509Certificate(current.certPem).fingerprint256);
	assert.ok(second.runs[IDS.call].hints.mTLS?.some((hint) => /Using the next client certificate "renewal-client\.example"/.test(hint)),
		`the execution says which certificate it used: ${JSON.stringify(second.runs[IDS.call].hints)}`);
});

test('n8n\'s output has no passphrase and no key in the clear', TIMEOUT, async () => {
	assert.ok(firstRun, 'the first test ran');
	const text = `${firstRun.log}\n${Object.values(firstRun.runs).map(({ error }) => error ?? '').join('\n')}`;
	for (const secret of [pki.passphrase, NEXT_PASSPHRASE, 'BEGIN PRIVATE KEY', 'BEGIN EC PRIVATE KEY']) {
		assert.ok(!text.includes(secret), `n8n's output must not contain ${JSON.stringify(secret.slice(0, 12))}…`);
	}
	assert.doesNotMatch(JSON.stringify(firstRun.runs), /BEGIN (EC )?PRIVATE KEY/, 'the execution data holds the key only encrypted');
});
