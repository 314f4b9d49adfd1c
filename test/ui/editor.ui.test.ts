/**
 * The package in n8n 2.40's editor, driven through Debian's Chromium: find the node, fill its panel,
 * create a credential by pasting an encrypted PKCS#8 bundle and test it, call a partner over mTLS
 * with "Execute step", read Certificate Info as a table, and look at it all in the dark theme.
 * Servers run in this process on 127.0.0.1 with certificates made per run; screenshots go to
 * test-output/ui/ (and, under `npm run screenshots`, the README's few to docs/).
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import type { Browser, Locator, Page } from 'playwright-core';
import { MtlsHttpRequest } from '../../nodes/MtlsHttpRequest/MtlsHttpRequest.node';
import { createStandardPki, type StandardPki } from '../fixtures/pki';
import { startMtlsServer, type MtlsServer, type Seen } from '../fixtures/mtlsServer';
import {
	discardDocScreenshots, keepLocal, launchBrowser, OUTPUT_DIR, publishDocScreenshots, screenshot, signIn, startEditor, watchConsole,
	type ConsoleWatch, type Editor,
} from './editor';
import { shownFields, shownParameters, testIdOf, type Values } from './parameters';

const NODE_NAME = 'mTLS HTTP Request';
const REQUEST_ACTION = 'Send a request over mutual TLS';
const PARTNER = 'Example Bank (UI test partner)';
const WRONG_PASSPHRASE = 'not-the-Passphrase-4711';
/** n8n's editor is heavy and the CI machine has two cores: generous, but a broken step still ends. */
const STEP = { timeout: 4 * 60_000 };
const ACTION_TIMEOUT_MS = 60_000;
const PROPERTIES = new MtlsHttpRequest().description.properties;

let pki: StandardPki;
/** Trusts our CA and answers /accounts. */
let partner: MtlsServer;
/** A partner whose server only trusts client certificates of another CA. */
let stranger: MtlsServer;
let editor: Editor | undefined;
let browser: Browser | undefined;
let page: Page;
let consoleWatch: ConsoleWatch;
let workflowPath = '';
let broken = '';

before(async () => {
	pki = createStandardPki();
	partner = await startMtlsServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.ca.certPem });
	partner.route('/accounts', answerAccounts);
	stranger = await startMtlsServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.otherCa.certPem });
	editor = await startEditor();
	browser = await launchBrowser();
	const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
	await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: editor.baseUrl });
	await keepLocal(context, editor.baseUrl);
	page = await context.newPage();
	page.setDefaultTimeout(ACTION_TIMEOUT_MS);
	consoleWatch = watchConsole(page, editor.baseUrl);
	await signIn(page, editor.baseUrl).catch(async (error) => {
		await screenshot(page, 'failed-sign-in', { asIs: true }).catch(() => undefined);
		throw error;
	});
}, { timeout: 8 * 60_000 });

after(async () => {
	if (consoleWatch) writeFileSync(join(OUTPUT_DIR, 'console-errors.txt'), consoleWatch.all.join('\n') + '\n');
	await browser?.close();
	await editor?.stop();
	await Promise.all([partner?.close(), stranger?.close()]);
	pki?.pki.cleanup();
	console.log(`screenshots and logs: ${OUTPUT_DIR}`);
});

function answerAccounts(_req: IncomingMessage, res: ServerResponse, seen: Seen): void {
	res.setHeader('content-type', 'application/json');
	const accounts = [{ iban: 'DE89 3704 0044 0532 0130 00', balance: 12345.67 }];
	res.end(JSON.stringify({ partner: PARTNER, clientSubject: seen.peerSubject, accounts }));
}

/**
 * Runs the steps in order. When the editor does not let a step through (a timeout, a missing
 * element), the later ones, which build on its state, are skipped; a failed check of what was shown
 * (an assertion) leaves the state usable, so the next steps still run.
 */
function step(name: string, body: () => Promise<void>): void {
	test(name, STEP, async (t: TestContext) => {
		if (broken) return t.skip(`needs "${broken}"`);
		try {
			await body();
			assert.deepEqual(consoleWatch.takeOurs(), [], 'console errors that name this package');
			publishDocScreenshots();
		} catch (error) {
			discardDocScreenshots();
			if (!(error instanceof assert.AssertionError)) broken = name;
			await screenshot(page, `failed-${name.replace(/\W+/g, '-')}`, { asIs: true }).catch(() => undefined);
			throw error;
		}
	});
}

const ndv = () => page.getByTestId('ndv');
const parameters = () => ndv().getByTestId('node-parameters');
const credentialModal = () => page.getByTestId('editCredential-modal');
/** The dialog box itself (title, Save, fields), for screenshots. */
const credentialDialog = () => page.locator('.el-dialog').filter({ has: page.getByTestId('credential-edit-dialog') });

const searchHit = () => page.getByTestId('node-creator').getByTestId('item-iterator-item').filter({ hasText: NODE_NAME });
const requestAction = () => page.getByTestId('node-creator').getByText(REQUEST_ACTION, { exact: true });

/**
 * Opens the node's actions from its search hit. The list re-renders for a while after typing, and a
 * click that lands then is lost (seen under load), so the click is repeated until the actions show.
 */
async function openActions(): Promise<void> {
	for (let attempt = 0; attempt < 3; attempt++) {
		if (await requestAction().isVisible()) return;
		await searchHit().click({ timeout: 10_000 }).catch(() => undefined);
		if (await requestAction().waitFor({ timeout: 10_000 }).then(() => true, () => false)) return;
	}
	throw new Error(`clicking "${NODE_NAME}" in the search results does not open its actions`);
}

async function addNodeFromSearch(query: string): Promise<void> {
	await page.getByTestId('node-creator-plus-button').click();
	await page.getByTestId('node-creator-search-bar').fill(query);
	await searchHit().waitFor();
	await openActions();
	await requestAction().click();
	await ndv().waitFor();
}

/** Picks an entry of an options parameter by its label, as a user does. */
async function choose(name: string, label: string): Promise<void> {
	// An entry's accessible name includes its description; match the label itself.
	const entry = page.getByRole('option').filter({ has: page.getByText(label, { exact: true }) });
	await parameters().getByTestId(`parameter-input-${name}`).click();
	await entry.click();
	await entry.waitFor({ state: 'hidden' });
}

async function toggle(name: string): Promise<void> {
	await parameters().getByTestId(`parameter-input-${name}`).locator('.el-switch').click();
}

async function fillParameter(name: string, value: string): Promise<void> {
	await parameters().getByTestId(`parameter-input-${name}`).getByTestId('parameter-input-field').fill(value);
}

/** Puts `text` on the clipboard and pastes it with the keyboard into `field`. */
async function paste(field: Locator, text: string): Promise<void> {
	await page.evaluate(`navigator.clipboard.writeText(${JSON.stringify(text)})`);
	await field.click();
	await page.keyboard.press('ControlOrMeta+V');
}

function credentialField(name: string): Locator {
	return credentialModal().getByTestId(`parameter-input-${name}`).locator('input, textarea').first();
}

interface CredentialTest {
	status: 'OK' | 'Error';
	/** What the dialog shows: the package's message on failure (n8n shows no message on success). */
	shown: string;
}

/**
 * Saves the credential; n8n then runs the package's credential test. A failure stays in the dialog
 * with the message under "More details"; a success may close the dialog, which is then reopened.
 * n8n also tests a credential when the dialog opens or the node selects it, so the answer waited
 * for is the one to a test of the values just entered.
 */
async function saveAndTest(entered: { testUrl: string; passphrase?: string }): Promise<CredentialTest> {
	const tested = page.waitForResponse((response) => {
		if (!response.url().endsWith('/rest/credentials/test')) return false;
		const data = (JSON.parse(response.request().postData() ?? '{}') as { credentials?: { data?: Record<string, string> } }).credentials?.data;
		return data?.testUrl === entered.testUrl && (entered.passphrase === undefined || data.passphrase === entered.passphrase);
	});
	await credentialModal().getByTestId('credential-save-button').click();
	const { data } = (await (await tested).json()) as { data: { status: 'OK' | 'Error'; message?: string } };
	if (data.status === 'OK') {
		const success = credentialModal().getByTestId('credentials-config-container-test-success');
		await success.or(ndv().getByTestId('node-credentials-select')).first().waitFor();
		if (!(await credentialModal().isVisible())) await openCredential();
		return { status: 'OK', shown: await success.innerText() };
	}
	const failure = credentialModal().locator('.el-tag--danger').filter({ hasText: /connect with these settings/ });
	await failure.waitFor();
	const details = failure.getByText('More details');
	if (await details.isVisible()) await details.click();
	return { status: 'Error', shown: await failure.innerText() };
}

async function openCredential(): Promise<void> {
	await ndv().getByTestId('credential-edit-button').click();
	await credentialModal().waitFor();
}

async function executeStep(): Promise<Locator> {
	await ndv().getByTestId('node-execute-button').click();
	return ndv().getByTestId('output-panel');
}

/** The output as a table, once it has `column` (so not an earlier run's): header names and every cell's text. */
async function outputTable(output: Locator, column: string): Promise<{ headers: string[]; rows: string[][] }> {
	await output.getByTestId('radio-button-table').click();
	const header = page.locator('thead th').filter({ hasText: new RegExp(`^\\s*${column}\\s*$`) });
	const table = output.locator('table').filter({ has: header }).first();
	await table.waitFor();
	const headers = (await table.locator('thead th').allInnerTexts()).map((text) => text.trim());
	const rows: string[][] = [];
	for (const row of await table.locator('tbody tr').all()) rows.push((await row.locator('td').allInnerTexts()).map((text) => text.trim()));
	return { headers, rows };
}

/** Every parameter n8n should show for `set` is on the panel, with its label; hidden ones are not. */
async function expectParameters(set: Values): Promise<string[]> {
	const shown = shownParameters(PROPERTIES, set);
	for (const property of shown) {
		// A notice is its text; every other parameter has an input and a label.
		const target = property.type === 'notice' ? parameters().getByText(property.displayName) : parameters().getByTestId(testIdOf(property));
		await target.first().waitFor({ timeout: 10_000 }).catch(() => {
			throw new Error(`parameter "${property.displayName}" (${property.name}) is not on the panel for ${JSON.stringify(set)}`);
		});
		if (property.type === 'notice') continue;
		const label = parameters().getByText(property.displayName, { exact: true }).first();
		assert.ok(await label.isVisible(), `label "${property.displayName}" is not shown`);
	}
	const shownNames = new Set(shown.map(({ name }) => name));
	// Collections share one test id ("Add option") and notices have none: only inputs can be checked for absence.
	const hidden = PROPERTIES.filter(({ name, type }) => !shownNames.has(name) && type !== 'notice' && type !== 'collection');
	for (const property of hidden) {
		const count = await parameters().getByTestId(testIdOf(property)).count();
		assert.equal(count, 0, `parameter "${property.name}" is shown for ${JSON.stringify(set)} but should be hidden`);
	}
	return [...shownNames];
}

step('search finds the node by name and by what it does', async () => {
	await page.goto(`${editorUrl()}/workflow/new`);
	await page.getByTestId('node-creator-plus-button').click();
	const search = page.getByTestId('node-creator-search-bar');
	// "client certificate" is one of the codex aliases, not in the node's name.
	for (const query of ['client certificate', 'mTLS']) {
		await search.fill(query);
		await searchHit().waitFor();
	}
	assert.match(await searchHit().innerText(), /over mutual TLS with a client certificate/);
	await screenshot(page.getByTestId('node-creator'), 'node-search');
	await openActions();
	await page.getByTestId('node-creator').getByText('Report the certificates and their expiry', { exact: true }).waitFor();
	await requestAction().click();
	await ndv().waitFor();
	assert.match(await ndv().getByTestId('node-title-container').innerText(), new RegExp(NODE_NAME));
	workflowPath = new URL(page.url()).pathname.split('/').slice(0, 3).join('/');
	assert.match(workflowPath, /^\/workflow\/\w+$/, 'the new workflow was saved under an id');
});

step('a credential made by pasting an encrypted PKCS#8 bundle: wrong passphrase, right one, a partner that refuses', async () => {
	await ndv().getByTestId('node-credentials-slot').getByRole('button', { name: /mTLS Client Certificate/ }).click();
	await credentialModal().waitFor();
	assert.match(pki.bundleEc, /BEGIN ENCRYPTED PRIVATE KEY/);
	await paste(credentialField('certificateBundle'), pki.bundleEc);
	await credentialField('passphrase').fill(WRONG_PASSPHRASE);
	await paste(credentialField('caCertificates'), pki.ca.certPem);

	const wrong = await saveAndTest({ testUrl: '', passphrase: WRONG_PASSPHRASE });
	assert.equal(wrong.status, 'Error', `a wrong passphrase passed the test: ${wrong.shown}`);
	assert.match(wrong.shown, /The "Passphrase" does not decrypt the private key/);
	assert.ok(!wrong.shown.includes(WRONG_PASSPHRASE) && !wrong.shown.includes('-----BEGIN'), 'the message shows the passphrase or PEM text');
	await screenshot(credentialDialog(), 'credential-wrong-passphrase', { doc: true });

	await credentialField('passphrase').fill(pki.passphrase);
	const right = await saveAndTest({ testUrl: '', passphrase: pki.passphrase });
	assert.equal(right.status, 'OK', `the right passphrase failed the test: ${right.shown}`);
	assert.match(right.shown, /tested successfully/);

	await credentialField('testUrl').fill(`${stranger.origin}/health`);
	const refused = await saveAndTest({ testUrl: `${stranger.origin}/health` });
	assert.equal(refused.status, 'Error', `a partner trusting another CA passed the test: ${refused.shown}`);
	assert.match(refused.shown, new RegExp(`localhost:${stranger.port}`), 'the message names the server');
	assert.match(refused.shown, /(reject\w*|(do|does|did) not accept) (the|your) client certificate/, 'the message says why');
	assert.equal(stranger.requests.length, 0, 'the refusing partner got an HTTP request');
	await screenshot(credentialDialog(), 'credential-partner-refuses');

	await credentialField('testUrl').fill(`${partner.origin}/health`);
	const accepted = await saveAndTest({ testUrl: `${partner.origin}/health` });
	assert.equal(accepted.status, 'OK', `the partner's Test URL failed: ${accepted.shown}`);
	const probe = partner.requests.at(-1);
	assert.equal(probe?.url, '/health');
	assert.equal(probe?.peerSubject, pki.clientEc.name);
	await screenshot(credentialDialog(), 'credential-tested');

	await credentialModal().getByRole('button', { name: 'Close this dialog' }).click();
	await credentialModal().waitFor({ state: 'hidden' });
	await ndv().getByTestId('node-credentials-select').waitFor();
});

step('Execute step shows what the partner answered', async () => {
	await fillParameter('url', `${partner.origin}/accounts`);
	const output = await executeStep();
	await output.getByText(PARTNER).first().waitFor();
	const seen = partner.requests.at(-1);
	assert.equal(seen?.url, '/accounts');
	assert.equal(seen?.authorized, true);
	assert.equal(seen?.peerSubject, pki.clientEc.name);
	await output.getByText(pki.clientEc.name).first().waitFor();
	await screenshot(ndv(), 'node-request', { doc: true });
});

step('Certificate Info renders as a table without "undefined"', async () => {
	await choose('operation', 'Certificate Info');
	await fillParameter('serverUrl', partner.origin);
	const output = await executeStep();
	const { headers, rows } = await outputTable(output, 'daysUntilExpiry');
	await screenshot(ndv(), 'certificate-info', { doc: true });
	for (const column of ['source', 'role', 'subject', 'issuer', 'notAfter', 'daysUntilExpiry', 'expiresSoon']) {
		assert.ok(headers.includes(column), `column "${column}" missing; columns: ${headers.join(', ')}`);
	}
	// The client certificate, its CA from the bundle, and the partner's server certificate.
	assert.ok(rows.length >= 3, `expected at least 3 certificates, got ${rows.length}`);
	assert.ok(rows.some((cells) => cells.includes('server')), 'no row for the server certificate');
	const undefinedCells = rows.flatMap((cells, row) =>
		cells.flatMap((text, column) => (/\bundefined\b/.test(text) ? [`row ${row + 1} "${headers[column]}"`] : [])));
	assert.deepEqual(undefinedCells, [], 'cells showing "undefined"');
});

step('the node panel renders every parameter and option', async () => {
	await page.keyboard.press('Escape');
	await page.goto(`${editorUrl()}/workflow/new`);
	await addNodeFromSearch('mTLS');
	const seen = new Set<string>(await expectParameters({}));
	for (const name of ['sendQuery', 'sendHeaders', 'sendBody']) await toggle(name);
	const request = { sendQuery: true, sendHeaders: true, sendBody: true };
	for (const name of await expectParameters(request)) seen.add(name);

	const states: Array<[string, string, Values]> = [
		['specifyQuery', 'Using JSON', { specifyQuery: 'json' }],
		['specifyHeaders', 'Using JSON', { specifyQuery: 'json', specifyHeaders: 'json' }],
		['specifyBody', 'Using JSON', { specifyQuery: 'json', specifyHeaders: 'json', specifyBody: 'json' }],
		['contentType', 'Form URL Encoded',
			{ specifyQuery: 'json', specifyHeaders: 'json', specifyBody: 'json', contentType: 'form-urlencoded' }],
	];
	for (const [name, label, set] of states) {
		await choose(name, label);
		for (const shown of await expectParameters({ ...request, ...set })) seen.add(shown);
	}
	// Form URL Encoded offers "Using Single Field" where JSON offered "Using JSON"; the value carried over is not one of its choices.
	await choose('specifyBody', 'Using Single Field');
	const jsonParts = { ...request, specifyQuery: 'json', specifyHeaders: 'json' };
	for (const shown of await expectParameters({ ...jsonParts, contentType: 'form-urlencoded', specifyBody: 'string' })) seen.add(shown);
	for (const [label, contentType] of [['Form-Data', 'multipart-form-data'], ['n8n Binary File', 'binaryData'], ['Raw', 'raw']]) {
		await choose('contentType', label);
		for (const shown of await expectParameters({ ...jsonParts, contentType, specifyBody: 'string' })) seen.add(shown);
	}

	const optionsProperty = PROPERTIES.find(({ name }) => name === 'options') as INodeProperties;
	const options = (optionsProperty.options ?? []) as INodeProperties[];
	const root = { ...request, specifyQuery: 'json', specifyHeaders: 'json', contentType: 'raw' };
	await addEveryOption(options);
	for (const option of options) {
		await parameters().getByTestId(testIdOf(option)).first().waitFor({ timeout: 10_000 }).catch(() => {
			throw new Error(`option "${option.displayName}" (${option.name}) is not on the panel after adding it`);
		});
		for (const field of shownFields(option, root)) {
			const target = field.type === 'notice' ? parameters().getByText(field.displayName) : parameters().getByTestId(testIdOf(field));
			await target.first().waitFor({ timeout: 10_000 }).catch(() => {
				throw new Error(`"${field.displayName}" of option "${option.displayName}" is not on the panel`);
			});
		}
	}
	await screenshot(ndv(), 'node-options');

	for (const shown of await expectOtherOperations()) seen.add(shown);
	const unchecked = PROPERTIES.map(({ name }) => name).filter((name) => !seen.has(name));
	assert.deepEqual([...new Set(unchecked)], [], 'parameters no state of this test shows: add a state for them');
	assert.ok(!/\bundefined\b/.test(await parameters().innerText()), 'the panel shows "undefined"');
});

/**
 * Every operation besides Request, and in each, every choice of an options parameter that decides
 * whether another parameter shows (e.g. a source that shows its fields). Returns the names checked.
 */
async function expectOtherOperations(): Promise<string[]> {
	const seen: string[] = [];
	const operations = ((PROPERTIES.find(({ name }) => name === 'operation')?.options ?? []) as INodePropertyOptions[])
		.filter(({ value }) => value !== 'request');
	for (const operation of operations) {
		const set: Values = { operation: operation.value };
		await choose('operation', operation.name);
		seen.push(...(await expectParameters(set)));
		const gatesHere = shownParameters(PROPERTIES, set).filter(({ name, type }) => type === 'options' && name !== 'operation' && gates(name));
		for (const gate of gatesHere) {
			for (const choice of (gate.options ?? []) as INodePropertyOptions[]) {
				if (choice.value === gate.default) continue;
				await choose(gate.name, choice.name);
				seen.push(...(await expectParameters({ ...set, [gate.name]: choice.value })));
			}
			await choose(gate.name, ((gate.options ?? []) as INodePropertyOptions[]).find(({ value }) => value === gate.default)?.name ?? '');
		}
	}
	return seen;
}

/** Whether some parameter's show/hide rule reads `name`. */
function gates(name: string): boolean {
	return PROPERTIES.some(({ displayOptions }) => [displayOptions?.show, displayOptions?.hide].some((rule) => rule && name in rule));
}

/** Adds each entry of "Add option"; the list must offer exactly the options the node declares. */
async function addEveryOption(options: INodeProperties[]): Promise<void> {
	const add = parameters().getByTestId('collection-parameter-add');
	const entries = page.getByTestId('collection-parameter-option');
	await add.click();
	await entries.first().waitFor();
	const offered = (await entries.allInnerTexts()).map((text) => text.trim());
	const declared = options.map(({ displayName }) => displayName);
	assert.deepEqual([...offered].sort(), declared.sort(), '"Add option" lists other options than the node declares');
	await page.keyboard.press('Escape');
	for (const option of options) {
		const entry = entries.filter({ hasText: new RegExp(`^${option.displayName.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`) });
		await entries.first().waitFor({ state: 'hidden' });
		await add.click();
		await entry.click();
	}
}

step('dark theme: the panel, the dark icon and the partner\'s answer', async () => {
	await page.keyboard.press('Escape');
	await page.goto(`${editorUrl()}${workflowPath}`);
	await page.evaluate(`localStorage.setItem('N8N_THEME', 'dark')`);
	await page.reload();
	const node = page.getByTestId('canvas-node').filter({ hasText: NODE_NAME });
	await node.waitFor();
	assert.equal(await page.locator('body').getAttribute('data-theme'), 'dark');
	await node.dblclick();
	await ndv().waitFor();
	const icons = await page.locator('img[src*="/icons/n8n-nodes-mtls/"]')
		.evaluateAll((images) => images.map((image) => image.getAttribute('src') ?? ''));
	assert.ok(icons.length > 0, 'no icon of the package on the page');
	assert.deepEqual(icons.filter((src) => !src.endsWith('.dark.svg')), [], 'icons not in their dark variant');
	await choose('operation', 'Request');
	await fillParameter('url', `${partner.origin}/accounts`);
	const output = await executeStep();
	await output.getByText(PARTNER).first().waitFor();
	await screenshot(ndv(), 'dark-theme', { doc: true });
	await page.evaluate(`localStorage.removeItem('N8N_THEME')`);
});

function editorUrl(): string {
	if (!editor) throw new Error('n8n did not start');
	return editor.baseUrl;
}
