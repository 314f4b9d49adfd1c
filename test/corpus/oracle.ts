/**
 * The oracle: the `openssl` command-line tool's verdict on a corpus file, and the credential a user
 * would paste for it. "Usable" means what a TLS client needs: OpenSSL reads the file with the
 * password (with its default provider, or with the legacy provider that ships with OpenSSL 3 and
 * that OpenSSL 1.x needed no flag for), finds a private key, and can sign with it (a PEM key) or
 * finds the certificate that belongs to it (a PKCS#12 file).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Vector } from './vectors';

export type OpensslVerdict =
	| 'accept'
	/** Readable only with `-legacy` / `-provider legacy`: RC2, DES, RC4 and other OpenSSL 1.x defaults. */
	| 'accept-legacy'
	| 'refuse:unreadable'
	/** A PKCS#12 file without a private key (certificates only). */
	| 'refuse:no-key'
	/** A PKCS#12 file whose key belongs to none of its certificates, or that has none. */
	| 'refuse:no-matching-certificate'
	/** A key OpenSSL reads but cannot sign with (X25519, X448, DH): no TLS client can use it. */
	| 'refuse:cannot-sign';

export interface Judgement {
	verdict: OpensslVerdict;
	/** The "Certificate Bundle" field: a .p12 as base64, or the key file as it is plus a certificate for it. */
	bundle: string;
	passphrase?: string;
}

interface Run {
	ok: boolean;
	stdout: string;
}

function openssl(args: string[], input = ''): Promise<Run> {
	return new Promise((resolve, reject) => {
		const child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'ignore'] });
		let stdout = '';
		child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
		child.on('error', reject);
		child.on('close', (status) => resolve({ ok: status === 0, stdout }));
		// A command that exits without reading its input must not fail the run with EPIPE.
		child.stdin.on('error', () => undefined).end(input);
	});
}

const LEGACY_PROVIDERS = ['-provider', 'legacy', '-provider', 'default'];

/** A throwaway CA that certifies the public keys of keys that cannot sign their own certificate. */
export class Oracle {
	/** Scratch files of the run, removed by close(). */
	readonly dir = mkdtempSync(join(tmpdir(), 'mtls-corpus-'));
	private readonly caKey = join(this.dir, 'ca.key');
	private readonly caCert = join(this.dir, 'ca.pem');

	constructor() {
		const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', this.caKey];
		const made = spawnSync('openssl', ['req', '-x509', ...key, '-out', this.caCert, '-subj', '/CN=corpus CA', '-days', '2']);
		if (made.status !== 0) throw new Error('openssl could not make the corpus CA');
	}

	/** The CA's own certificate: an unrelated certificate for keys OpenSSL cannot read at all. */
	get unrelatedCertificate(): string {
		return readFileSync(this.caCert, 'utf8');
	}

	judge(vector: Vector): Promise<Judgement> {
		return vector.kind === 'pkcs12' ? this.judgePkcs12(vector) : this.judgeKey(vector);
	}

	/** Judges every vector, a few openssl processes at a time: the CLI's start-up is most of the cost. */
	async judgeAll(vectors: Vector[], concurrency = availableParallelism() + 1): Promise<Map<string, Judgement>> {
		const judgements = new Map<string, Judgement>();
		let next = 0;
		const worker = async (): Promise<void> => {
			for (let index = next++; index < vectors.length; index = next++) judgements.set(vectors[index].id, await this.judge(vectors[index]));
		};
		await Promise.all(Array.from({ length: concurrency }, worker));
		return judgements;
	}

	close(): void {
		rmSync(this.dir, { recursive: true, force: true });
	}

	private async judgePkcs12(vector: Vector): Promise<Judgement> {
		const passin = ['-passin', `pass:${vector.password ?? ''}`];
		const bundle = readFileSync(vector.path).toString('base64');
		const base = ['pkcs12', '-in', vector.path, ...passin, '-nodes'];
		let legacy = false;
		let run = await openssl(base);
		if (!run.ok) {
			legacy = true;
			run = await openssl([...base, '-legacy']);
		}
		const judgement = (verdict: OpensslVerdict): Judgement => ({ verdict, bundle, passphrase: vector.password });
		if (!run.ok) return judgement('refuse:unreadable');
		const blocks = pemBlocks(run.stdout);
		const key = blocks.find((block) => block.label.endsWith('PRIVATE KEY'));
		if (!key) return judgement('refuse:no-key');
		const publicKey = await openssl(['pkey', '-pubout'], key.pem);
		let matches = false;
		for (const certificate of blocks.filter((block) => block.label === 'CERTIFICATE')) {
			matches ||= publicKey.ok && (await openssl(['x509', '-pubkey', '-noout'], certificate.pem)).stdout.trim() === publicKey.stdout.trim();
		}
		if (!matches) return judgement('refuse:no-matching-certificate');
		return judgement(legacy ? 'accept-legacy' : 'accept');
	}

	/**
	 * A key file gets a certificate for its key: self-signed by it when OpenSSL can sign with it
	 * (that signature is the verdict), issued by the corpus CA when it can only read it.
	 */
	private async judgeKey(vector: Vector): Promise<Judgement> {
		const text = readFileSync(vector.path, 'latin1');
		const passin = ['-passin', `pass:${vector.password ?? ''}`];
		const judgement = (verdict: OpensslVerdict, certificate: string): Judgement => {
			return { verdict, bundle: `${text.trimEnd()}\n${certificate}`, passphrase: vector.password };
		};
		const selfSign = ['req', '-x509', '-new', '-key', vector.path, ...passin, '-subj', '/CN=corpus', '-days', '1'];
		for (const [providers, verdict] of [[[], 'accept'], [LEGACY_PROVIDERS, 'accept-legacy']] as const) {
			const signed = await openssl([...selfSign, ...providers]);
			if (signed.ok) return judgement(verdict, signed.stdout);
		}
		for (const providers of [[], LEGACY_PROVIDERS]) {
			const publicKey = await openssl(['pkey', '-in', vector.path, ...passin, '-pubout', ...providers]);
			if (publicKey.ok) return judgement('refuse:cannot-sign', await this.certify(vector.id, publicKey.stdout));
		}
		return judgement('refuse:unreadable', this.unrelatedCertificate);
	}

	private async certify(id: string, publicKeyPem: string): Promise<string> {
		const path = join(this.dir, `${id.replace(/[^A-Za-z0-9.-]/g, '_')}.pub`);
		writeFileSync(path, publicKeyPem);
		const issued = await openssl(['x509', '-new', '-subj', '/CN=corpus', '-force_pubkey', path, '-CA', this.caCert, '-CAkey', this.caKey, '-days', '1']);
		if (!issued.ok) throw new Error('openssl could not certify a public key it had read');
		return issued.stdout;
	}
}

interface Block {
	label: string;
	pem: string;
}

function pemBlocks(text: string): Block[] {
	return [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)].map((match) => ({ label: match[1], pem: `${match[0]}\n` }));
}
