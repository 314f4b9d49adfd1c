/**
 * What the browser test needs around n8n's editor: a real n8n with the packed package and an owner
 * who can sign in, Debian's Chromium driven by playwright-core (no browser download), a watch on
 * the page's console, and screenshots kept as test output.
 */
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { chromium, selectors, type Browser, type BrowserContext, type ConsoleMessage, type Locator, type Page } from 'playwright-core';
import { createN8n, findFreePort, ownerEnv, REPO_ROOT, stopProcess, type N8n } from '../e2e/n8n';

export const OWNER = { email: 'ui-test@example.com', password: 'mTLS-ui-test-2026', firstName: 'UI', lastName: 'Test' };
/** Where every screenshot goes; CI keeps the folder as output. */
export const OUTPUT_DIR = process.env.N8N_MTLS_UI_OUTPUT || join(REPO_ROOT, 'test-output', 'ui');
/** `npm run screenshots` sets this so the test also refreshes the README's pictures in docs/. */
const DOCS_DIR = process.env.N8N_MTLS_DOCS_SCREENSHOTS === '1' ? join(REPO_ROOT, 'docs') : undefined;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const READY_TIMEOUT_MS = 4 * 60_000;

/** Words that tie a console message or a URL to this package rather than to n8n itself. */
const PACKAGE_MARKERS = ['n8n-nodes-mtls', 'mtlsHttpRequest', 'mtlsCertificateApi', 'mTLS HTTP Request', 'mTLS Client Certificate'];

export interface Editor {
	n8n: N8n;
	child: ChildProcess;
	baseUrl: string;
	logFile: string;
	stop(): Promise<void>;
}

/** A fresh n8n with the package installed as the community-nodes UI does, serving its editor. */
export async function startEditor(): Promise<Editor> {
	mkdirSync(OUTPUT_DIR, { recursive: true });
	const n8n = createN8n();
	try {
		await n8n.installRepo();
		const port = await findFreePort();
		const logFile = join(OUTPUT_DIR, 'n8n.log');
		const child = await n8n.start({ port, env: ownerEnv(n8n, OWNER), logFile });
		const baseUrl = `http://localhost:${port}`;
		const stop = async () => {
			await stopProcess(child);
			n8n.dispose();
		};
		try {
			await waitUntilServing(baseUrl, child);
		} catch (error) {
			await stop();
			throw error;
		}
		return { n8n, child, baseUrl, logFile, stop };
	} catch (error) {
		n8n.dispose();
		throw error;
	}
}

/**
 * Resolves once n8n is migrated and fully started (its readiness check; the editor page is served
 * earlier, while migrations still run), rejects if n8n exits.
 */
async function waitUntilServing(baseUrl: string, child: ChildProcess): Promise<void> {
	const deadline = Date.now() + READY_TIMEOUT_MS;
	while (Date.now() < deadline) {
		if (child.exitCode !== null || child.signalCode !== null) {
			throw new Error(`n8n exited before it served the editor; see ${join(OUTPUT_DIR, 'n8n.log')}`);
		}
		const ready = await fetch(`${baseUrl}/healthz/readiness`).then((res) => res.ok, () => false);
		if (ready) return;
		await new Promise((resolve) => setTimeout(resolve, 1000));
	}
	throw new Error(`n8n did not serve the editor within ${READY_TIMEOUT_MS / 1000} s; see ${join(OUTPUT_DIR, 'n8n.log')}`);
}

/** Debian's chromium package; playwright-core never downloads a browser here. */
export async function launchBrowser(): Promise<Browser> {
	if (!existsSync(CHROMIUM)) {
		throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's package (\`apt-get install chromium\`) or set CHROMIUM_PATH`);
	}
	// n8n's editor marks its elements with data-test-id, not Playwright's default data-testid.
	selectors.setTestIdAttribute('data-test-id');
	return chromium.launch({ executablePath: CHROMIUM });
}

/** Signs in through the editor's own form, as a person would. */
export async function signIn(page: Page, baseUrl: string): Promise<void> {
	await page.goto(`${baseUrl}/signin`);
	await page.getByTestId('emailOrLdapLoginId').locator('input').fill(OWNER.email);
	await page.getByTestId('password').locator('input').fill(OWNER.password);
	await page.getByTestId('form-submit-button').click();
	await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
}

export interface ConsoleWatch {
	/** Errors since the last call that name this package, its node or its credential. */
	takeOurs(): string[];
	/** Every error seen, for the test output. */
	all: string[];
}

/**
 * Collects the page's console errors, uncaught exceptions and failed requests. n8n logs errors of
 * its own here that have nothing to do with a community node (a 401 before sign-in, its offline
 * template and AI endpoints), so only the ones that mention this package count as failures; all
 * are kept in the test output. n8n's own look-ups of the package elsewhere (the node creator asks
 * registry.npmjs.org about it) are blocked offline and do not count either.
 */
export function watchConsole(page: Page, origin: string): ConsoleWatch {
	const all: string[] = [];
	const ours: string[] = [];
	let checked = 0;
	const record = (text: string, url = '') => {
		all.push(text);
		const local = !url || url.startsWith(origin);
		if (local && PACKAGE_MARKERS.some((marker) => text.includes(marker))) ours.push(text);
	};
	page.on('console', (message: ConsoleMessage) => {
		if (message.type() !== 'error') return;
		const where = message.location().url;
		record(`console: ${message.text()}${where ? ` (${where})` : ''}`, where);
	});
	page.on('pageerror', (error) => record(`uncaught: ${error.stack ?? error.message}`));
	page.on('response', (response) => {
		if (response.status() >= 400) record(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`, response.url());
	});
	return {
		all,
		takeOurs() {
			const fresh = ours.slice(checked);
			checked = ours.length;
			return fresh;
		},
	};
}

/** The browser talks to the local n8n only: the test network has nothing else to reach. */
export async function keepLocal(context: BrowserContext, origin: string): Promise<void> {
	await context.route('**/*', (route) => (route.request().url().startsWith(origin) ? route.continue() : route.abort('blockedbyclient')));
}

const pendingDocs: string[] = [];

/** n8n's toasts ("Credential saved", …) pile up over the panels in the pictures. */
const HIDE_TOASTS = '.el-notification { visibility: hidden !important; }';

/**
 * Saves a screenshot of `target` to the output folder. With `doc`, the picture is also one of the
 * README's: `npm run screenshots` copies it to docs/ once the step that took it has passed, so a
 * picture of a failure never lands there. Element screenshots keep the PNGs small. `asIs` keeps the
 * toasts (for pictures of failures, where they may tell what went wrong).
 */
export async function screenshot(target: Page | Locator, name: string, options: { doc?: boolean; asIs?: boolean } = {}): Promise<string> {
	mkdirSync(OUTPUT_DIR, { recursive: true });
	const file = join(OUTPUT_DIR, `${name}.png`);
	await target.screenshot({ path: file, animations: 'disabled', style: options.asIs ? undefined : HIDE_TOASTS });
	if (options.doc) pendingDocs.push(file);
	return file;
}

/** Copies the current step's README pictures to docs/ (only under `npm run screenshots`). */
export function publishDocScreenshots(): void {
	for (const file of pendingDocs.splice(0)) {
		if (!DOCS_DIR) continue;
		mkdirSync(DOCS_DIR, { recursive: true });
		copyFileSync(file, join(DOCS_DIR, basename(file)));
	}
}

export function discardDocScreenshots(): void {
	pendingDocs.length = 0;
}
