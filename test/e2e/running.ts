/**
 * A running n8n (`n8n start`) met the way its clients meet it: over HTTP, once it is ready, signed
 * in as the owner for its REST API (what the editor calls), or through a published workflow's
 * webhook. For what only a running instance does: the credential Test button, the MCP Server Trigger.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findFreePort, ownerEnv, stopProcess, tail, type N8n, type Owner } from './n8n';

const OWNER: Owner = { email: 'e2e-owner@example.com', password: 'mTLS-e2e-owner-2026', firstName: 'E2E', lastName: 'Owner' };
const READY_TIMEOUT_MS = 4 * 60_000;
/** n8n ties its session cookie to this header when one is sent at sign-in (auth.service's browserId check). */
const BROWSER_ID = 'n8n-nodes-mtls-e2e';

export interface Running {
	/** http://127.0.0.1:<port> */
	baseUrl: string;
	child: ChildProcess;
	/** The end of n8n's log, for failure messages. */
	log(): string;
	/** A call to n8n's REST API as the signed-in owner; the parsed `data` of its answer, or a failure with n8n's. */
	rest<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T>;
	stop(): Promise<void>;
}

/**
 * `n8n start` with `env` on top of the instance's settings and an owner made from the environment
 * (no sign-up screen), ready and signed in. The caller stops it; a failed start stops it here.
 */
export async function startRunning(n8n: N8n, env: Record<string, string> = {}): Promise<Running> {
	const port = await findFreePort();
	const logFile = join(n8n.userFolder, `n8n-${port}.log`);
	const child = await n8n.start({ port, env: { N8N_LISTEN_ADDRESS: '127.0.0.1', ...ownerEnv(n8n, OWNER), ...env }, logFile });
	const baseUrl = `http://127.0.0.1:${port}`;
	const log = () => (existsSync(logFile) ? tail(readFileSync(logFile, 'utf8'), 40) : '(no log)');
	try {
		await waitUntilReady(baseUrl, child, log);
		const cookie = await signIn(baseUrl, log);
		const rest = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
			const res = await fetch(`${baseUrl}/rest${path}`, {
				method,
				headers: { cookie, 'browser-id': BROWSER_ID, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
				body: body === undefined ? undefined : JSON.stringify(body),
			});
			const text = await res.text();
			if (!res.ok) throw new Error(`${method} /rest${path}: HTTP ${res.status} ${text}\n${log()}`);
			return (JSON.parse(text) as { data: T }).data;
		};
		return { baseUrl, child, log, rest, stop: () => stopProcess(child) };
	} catch (error) {
		await stopProcess(child);
		throw error;
	}
}

/** Its readiness check answers 200 once the database is migrated and the server started. */
async function waitUntilReady(baseUrl: string, child: ChildProcess, log: () => string): Promise<void> {
	const deadline = Date.now() + READY_TIMEOUT_MS;
	while (Date.now() < deadline) {
		if (child.exitCode !== null || child.signalCode !== null) throw new Error(`n8n exited before it was ready\n${log()}`);
		if (await fetch(`${baseUrl}/healthz/readiness`).then((res) => res.ok, () => false)) return;
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
	throw new Error(`n8n not ready after ${READY_TIMEOUT_MS / 1000} s\n${log()}`);
}

async function signIn(baseUrl: string, log: () => string): Promise<string> {
	const res = await fetch(`${baseUrl}/rest/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'browser-id': BROWSER_ID },
		body: JSON.stringify({ emailOrLdapLoginId: OWNER.email, password: OWNER.password }),
	});
	const cookie = res.headers.getSetCookie().find((value) => value.startsWith('n8n-auth='));
	if (!res.ok || !cookie) throw new Error(`sign-in: HTTP ${res.status} ${await res.text()}\n${log()}`);
	return cookie.split(';')[0];
}

/**
 * Calls a published workflow's URL until n8n has registered it (it answers 404 before, for a
 * moment after it reports ready), and returns that first real answer.
 */
export async function callWhenRegistered(url: string, init: RequestInit, log: () => string): Promise<Response> {
	const deadline = Date.now() + READY_TIMEOUT_MS;
	for (;;) {
		const res = await fetch(url, init);
		if (res.status !== 404) return res;
		await res.arrayBuffer();
		if (Date.now() > deadline) throw new Error(`${url} still 404 after ${READY_TIMEOUT_MS / 1000} s\n${log()}`);
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
}
