/**
 * The SSRF filter the credential Test builds from n8n's settings (lib/http/ssrf.ts): what it refuses,
 * and, when n8n 2.40.7 is installed (scripts/ensure-n8n.sh), that n8n's own SsrfProtectionService
 * decides every case the same way.
 */
import assert from 'node:assert/strict';
import { promises as dns } from 'node:dns';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import type { EgressFilter } from '../lib/http/egress';
import { createSsrfFilter, DEFAULT_BLOCKED_IP_RANGES, SsrfRules, ssrfFilterFromEnv } from '../lib/http/ssrf';

const N8N_MODULES = join(process.env.N8N_MTLS_CACHE ?? join(homedir(), '.cache/n8n-nodes-mtls'), 'n8n-2.40.7/node_modules');
const N8N_SERVICE = join(N8N_MODULES, '@n8n/backend-network/dist/ssrf/ssrf-protection.service.js');

/** n8n's own filter for these rules, or undefined when n8n 2.40.7 is not installed. */
function n8nFilter(rules: SsrfRules): EgressFilter | undefined {
	if (!existsSync(N8N_SERVICE)) return undefined;
	/* eslint-disable @typescript-eslint/no-require-imports */
	require(join(N8N_MODULES, 'reflect-metadata'));
	const { SsrfProtectionService } = require(N8N_SERVICE) as { SsrfProtectionService: new (...args: unknown[]) => EgressFilter };
	/* eslint-enable @typescript-eslint/no-require-imports */
	const logger = { scoped: () => ({ warn: () => undefined, debug: () => undefined }) };
	const resolver = { lookup: (hostname: string, options: { family?: number } = {}) => dns.lookup(hostname, { all: true, family: options.family ?? 0 }) };
	return new SsrfProtectionService({ enabled: true, ...rules, dnsCacheMaxSize: 1024 }, resolver, logger);
}

const rules = (extra: Partial<SsrfRules> = {}): SsrfRules => ({ blockedIpRanges: DEFAULT_BLOCKED_IP_RANGES, allowedIpRanges: [], allowedHostnames: [], blockedHostnames: [], ...extra });

/** [rules, URL, allowed?] — hosts that need no DNS beyond /etc/hosts. */
const URL_CASES: Array<[string, SsrfRules, string, boolean]> = [
	['defaults', rules(), 'https://127.0.0.1:8443/', false],
	['defaults', rules(), 'https://localhost/', false],
	['defaults', rules(), 'https://[::1]/', false],
	['defaults', rules(), 'https://[::ffff:7f00:1]/', false],
	['defaults', rules(), 'https://10.20.30.40/', false],
	['defaults', rules(), 'https://169.254.169.254/latest/meta-data', false],
	['defaults', rules(), 'https://8.8.8.8/', true],
	['an allowed range wins', rules({ allowedIpRanges: ['127.0.0.1/32'] }), 'https://127.0.0.1/', true],
	['an allowed range is exact', rules({ allowedIpRanges: ['127.0.0.1/32'] }), 'https://127.0.0.2/', false],
	['an allowed host name skips the address check', rules({ allowedHostnames: ['localhost'] }), 'https://localhost/', true],
	['a blocked host name', rules({ blockedIpRanges: [], blockedHostnames: ['*.example', 'localhost'] }), 'https://localhost/', false],
	['invalid ranges are skipped', rules({ blockedIpRanges: ['bogus', '127.0.0.1', '10.0.0.0/8'] }), 'https://127.0.0.1/', true],
	['invalid ranges are skipped', rules({ blockedIpRanges: ['bogus', '127.0.0.1', '10.0.0.0/8'] }), 'https://10.1.1.1/', false],
];

/** Redirect hops are checked without DNS: host names by name only. */
const REDIRECT_CASES: Array<[SsrfRules, string, boolean]> = [
	[rules(), 'https://127.0.0.1/', false],
	[rules(), 'https://no-such-host.invalid/', true],
	[rules({ blockedHostnames: ['*.corp.example'] }), 'https://db.corp.example/', false],
	[rules({ blockedHostnames: ['*.corp.example'] }), 'https://corp.example/', true],
	[rules({ blockedHostnames: ['*.corp.example'], allowedHostnames: ['db.corp.example'] }), 'https://DB.corp.example./', true],
];

describe('SSRF filter from n8n\'s settings', () => {
	for (const [name, ruleSet, url, allowed] of URL_CASES) {
		test(`${name}: ${url} is ${allowed ? 'allowed' : 'refused'}`, async () => {
			const ours = await createSsrfFilter(ruleSet).validateUrl(url);
			assert.equal(ours.ok, allowed);
			if (!ours.ok) assert.equal((ours.error as { code?: unknown }).code, undefined, 'a refusal has no code, unlike a failed lookup');
			const n8n = n8nFilter(ruleSet);
			if (n8n) assert.equal((await n8n.validateUrl(url)).ok, allowed, 'n8n 2.40.7 decides the same');
		});
	}

	for (const [ruleSet, url, allowed] of REDIRECT_CASES) {
		test(`redirect to ${url} is ${allowed ? 'allowed' : 'refused'}`, () => {
			const decide = (filter: EgressFilter) => {
				try {
					filter.validateRedirectSync(url);
					return true;
				} catch {
					return false;
				}
			};
			assert.equal(decide(createSsrfFilter(ruleSet)), allowed);
			const n8n = n8nFilter(ruleSet);
			if (n8n) assert.equal(decide(n8n), allowed, 'n8n 2.40.7 decides the same');
		});
	}

	test('a host that does not resolve fails as a lookup, not as a refusal', async () => {
		await assert.rejects(createSsrfFilter(rules()).validateUrl('https://no-such-host.invalid/'), { code: 'ENOTFOUND' });
	});

	test('the lookup refuses what the rules refuse, and resolves the rest', async () => {
		const lookup = createSsrfFilter(rules({ allowedHostnames: ['localhost'] })).createSecureLookup();
		const resolved = await new Promise<string>((resolve, reject) => lookup('localhost', { family: 4 }, (error, address) => (error ? reject(error) : resolve(String(address)))));
		assert.equal(resolved, '127.0.0.1');
		const refused = createSsrfFilter(rules()).createSecureLookup();
		await assert.rejects(new Promise((resolve, reject) => refused('localhost', { family: 4 }, (error, address) => (error ? reject(error) : resolve(address)))), /blocked/);
	});

	describe('settings', () => {
		const dir = mkdtempSync(join(tmpdir(), 'mtls-ssrf-'));
		after(() => rmSync(dir, { recursive: true, force: true }));

		test('off unless N8N_SSRF_PROTECTION_ENABLED is true or 1', () => {
			assert.equal(ssrfFilterFromEnv({}), undefined);
			assert.equal(ssrfFilterFromEnv({ N8N_SSRF_PROTECTION_ENABLED: 'false' }), undefined);
			assert.notEqual(ssrfFilterFromEnv({ N8N_SSRF_PROTECTION_ENABLED: 'TRUE' }), undefined);
			assert.notEqual(ssrfFilterFromEnv({ N8N_SSRF_PROTECTION_ENABLED: '1' }), undefined);
		});

		test('ranges, "default" and _FILE settings are read as n8n reads them', async () => {
			const file = join(dir, 'allowed');
			writeFileSync(file, ' 127.0.0.1/32\n');
			const filter = ssrfFilterFromEnv({ N8N_SSRF_PROTECTION_ENABLED: 'true', N8N_SSRF_BLOCKED_IP_RANGES: '"default, 8.8.8.0/24"', N8N_SSRF_ALLOWED_IP_RANGES_FILE: file });
			assert.ok(filter);
			assert.equal((await filter.validateUrl('https://8.8.8.8/')).ok, false);
			assert.equal((await filter.validateUrl('https://10.0.0.1/')).ok, false);
			assert.equal((await filter.validateUrl('https://127.0.0.1/')).ok, true);
			assert.equal(filter.validateConnectionHost('[::1]').ok, false);
			assert.equal(filter.validateConnectionHost('proxy.example').ok, true, 'names are checked at lookup');
		});
	});
});
