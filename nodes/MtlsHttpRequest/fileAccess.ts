import { readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { argv, env } from 'node:process';

import { envFileAccessSettings, FileAccessCheck, FileAccessSettings, fileAccessRules, N8N_REFUSAL } from '../../lib/tls/fileAccess';

/** What the lookup needs of @n8n/di and @n8n/config; both exist from n8n 1.x on. */
interface N8nModules {
	Container: { get(type: unknown): unknown };
	SecurityConfig: unknown;
	InstanceSettingsConfig?: unknown;
}

interface SecurityValues {
	restrictFileAccessTo?: unknown;
	blockFilePatterns?: unknown;
}

interface InstanceValues {
	userHome?: unknown;
}

/** n8n's helper, where the context offers one (executions on n8n 2.x). */
type IsFilePathBlocked = (path: string) => boolean;

let modules: N8nModules | null | undefined;

/**
 * The file access rules of the n8n this node runs in, for every context: n8n's own check decides
 * where the context offers it; elsewhere (the credential Test button, triggers, n8n 1.x) n8n's live
 * settings feed the same rules, and the environment with n8n 2.x's defaults when they cannot be read.
 */
export function n8nFileAccess(helpers?: unknown): FileAccessCheck {
	// Settings are read at the first path checked: a pasted credential, most executions, needs none.
	let rules: FileAccessCheck | undefined;
	const ours: FileAccessCheck = (path) => (rules ??= fileAccessRules(n8nFileAccessSettings()))(path);
	const blocked = (helpers as { isFilePathBlocked?: IsFilePathBlocked } | undefined)?.isFilePathBlocked;
	if (typeof blocked !== 'function') return ours;
	// n8n decides; our rules (fed the same settings) only say which rule it was.
	return (path) => (blocked.call(helpers, path) ? (ours(path) ?? N8N_REFUSAL) : undefined);
}

/** n8n's settings as the running n8n holds them, over what the environment says. Never throws. */
export function n8nFileAccessSettings(entry?: string): FileAccessSettings {
	const found = entry === undefined ? runningN8n() : load(entry);
	let security: SecurityValues = {};
	let instance: InstanceValues = {};
	try {
		if (found) security = found.Container.get(found.SecurityConfig) as SecurityValues;
		// A config class, built from the environment without side effects (unlike n8n-core's InstanceSettings); 2.x only.
		if (found?.InstanceSettingsConfig) instance = found.Container.get(found.InstanceSettingsConfig) as InstanceValues;
	} catch {
		// An n8n whose config we do not understand: the environment's rules apply.
	}
	const userHome = typeof instance.userHome === 'string' ? instance.userHome : undefined;
	const settings = envFileAccessSettings(env, homedir(), userHome);
	if (typeof security.restrictFileAccessTo === 'string') settings.restrictFileAccessTo = security.restrictFileAccessTo;
	// Missing on n8n 1.x, which blocks no patterns; the 2.x default stays (certificates have no business in .git).
	if (typeof security.blockFilePatterns === 'string') settings.blockFilePatterns = security.blockFilePatterns;
	return settings;
}

/** @n8n/di and @n8n/config as n8n itself resolves them, found once per process. */
function runningN8n(): N8nModules | undefined {
	if (modules === undefined) {
		modules = [require.main?.filename, argv[1]].map((entry) => (entry ? load(entry) : undefined)).find(Boolean) ?? null;
	}
	return modules ?? undefined;
}

/**
 * Resolves n8n's modules from its entry script (`bin/n8n` of the `n8n` package, CommonJS in 1.x and
 * 2.x), so the same module instances n8n uses are read, not copies in this package's dependencies.
 */
function load(entry: string): N8nModules | undefined {
	try {
		const script = realpathSync(entry);
		const manifest = JSON.parse(readFileSync(join(dirname(script), '..', 'package.json'), 'utf8')) as { name?: string };
		if (manifest.name !== 'n8n') return undefined;
		const fromN8n = createRequire(script);
		const { Container } = fromN8n('@n8n/di') as Pick<N8nModules, 'Container'>;
		const config = fromN8n('@n8n/config') as Partial<N8nModules>;
		if (typeof Container?.get !== 'function' || typeof config.SecurityConfig !== 'function') return undefined;
		return { Container, SecurityConfig: config.SecurityConfig, InstanceSettingsConfig: config.InstanceSettingsConfig };
	} catch {
		return undefined;
	}
}
