import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, posix, resolve, sep } from 'node:path';
import { cwd, env, platform } from 'node:process';

/**
 * n8n's file access rules as plain values: what @n8n/config's SecurityConfig and n8n's folders hold.
 * The node layer reads them from the running n8n; outside n8n they come from the environment.
 */
export interface FileAccessSettings {
	/** Folders separated by ";", `~` for the home folder; '' allows every folder. */
	restrictFileAccessTo: string;
	/** restrictFileAccessTo is n8n's default, not the administrator's choice: messages say so. */
	restrictIsDefault: boolean;
	blockFileAccessToN8nFiles: boolean;
	/** Regular expressions separated by ";", tested on the path. */
	blockFilePatterns: string;
	/** n8n's own folder, static cache, config files, custom nodes, binary data and e-mail templates. */
	n8nPaths: string[];
	/** What a leading `~` stands for (n8n expands it with os.homedir()). */
	home: string;
}

/** Which rule refused a path. `n8n` is n8n's own check, when ours cannot say more. */
export type FileRule = 'outsideAllowedFolders' | 'n8nFiles' | 'blockedPattern' | 'n8n';

/** Why a path may not be read, in words for the user: the rule, then what to do. */
export interface FileRefusal {
	rule: FileRule;
	problem: string;
	fix: string;
}

/** Decides whether a path may be read: undefined when it may, else the reason. */
export type FileAccessCheck = (path: string) => FileRefusal | undefined;

/** n8n 2.x's defaults (@n8n/config SecurityConfig). n8n 1.x had '' (no restriction) and no patterns. */
export const N8N_DEFAULT_FILE_FOLDER = '~/.n8n-files';
export const N8N_DEFAULT_BLOCK_FILE_PATTERNS = '^(?:[^/]*/)*\\.git(?:/.*)?$';

/**
 * The settings n8n would derive from these variables, for when the running n8n's own cannot be read
 * (tests, an n8n layout we do not know). An unset N8N_RESTRICT_FILE_ACCESS_TO means n8n 2.x's
 * default folder, not "anywhere": n8n 2.x is the platform this package targets, and on n8n 1.x the
 * node layer reads the live setting ('' there). Guessing wrong this way refuses a file; the other
 * way would let a credential's Test button read any file the n8n process can.
 */
export function envFileAccessSettings(
	variables: NodeJS.ProcessEnv = env,
	home = homedir(),
	userHome = n8nUserHome(variables),
): FileAccessSettings {
	const restrict = readVariable(variables, 'N8N_RESTRICT_FILE_ACCESS_TO');
	const patterns = readVariable(variables, 'N8N_BLOCK_FILE_PATTERNS');
	const list = (name: string, separator?: string) => {
		const value = variables[name];
		return value ? (separator ? value.split(separator) : [value]) : [];
	};
	return {
		restrictFileAccessTo: restrict ?? N8N_DEFAULT_FILE_FOLDER,
		restrictIsDefault: restrict === undefined,
		// n8n-core reads this one from the environment itself, not from SecurityConfig.
		blockFileAccessToN8nFiles: variables.N8N_BLOCK_FILE_ACCESS_TO_N8N_FILES !== 'false',
		blockFilePatterns: patterns ?? N8N_DEFAULT_BLOCK_FILE_PATTERNS,
		// InstanceSettings' n8nFolder and staticCacheDir, then what getN8nRestrictedPaths adds from the environment.
		n8nPaths: [
			join(userHome, '.n8n'),
			join(userHome, '.cache/n8n/public'),
			...list('N8N_CONFIG_FILES', ','),
			...list('N8N_CUSTOM_EXTENSIONS', ';'),
			...list('N8N_BINARY_DATA_STORAGE_PATH'),
			...list('N8N_UM_EMAIL_TEMPLATES_INVITE'),
			...list('N8N_UM_EMAIL_TEMPLATES_PWRESET'),
		],
		home,
	};
}

/** The folder n8n keeps `.n8n` in (@n8n/config getN8nFolder()). */
export function n8nUserHome(variables: NodeJS.ProcessEnv = env): string {
	return variables.N8N_USER_FOLDER ?? variables[platform === 'win32' ? 'USERPROFILE' : 'HOME'] ?? cwd();
}

/**
 * The check n8n-core 2.40 applies (isFilePathBlocked in node-execution-context/utils/
 * file-system-helper-functions.js), in its order: n8n's own files, then blocked patterns on the
 * normalized path, then the allowed folders. The caller passes a path with symlinks resolved, as
 * n8n does, so a link cannot lead out of an allowed folder.
 */
export function fileAccessRules(settings: FileAccessSettings): FileAccessCheck {
	const expand = (path: string) => (path.startsWith('~') ? path.replace('~', settings.home) : path);
	const allowed = splitList(settings.restrictFileAccessTo).map(expand);
	const n8nPaths = settings.blockFileAccessToN8nFiles ? settings.n8nPaths : [];
	const patterns = splitList(settings.blockFilePatterns);
	const texts = refusalTexts(settings, allowed);
	return (path) => {
		if (n8nPaths.some((dir) => isContainedWithin(dir, path))) return texts.n8nFiles();
		const normalized = posix.normalize(path.replace(/\\/g, '/'));
		const pattern = patterns.find((candidate) => matches(candidate, normalized));
		if (pattern !== undefined) return texts.blockedPattern(pattern);
		if (allowed.length && !allowed.some((dir) => isContainedWithin(dir, path))) return texts.outsideAllowedFolders();
		return undefined;
	};
}

/** The rules from the environment alone (see envFileAccessSettings for the default it assumes). */
export function envFileAccess(variables: NodeJS.ProcessEnv = env, home = homedir()): FileAccessCheck {
	return fileAccessRules(envFileAccessSettings(variables, home));
}

/** What to say when n8n's own check refuses a path and ours does not know why. */
export const N8N_REFUSAL: FileRefusal = {
	rule: 'n8n',
	problem: "is refused by n8n's file access rules",
	fix: 'Ask the administrator which folders N8N_RESTRICT_FILE_ACCESS_TO allows, and put the certificate files there.',
};

function refusalTexts(settings: FileAccessSettings, allowed: string[]) {
	const folders = settings.restrictFileAccessTo.trim();
	const where = settings.restrictIsDefault ? `n8n's default: ${folders}, on this server ${allowed.join('; ')}` : folders;
	const home = allowed.length ? `a folder n8n may read (${allowed.join('; ')})`
		: `a folder of their own, e.g. ${N8N_DEFAULT_FILE_FOLDER}`;
	return {
		outsideAllowedFolders: (): FileRefusal => ({
			rule: 'outsideAllowedFolders',
			problem: `is outside the folders n8n may read: N8N_RESTRICT_FILE_ACCESS_TO (${where})`,
			fix: 'Put the certificate files (or mount their volume) in one of these folders, or ask the administrator to add '
				+ 'their folder to N8N_RESTRICT_FILE_ACCESS_TO (folders separated by ";").',
		}),
		n8nFiles: (): FileRefusal => ({
			rule: 'n8nFiles',
			problem: "is among n8n's own files, which workflows may not read (N8N_BLOCK_FILE_ACCESS_TO_N8N_FILES)",
			fix: `Keep certificates out of n8n's .n8n folder, its config files, custom nodes and binary data: put them in ${home}.`,
		}),
		blockedPattern: (pattern: string): FileRefusal => ({
			rule: 'blockedPattern',
			problem: `matches a pattern n8n blocks: N8N_BLOCK_FILE_PATTERNS (${pattern})`,
			fix: `n8n refuses such paths (by default anything inside a .git folder): put the certificate files in ${home}.`,
		}),
	};
}

/** Reads a setting as @n8n/config does: the variable, else the file named by <name>_FILE; quotes and blanks removed. */
function readVariable(variables: NodeJS.ProcessEnv, name: string): string | undefined {
	let value = variables[name];
	if (!(name in variables) && variables[`${name}_FILE`]) {
		try {
			value = readFileSync(variables[`${name}_FILE`]!, 'utf8').trim();
		} catch {
			// n8n would not start with an unreadable settings file; the default is the safe guess.
			value = undefined;
		}
	}
	return value === undefined ? undefined : value.trim().replace(/^(['"])(.*)\1$/, '$2');
}

function splitList(text: string): string[] {
	return text.split(';').map((part) => part.trim()).filter(Boolean);
}

/** @n8n/backend-common isContainedWithin: `/certs` holds `/certs/..data/tls.key`, not `/certsX`. */
function isContainedWithin(parent: string, child: string): boolean {
	const parentPath = resolve(parent);
	const childPath = resolve(child);
	return parentPath === childPath || childPath.startsWith(parentPath + sep);
}

function matches(pattern: string, path: string): boolean {
	try {
		return new RegExp(pattern, 'mi').test(path);
	} catch {
		// n8n treats a pattern it cannot compile as blocking everything.
		return true;
	}
}
