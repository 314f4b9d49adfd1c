/**
 * The "Files on the n8n server" source: n8n's file access rules, errors that name the path and never
 * the content, and certificates rotated under a running loop of executions as Kubernetes rotates a
 * mounted secret (a new timestamped folder, then the `..data` symlink swapped atomically).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { IExecuteFunctions } from 'n8n-workflow';

import { createAgent } from '../lib/http/agent';
import { send } from '../lib/http/send';
import { envFileAccess } from '../lib/tls/fileAccess';
import { FileSource } from '../lib/tls/files';
import { loadCredential } from '../nodes/MtlsHttpRequest/credential';
import { materialInputOf } from '../nodes/MtlsHttpRequest/credentialSource';
import { MaterialCache } from '../lib/tls/cache';
import { selectMaterial } from '../lib/tls/rotation';
import { createStandardPki, encryptKey, Issued, openssl, StandardPki } from './fixtures/pki';
import { MtlsServer, startMtlsServer } from './fixtures/mtlsServer';

/** An execution on n8n 2.x: its isFilePathBlocked decides (here: everything allowed unless told otherwise). */
function executionContext(credential: Record<string, string>, isFilePathBlocked: (path: string) => boolean = () => false): IExecuteFunctions {
	return { getCredentials: async () => credential, helpers: { isFilePathBlocked } } as unknown as IExecuteFunctions;
}

/** A Kubernetes secret volume: files are symlinks through `..data` to a timestamped folder. */
class SecretVolume {
	private generation = 0;

	constructor(readonly dir: string) {
		mkdirSync(dir, { recursive: true });
	}

	/** Writes a new generation and swaps `..data` to it in one rename, as kubelet's AtomicWriter does. */
	publish(files: Record<string, string>): void {
		const previous = this.generation > 0 ? join(this.dir, `..gen_${this.generation}`) : undefined;
		const target = `..gen_${++this.generation}`;
		mkdirSync(join(this.dir, target));
		for (const [name, content] of Object.entries(files)) writeFileSync(join(this.dir, target, name), content);
		symlinkSync(target, join(this.dir, '..data_tmp'));
		renameSync(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
		for (const name of Object.keys(files)) {
			try {
				symlinkSync(join('..data', name), join(this.dir, name));
			} catch {
				// The user-visible link already points through ..data.
			}
		}
		if (previous) rmSync(previous, { recursive: true, force: true });
	}
}

describe('certificates from files', () => {
	let pki: StandardPki;
	let server: MtlsServer;
	let root: string;
	let successor: Issued;

	before(async () => {
		pki = createStandardPki();
		successor = pki.pki.issue(pki.ca, { cn: 'client-rotated.example' });
		server = await startMtlsServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.ca.certPem });
		root = mkdtempSync(join(tmpdir(), 'mtls-files-'));
	});
	after(async () => {
		await server.close();
		pki.pki.cleanup();
		rmSync(root, { recursive: true, force: true });
	});

	test('n8n\'s access rules: allowed folders, never n8n\'s own folder or .git, decided on the resolved path', () => {
		const home = join(root, 'home');
		const rules = envFileAccess({ N8N_RESTRICT_FILE_ACCESS_TO: `${join(root, 'certs')}; ${join(root, 'more')}`, N8N_USER_FOLDER: home });
		const cases: Array<[string, boolean]> = [
			[join(root, 'certs', 'tls.key'), true],
			[join(root, 'certs', '..data', 'tls.key'), true],
			[join(root, 'certs', '..2026_11_30_22_00_00.123', 'tls.key'), true],
			[join(root, 'more', 'deep', 'client.pem'), true],
			[join(root, 'certsX', 'tls.key'), false],
			[join(root, 'other', 'tls.key'), false],
			[join(root, 'certs', '..', 'other', 'tls.key'), false],
		];
		const allowed = (check: typeof rules, path: string) => check(path) === undefined;
		for (const [path, expected] of cases) assert.equal(allowed(rules, path), expected, path);
		const open = envFileAccess({ N8N_RESTRICT_FILE_ACCESS_TO: '', N8N_USER_FOLDER: home });
		assert.equal(allowed(open, join(root, 'anywhere', 'tls.key')), true);
		assert.equal(allowed(open, join(home, '.n8n', 'config')), false);
		assert.equal(allowed(open, join(root, 'repo', '.git', 'tls.key')), false);
		const n8nFilesOpen = envFileAccess({ N8N_RESTRICT_FILE_ACCESS_TO: '', N8N_USER_FOLDER: home, N8N_BLOCK_FILE_ACCESS_TO_N8N_FILES: 'false' });
		assert.equal(allowed(n8nFilesOpen, join(home, '.n8n', 'x.pem')), true);
	});

	test('a symlink out of the allowed folder is refused; errors name the path, never the content', async () => {
		const allowed = join(root, 'allowed');
		const outside = join(root, 'outside');
		mkdirSync(allowed, { recursive: true });
		mkdirSync(outside, { recursive: true });
		const keyPem = encryptKey(pki.clientEc.keyPem, pki.passphrase);
		writeFileSync(join(outside, 'tls.key'), keyPem);
		writeFileSync(join(allowed, 'tls.crt'), pki.clientEc.certPem);
		symlinkSync(join(outside, 'tls.key'), join(allowed, 'tls.key'));
		writeFileSync(join(allowed, 'big.pem'), Buffer.alloc(1024 * 1024 + 1, 'A'));
		writeFileSync(join(allowed, 'garbage.pem'), `${pki.clientEc.certPem}\nnot a key but secret-looking text`);
		const rules = envFileAccess({ N8N_RESTRICT_FILE_ACCESS_TO: allowed });
		const files = new FileSource();
		const cases: Array<[Record<string, string>, string, string]> = [
			[{ keyPath: join(allowed, 'tls.key'), certificatePath: join(allowed, 'tls.crt') }, 'FILE_NOT_ALLOWED', 'keyPath'],
			[{ bundlePath: join(allowed, 'missing.pem') }, 'FILE_NOT_FOUND', 'bundlePath'],
			[{ bundlePath: allowed }, 'FILE_NOT_REGULAR', 'bundlePath'],
			[{ bundlePath: join(allowed, 'big.pem') }, 'FILE_TOO_LARGE', 'bundlePath'],
			[{ bundlePath: 'certs/client.pem' }, 'FILE_PATH_NOT_ABSOLUTE', 'bundlePath'],
			[{ keyPath: join(allowed, 'tls.key') }, 'FILE_PATH_MISSING', 'certificatePath'],
			[{ bundlePath: join(allowed, 'big.pem'), keyPath: join(allowed, 'tls.key') }, 'FILE_PATHS_AMBIGUOUS', 'bundlePath'],
			[{}, 'FILE_PATH_MISSING', 'bundlePath'],
		];
		for (const [paths, code, field] of cases) {
			await assert.rejects(files.read(paths, rules), (error: { code: string; field: string; message: string; description: string }) => {
				assert.equal(error.code, code, JSON.stringify(paths));
				assert.equal(error.field, field);
				const path = paths.bundlePath ?? paths.keyPath;
				if (path && code.startsWith('FILE_') && !code.startsWith('FILE_PATH')) assert.ok(error.message.includes(`"${path}"`), error.message);
				assert.doesNotMatch(`${error.message} ${error.description}`, /BEGIN|AAAA|secret-looking/);
				return true;
			});
		}
		// Readable but not a key: the loader's own error, without the file's text.
		const input = await materialInputOf({ source: 'files', certificateBundle: '', bundlePath: join(allowed, 'garbage.pem') }, rules);
		assert.throws(() => selectMaterial(input, new MaterialCache()), (error: { code: string; message: string }) => {
			assert.equal(error.code, 'BUNDLE_NO_KEY');
			assert.doesNotMatch(error.message, /secret-looking|BEGIN/);
			return true;
		});
		// Through the node, the loader's words name the file fields of the credential.
		await assert.rejects(loadCredential(executionContext({ source: 'files', bundlePath: join(allowed, 'garbage.pem') })), (error: { code: string; field: string; message: string }) => {
			assert.equal(error.code, 'BUNDLE_NO_KEY');
			assert.equal(error.field, 'bundlePath');
			assert.match(error.message, /"Bundle File"/);
			assert.doesNotMatch(error.message, /Certificate Bundle|secret-looking/);
			return true;
		});
		// n8n's own check wins when the execution context offers it.
		const blockedByN8n = executionContext({ source: 'files', bundlePath: join(outside, 'tls.key') }, () => true);
		await assert.rejects(loadCredential(blockedByN8n), { code: 'FILE_NOT_ALLOWED', field: 'bundlePath' });
	});

	test('a credential saved before the Source field existed still uses its pasted bundle', async () => {
		const selection = await loadCredential(executionContext({ certificateBundle: pki.bundleEc, passphrase: pki.passphrase }));
		assert.equal(selection.material.leaf.subject.includes('client-ec.example'), true);
	});

	test('a .p12 file is read as the pasted field reads its base64', async () => {
		const file = join(root, 'client.p12');
		openssl(['pkcs12', '-export', '-passout', 'env:P', '-out', file], pki.clientEc.keyPem + pki.clientEc.certPem, { P: pki.passphrase });
		const selection = await loadCredential(executionContext({ source: 'files', bundlePath: file, passphrase: pki.passphrase }));
		assert.match(selection.material.leaf.subject, /client-ec\.example/);
	});

	test('Kubernetes-style rotation under a running loop of executions: the server sees the new identity, no item fails', async () => {
		const volume = new SecretVolume(join(root, 'secret'));
		const generation = (issued: Issued) => ({ 'tls.key': encryptKey(issued.keyPem, pki.passphrase), 'tls.crt': issued.certPem, 'ca.crt': pki.ca.certPem });
		volume.publish(generation(pki.clientEc));
		const credential = {
			source: 'files', certificateBundle: '', passphrase: pki.passphrase,
			keyPath: join(volume.dir, 'tls.key'), certificatePath: join(volume.dir, 'tls.crt'), caPath: join(volume.dir, 'ca.crt'),
		};
		const ctx = executionContext(credential, (path) => !path.startsWith(root));
		const seen: string[] = [];
		const failures: unknown[] = [];
		let running = true;
		let rotations = 0;
		// Four workflows executing concurrently, each execution one agent and three items, as execute() does.
		const execution = async () => {
			const selection = await loadCredential(ctx);
			const agent = createAgent(selection.material);
			try {
				for (let item = 0; item < 3; item++) {
					try {
						const response = await send(agent, { method: 'GET', url: new URL(`${server.origin}/who`), headers: {}, redirect: { follow: false, max: 0, allowCrossOrigin: false } });
						seen.push(JSON.parse(response.body.toString()).peerSubject);
					} catch (error) {
						failures.push(error);
					}
				}
			} finally {
				await agent.close();
			}
		};
		const loop = async () => {
			while (running) {
				try {
					await execution();
				} catch (error) {
					failures.push(error);
				}
			}
		};
		const workers = Array.from({ length: 4 }, loop);
		const until = async (predicate: () => boolean) => {
			while (!predicate()) await new Promise((resolve) => setTimeout(resolve, 5));
		};
		await until(() => seen.length >= 30);
		// Rotate back and forth many times while the loop runs; each swap is one rename.
		for (const issued of [successor, pki.clientEc, successor, pki.clientEc, successor, pki.clientEc, successor]) {
			volume.publish(generation(issued));
			rotations++;
			const before = seen.length;
			await until(() => seen.length >= before + 12);
		}
		const beforeLast = seen.length;
		await until(() => seen.length >= beforeLast + 24);
		running = false;
		await Promise.all(workers);
		const rotated = seen.filter((cn) => cn === 'client-rotated.example').length;
		console.log(`items sent: ${seen.length}, rotations: ${rotations}, with the rotated identity: ${rotated}, failures: ${failures.length}`);
		assert.deepEqual(failures, []);
		assert.ok(rotated > 0);
		// After the last swap settles, every new execution presents the successor.
		assert.deepEqual(new Set(seen.slice(-12)), new Set(['client-rotated.example']));
	});
});
