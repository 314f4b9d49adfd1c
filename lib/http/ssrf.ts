import { readFileSync } from 'node:fs';
import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { BlockList, isIP, LookupFunction } from 'node:net';
import { env as processEnv } from 'node:process';

import type { EgressFilter } from './egress';

/*
 * n8n's SSRF protection (N8N_SSRF_PROTECTION_ENABLED, n8n 2.x) as a filter built from the same
 * settings, for the one place n8n gives the node no filter: the credential's Test button
 * (ICredentialTestFunctions has no getSecureEgressFilter). Executions use n8n's own filter.
 *
 * It follows n8n 2.40.7 (@n8n/config SsrfProtectionConfig, @n8n/backend-network
 * SsrfProtectionService): settings come from the environment or from a file named by the
 * variable with _FILE appended; allowed IP ranges win over blocked ones, an allowed host name
 * skips the address checks, a blocked host name is refused before any lookup.
 */

/** n8n's SSRF_DEFAULT_BLOCKED_IP_RANGES: private, loopback, link-local and documentation ranges. */
export const DEFAULT_BLOCKED_IP_RANGES = [
	'10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8', '::1/128', '169.254.0.0/16', 'fe80::/10', 'fc00::/7',
	'fd00::/8', '0.0.0.0/8', '192.0.0.0/24', '192.0.2.0/24', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24',
];

/**
 * The instance's SSRF rules, or undefined when the protection is off (as n8n then filters nothing).
 * Refusals are errors without a `code`, as n8n's are, so they read as EGRESS_BLOCKED.
 */
export function ssrfFilterFromEnv(env: NodeJS.ProcessEnv = processEnv): EgressFilter | undefined {
	const enabled = readSetting(env, 'N8N_SSRF_PROTECTION_ENABLED');
	if (!enabled || !['true', '1'].includes(enabled.toLowerCase())) return undefined;
	const blocked = readSetting(env, 'N8N_SSRF_BLOCKED_IP_RANGES');
	return createSsrfFilter({
		blockedIpRanges: blocked === undefined ? DEFAULT_BLOCKED_IP_RANGES : list(unquote(blocked)).flatMap((entry) => (entry.toLowerCase() === 'default' ? DEFAULT_BLOCKED_IP_RANGES : [entry])),
		allowedIpRanges: list(readSetting(env, 'N8N_SSRF_ALLOWED_IP_RANGES')),
		allowedHostnames: list(readSetting(env, 'N8N_SSRF_ALLOWED_HOSTNAMES')),
		blockedHostnames: list(readSetting(env, 'N8N_SSRF_BLOCKED_HOSTNAMES')),
	});
}

export interface SsrfRules {
	blockedIpRanges: string[];
	allowedIpRanges: string[];
	allowedHostnames: string[];
	blockedHostnames: string[];
}

export function createSsrfFilter(rules: SsrfRules, resolve: (hostname: string, family?: number) => Promise<LookupAddress[]> = resolveAll): EgressFilter {
	const blockedIps = toBlockList(rules.blockedIpRanges);
	const allowedIps = toBlockList(rules.allowedIpRanges);
	const allowedName = hostnameMatcher(rules.allowedHostnames);
	const blockedName = hostnameMatcher(rules.blockedHostnames);
	const checkIp = (ip: string): Error | undefined => {
		const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
		if (allowedIps.check(ip, family) || !blockedIps.check(ip, family)) return undefined;
		return new SsrfRefusal(`The IP address ${ip} is blocked by the SSRF protection`);
	};
	const resolveChecked = async (hostname: string, family?: number): Promise<LookupAddress[]> => {
		const ip = unbracket(hostname);
		if (isIP(ip)) {
			const refusal = checkIp(ip);
			if (refusal) throw refusal;
			return [{ address: ip, family: isIP(ip) }];
		}
		const allowed = allowedName(hostname);
		if (!allowed && blockedName(hostname)) throw new SsrfRefusal(`The host name ${hostname} is blocked by the SSRF protection`);
		const addresses = await resolve(hostname, family);
		if (!allowed) {
			for (const { address } of addresses) {
				const refusal = checkIp(address);
				if (refusal) throw refusal;
			}
		}
		return addresses;
	};
	return {
		// A refusal is a result; a failed lookup (ENOTFOUND, …) is thrown, as n8n does.
		async validateUrl(url) {
			let hostname: string;
			try {
				hostname = new URL(url).hostname;
			} catch {
				return { ok: false, error: new SsrfRefusal(`Invalid URL: ${String(url)}`) };
			}
			try {
				await resolveChecked(hostname);
				return { ok: true };
			} catch (error) {
				if (error instanceof SsrfRefusal) return { ok: false, error };
				throw error;
			}
		},
		validateConnectionHost(host) {
			const ip = unbracket(host);
			const refusal = isIP(ip) ? checkIp(ip) : undefined;
			return refusal ? { ok: false, error: refusal } : { ok: true };
		},
		createSecureLookup(): LookupFunction {
			return (hostname, options, callback) => {
				resolveChecked(hostname, typeof options.family === 'number' ? options.family : undefined).then(
					(addresses) => (options.all ? callback(null, addresses) : callback(null, addresses[0].address, addresses[0].family)),
					(error: NodeJS.ErrnoException) => callback(error, options.all ? [] : '', undefined),
				);
			};
		},
		validateRedirectSync(url) {
			let hostname: string;
			try {
				hostname = new URL(url).hostname;
			} catch {
				return;
			}
			if (allowedName(hostname)) return;
			if (blockedName(hostname)) throw new SsrfRefusal(`The host name ${hostname} is blocked by the SSRF protection`);
			const ip = unbracket(hostname);
			const refusal = isIP(ip) ? checkIp(ip) : undefined;
			if (refusal) throw refusal;
		},
	};
}

/** A refusal by the rules: no `code`, unlike a failed lookup, so it reads as EGRESS_BLOCKED (lib/http/egress.ts). */
class SsrfRefusal extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'SsrfRefusal';
	}
}

/** As @n8n/config reads a setting: the variable, else the trimmed content of the file VAR_FILE names. */
function readSetting(env: NodeJS.ProcessEnv, name: string): string | undefined {
	if (name in env) return env[name];
	const file = env[`${name}_FILE`];
	return file ? readFileSync(file, 'utf8').trim() : undefined;
}

function list(value: string | undefined): string[] {
	return (value ?? '').split(',').map((entry) => entry.trim()).filter(Boolean);
}

function unquote(value: string): string {
	return value.trim().replace(/^(['"])(.*)\1$/, '$2');
}

function unbracket(host: string): string {
	return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** CIDR entries; n8n skips (and logs) entries that are not network/prefix. */
function toBlockList(ranges: string[]): BlockList {
	const blockList = new BlockList();
	for (const entry of ranges) {
		const [network, prefix, extra] = entry.split('/');
		const family = isIP(network);
		if (!family || extra !== undefined || !/^\d{1,3}$/.test(prefix ?? '')) continue;
		try {
			blockList.addSubnet(network, Number(prefix), family === 6 ? 'ipv6' : 'ipv4');
		} catch {
			// A prefix out of range: skipped, as n8n does.
		}
	}
	return blockList;
}

/** Exact names, or "*.example.com" for any subdomain (not the domain itself); case and a final dot ignored. */
function hostnameMatcher(patterns: string[]): (hostname: string) => boolean {
	const normalize = (name: string) => name.trim().toLowerCase().replace(/\.$/, '');
	const parsed = patterns.map(normalize).filter(Boolean);
	return (hostname) => {
		const name = normalize(hostname);
		return parsed.some((pattern) => (pattern.startsWith('*.') ? name.endsWith(pattern.slice(1)) && name.length > pattern.length - 1 : name === pattern));
	};
}

function resolveAll(hostname: string, family = 0): Promise<LookupAddress[]> {
	return new Promise((resolve, reject) => dnsLookup(hostname, { all: true, family }, (error, addresses) => (error ? reject(error) : resolve(addresses))));
}
