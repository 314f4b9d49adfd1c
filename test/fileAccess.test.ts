/**
 * n8n's file access rules for the "Files on the n8n server" source, in every context: the pure rules
 * (n8n 2.x's defaults, explicit settings, n8n's own files, blocked patterns) and the settings read
 * from a real n8n 2.40.7 and 1.81.4 install. The Test button and the trigger: fileAccessContexts.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { envFileAccess, envFileAccessSettings, fileAccessRules, N8N_DEFAULT_FILE_FOLDER } from '../lib/tls/fileAccess';
import { FileSource } from '../lib/tls/files';
import { n8nFileAccess, n8nFileAccessSettings } from '../nodes/MtlsHttpRequest/fileAccess';
import { defaultN8nEnv, withEnv } from './fixtures/env';

const N8N_CACHE = process.env.N8N_MTLS_CACHE || join(homedir(), '.cache', 'n8n-nodes-mtls');
const N8N_ENTRIES = {
	'2.40.7': join(N8N_CACHE, 'n8n-2.40.7', 'node_modules', 'n8n', 'bin', 'n8n'),
	'1.81.4': join(N8N_CACHE, 'n8n-1.81.4-node20', 'node_modules', 'n8n', 'bin', 'n8n'),
};

describe('n8n file access rules', () => {
	let root: string;
	let home: string;

	before(() => {
		root = mkdtempSync(join(tmpdir(), 'mtls-access-'));
		home = join(root, 'home');
		mkdirSync(join(home, '.n8n-files'), { recursive: true });
	});
	after(() => rmSync(root, { recursive: true, force: true }));

	test('the rules, table-driven: n8n 2.x defaults, explicit folders, n8n\'s own files, blocked patterns', () => {
		const etc = join(root, 'etc', 'ssl', 'private', 'server.key');
		const inFiles = join(home, '.n8n-files', 'partner', 'client.pem');
		// Any folder allowed, so the other rules show alone.
		const open = (more: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ N8N_RESTRICT_FILE_ACCESS_TO: '', ...more });
		const restrict = (folders: string): NodeJS.ProcessEnv => ({ N8N_RESTRICT_FILE_ACCESS_TO: folders });
		const cases: Array<[string, NodeJS.ProcessEnv, string, string | undefined]> = [
			// [what, variables, path, refusing rule or undefined]
			['unset: n8n 2.x default folder refuses outside it', {}, etc, 'outsideAllowedFolders'],
			['unset: inside ~/.n8n-files is allowed', {}, inFiles, undefined],
			['unset: a sibling named like the folder', {}, join(home, '.n8n-filesX', 'a.pem'), 'outsideAllowedFolders'],
			['empty: no folder restriction', open(), etc, undefined],
			['quoted empty, as @n8n/config reads it', { N8N_RESTRICT_FILE_ACCESS_TO: '""' }, etc, undefined],
			['explicit folders replace the default', restrict(` ${join(root, 'etc')} ; /srv `), etc, undefined],
			['explicit folders replace the default (2)', restrict(join(root, 'etc')), inFiles, 'outsideAllowedFolders'],
			['n8n\'s folder, even inside an allowed one', restrict(home), join(home, '.n8n', 'config'), 'n8nFiles'],
			['n8n\'s static cache', open(), join(home, '.cache/n8n/public/x.pem'), 'n8nFiles'],
			['N8N_USER_FOLDER moves n8n\'s folder', open({ N8N_USER_FOLDER: join(root, 'data') }), join(root, 'data/.n8n/x.pem'), 'n8nFiles'],
			['config files', open({ N8N_CONFIG_FILES: `/a,${join(root, 'n8n.json')}` }), join(root, 'n8n.json'), 'n8nFiles'],
			['custom extensions', open({ N8N_CUSTOM_EXTENSIONS: `/x;${join(root, 'custom')}` }), join(root, 'custom', 'a'), 'n8nFiles'],
			['binary data', open({ N8N_BINARY_DATA_STORAGE_PATH: join(root, 'bin') }), join(root, 'bin', 'a'), 'n8nFiles'],
			['n8n\'s files may be opened up', open({ N8N_BLOCK_FILE_ACCESS_TO_N8N_FILES: 'false' }), join(home, '.n8n', 'x.pem'), undefined],
			['.git is blocked by default', open(), join(root, 'repo', '.git', 'client.pem'), 'blockedPattern'],
			['.git inside the allowed folder too', {}, join(home, '.n8n-files', '.git', 'client.pem'), 'blockedPattern'],
			['custom patterns replace the default', open({ N8N_BLOCK_FILE_PATTERNS: '\\.key$' }), join(root, 'a.key'), 'blockedPattern'],
			['custom patterns replace the default (2)', open({ N8N_BLOCK_FILE_PATTERNS: '\\.key$' }), join(root, '.git', 'a.pem'), undefined],
			['a pattern that does not compile blocks all', open({ N8N_BLOCK_FILE_PATTERNS: '(' }), join(root, 'a.pem'), 'blockedPattern'],
			['Kubernetes\' ..data is inside its folder', restrict(join(root, 'vol')), join(root, 'vol', '..data', 'tls.key'), undefined],
		];
		for (const [what, variables, path, rule] of cases) {
			const refusal = envFileAccess({ HOME: home, ...variables }, home)(path);
			assert.equal(refusal?.rule, rule, what);
		}
	});

	test('a refusal names the rule, and n8n 2.x\'s default folder when that is what applies', () => {
		const outside = join(root, 'etc', 'client.pem');
		const byDefault = envFileAccess({ HOME: home }, home)(outside)!;
		assert.match(byDefault.problem, /outside the folders n8n may read: N8N_RESTRICT_FILE_ACCESS_TO \(n8n's default: ~\/\.n8n-files/);
		assert.ok(byDefault.problem.includes(join(home, '.n8n-files')), byDefault.problem);
		const explicit = envFileAccess({ HOME: home, N8N_RESTRICT_FILE_ACCESS_TO: '/srv/certs' }, home)(outside)!;
		assert.match(explicit.problem, /N8N_RESTRICT_FILE_ACCESS_TO \(\/srv\/certs\)$/);
		assert.match(envFileAccess({ HOME: home }, home)(join(home, '.n8n', 'config'))!.problem, /N8N_BLOCK_FILE_ACCESS_TO_N8N_FILES/);
	});

	test('N8N_RESTRICT_FILE_ACCESS_TO_FILE is read as n8n reads it; an unreadable one keeps the default', () => {
		const file = join(root, 'restrict.txt');
		writeFileSync(file, ` ${join(root, 'certs')}\n`);
		assert.equal(envFileAccessSettings({ N8N_RESTRICT_FILE_ACCESS_TO_FILE: file }, home).restrictFileAccessTo, join(root, 'certs'));
		const missing = envFileAccessSettings({ N8N_RESTRICT_FILE_ACCESS_TO_FILE: join(root, 'missing.txt') }, home);
		assert.equal(missing.restrictFileAccessTo, N8N_DEFAULT_FILE_FOLDER);
	});

	test('reading files: outside the default folder refused before existence is told; a symlink out is refused', async () => {
		const allowedDir = join(home, '.n8n-files');
		const outside = join(root, 'outside');
		mkdirSync(outside, { recursive: true });
		writeFileSync(join(outside, 'exists.pem'), 'x');
		symlinkSync(join(outside, 'exists.pem'), join(allowedDir, 'link.pem'));
		const rules = envFileAccess({ HOME: home }, home);
		const files = new FileSource();
		const refused = [join(outside, 'exists.pem'), join(outside, 'missing.pem'), join(outside, 'nofolder', 'x.pem'), join(allowedDir, 'link.pem')];
		for (const path of refused) {
			await assert.rejects(files.read({ bundlePath: path }, rules), (error: { code: string; message: string; description: string }) => {
				assert.equal(error.code, 'FILE_NOT_ALLOWED', path);
				assert.ok(error.message.includes(`"${path}" in "Bundle File"`), error.message);
				assert.match(error.message, /n8n's default: ~\/\.n8n-files/);
				assert.match(error.description, /N8N_RESTRICT_FILE_ACCESS_TO/);
				return true;
			});
		}
		// Inside the allowed folder, the usual answers.
		await assert.rejects(files.read({ bundlePath: join(allowedDir, 'missing.pem') }, rules), { code: 'FILE_NOT_FOUND' });
	});

	test('the settings of a real n8n: 2.40.7 restricts to ~/.n8n-files by default, 1.81.4 does not', async (t) => {
		for (const [version, entry] of Object.entries(N8N_ENTRIES)) {
			if (!existsSync(entry)) {
				t.diagnostic(`n8n ${version} is not installed in ${N8N_CACHE}: not checked`);
				continue;
			}
			// Each install has its own @n8n/di container; its SecurityConfig is built on first use, from this environment.
			const settings = await withEnv(defaultN8nEnv(home), () => n8nFileAccessSettings(entry));
			assert.equal(settings.restrictFileAccessTo, version.startsWith('2.') ? '~/.n8n-files' : '', version);
			assert.equal(settings.restrictIsDefault, true);
			assert.equal(settings.blockFilePatterns, '^(?:[^/]*/)*\\.git(?:/.*)?$');
			assert.equal(settings.n8nPaths[0], join(home, '.n8n'));
		}
	});

	test('outside n8n, or with an n8n layout not understood, the environment rules with n8n 2.x\'s default apply', async () => {
		const bogus = join(root, 'bin', 'n8n');
		mkdirSync(join(root, 'bin'), { recursive: true });
		writeFileSync(join(root, 'package.json'), '{"name":"n8n"}');
		writeFileSync(bogus, '');
		for (const entry of [bogus, join(root, 'nowhere', 'n8n'), __filename, undefined]) {
			const settings = await withEnv(defaultN8nEnv(home), () => n8nFileAccessSettings(entry));
			assert.equal(settings.restrictFileAccessTo, N8N_DEFAULT_FILE_FOLDER, String(entry));
			assert.equal(settings.restrictIsDefault, true);
		}
		// This test process is not n8n: the check contexts without n8n's helper use the safe default.
		const refusal = await withEnv(defaultN8nEnv(home), () => n8nFileAccess({})(join(root, 'etc', 'x.pem')));
		assert.equal(refusal?.rule, 'outsideAllowedFolders');
		// Where n8n offers its own check, it decides; our rules only name the reason.
		assert.equal(n8nFileAccess({ isFilePathBlocked: () => false })(join(root, 'etc', 'x.pem')), undefined);
		const blockedByN8n = () => n8nFileAccess({ isFilePathBlocked: () => true })(join(home, '.n8n-files', 'x.pem'));
		const unexplained = await withEnv(defaultN8nEnv(home), blockedByN8n);
		assert.equal(unexplained?.rule, 'n8n');
	});

	test('fileAccessRules: `~` is n8n\'s home folder, several folders, nothing restricted', () => {
		const base = envFileAccessSettings({ HOME: home }, home);
		const rules = fileAccessRules({ ...base, restrictFileAccessTo: '~/certs;~/more' });
		assert.equal(rules(join(home, 'more', 'a.pem')), undefined);
		assert.equal(rules(join(root, 'certs', 'a.pem'))?.rule, 'outsideAllowedFolders');
		assert.equal(fileAccessRules({ ...base, restrictFileAccessTo: ' ; ' })(join(root, 'x')), undefined);
	});
});
