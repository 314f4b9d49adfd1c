/**
 * The node as an AI agent's tool in a running n8n 2.40: a published workflow whose MCP Server
 * Trigger has mTLS tools attached serves them over MCP (streamable HTTP). The test is the MCP
 * client, speaking JSON-RPC by hand and choosing the arguments an agent would ($fromAI): no model.
 * The agent may choose path and query; where the client certificate goes is what the user typed
 * (nodes/MtlsHttpRequest/toolUse.ts). A second mTLS server that would accept the certificate
 * stands for "another origin" and must never see a connection.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createStandardPki, type StandardPki } from '../fixtures/pki';
import { startMtlsServer, type MtlsServer } from '../fixtures/mtlsServer';
import {
	mtlsNode, prepareN8n, tail, tearDown, MTLS_CREDENTIAL_TYPE, MTLS_NODE_TYPE, type CredentialJson, type N8n, type NodeJson, type WorkflowJson,
} from './n8n';
import { callWhenRegistered, startRunning, type Running } from './running';

const TIMEOUT = { timeout: 6 * 60_000 };
const WORKFLOW_ID = 'mtlsE2eMcpTools01';
const MCP_PATH = 'mtls-tools';
const TRIGGER = 'MCP Server Trigger';
/** MCP revision n8n 2.40.7's SDK (1.26) speaks among others. */
const PROTOCOL_VERSION = '2025-06-18';

interface JsonRpcMessage {
	jsonrpc: '2.0';
	id?: number;
	result?: Record<string, unknown>;
	error?: { code: number; message: string };
}

interface ToolResult {
	isError?: boolean;
	content: Array<{ type: string; text: string }>;
}

interface ListedTool {
	name: string;
	description: string;
	inputSchema: { properties?: Record<string, { type?: string; description?: string }>; required?: string[] };
}

let pki: StandardPki;
let partner: MtlsServer;
/** Another origin that trusts the same CA: reaching it would hand the certificate to whoever the agent names. */
let elsewhere: MtlsServer;
let elsewhereConnections = 0;
let n8n: N8n | undefined;
let running: Running | undefined;
let mcp: McpClient;

before(async () => {
	pki = createStandardPki();
	const server = { keyPem: pki.server.keyPem, certPem: pki.server.certPem, clientCa: pki.ca.certPem };
	[partner, elsewhere] = await Promise.all([startMtlsServer(server), startMtlsServer(server)]);
	elsewhere.server.on('connection', () => elsewhereConnections++);
	partner.route('/v1/moved', (_req, res) => {
		res.writeHead(302, { location: `https://127.0.0.1:${elsewhere.port}/v1/stolen` });
		res.end();
	});
	const credential: CredentialJson = {
		id: 'mtlsE2eMcpCred001', name: 'Partner (EC)', type: MTLS_CREDENTIAL_TYPE,
		data: { certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: pki.ca.certPem },
	};
	n8n = await prepareN8n([credential], [mcpWorkflow(credential)]);
	const published = await n8n.cli(['publish:workflow', `--id=${WORKFLOW_ID}`]);
	assert.equal(published.code, 0, `publish:workflow failed\n${tail(published.output)}`);
	running = await startRunning(n8n);
	mcp = new McpClient(`${running.baseUrl}/mcp/${MCP_PATH}`, running.log);
	await mcp.initialize();
}, TIMEOUT);

after(async () => {
	await running?.stop();
	await tearDown({ partner, elsewhere }, n8n, pki);
});

/** The tools as a user would attach them; `partner` is the one the README recommends. */
function mcpWorkflow(credential: CredentialJson): WorkflowJson {
	const origin = `https://127.0.0.1:${partner.port}`;
	const tool = (name: string, url: string, options: Record<string, unknown> = {}): NodeJson => mtlsNode(name, credential, {
		descriptionType: 'manual', toolDescription: `Calls the partner API (${name})`, method: 'GET', url, options,
	}, { type: `${MTLS_NODE_TYPE}Tool`, id: randomUUID(), position: [0, 0] });
	const tools = [
		// The user allowed cross-origin redirects here; in tool use the node still never follows one.
		tool('partner', `=${origin}/v1/{{ $fromAI("resource", "Path of the resource under /v1/, e.g. accounts/42", "string") }}`,
			{ redirect: { redirect: { followRedirects: true, allowCrossOriginRedirects: true } } }),
		tool('any_host', '=https://{{ $fromAI("host", "Host and port of the partner API", "string") }}/v1/accounts'),
		// Literal text up to the port, but no "/" after it: the agent's text could still be "@other-host".
		tool('partner_suffix', `=${origin}{{ $fromAI("rest", "Rest of the URL after the host", "string") }}`),
	];
	const trigger = {
		id: randomUUID(), name: TRIGGER, type: '@n8n/n8n-nodes-langchain.mcpTrigger', typeVersion: 2, position: [480, 0],
		webhookId: randomUUID(), parameters: { path: MCP_PATH },
	};
	const connections = Object.fromEntries(tools.map(({ name }) => [name, { ai_tool: [[{ node: TRIGGER, type: 'ai_tool', index: 0 }]] }]));
	return { id: WORKFLOW_ID, name: 'e2e: mTLS tools over MCP', active: false, settings: {}, nodes: [trigger, ...tools], connections };
}

/**
 * An MCP client over streamable HTTP (MCP 2025-06-18, "Transports"): each JSON-RPC message is a
 * POST; the server answers with JSON or an event stream and names the session in a header.
 */
class McpClient {
	private sessionId?: string;
	private nextId = 1;

	constructor(private readonly url: string, private readonly log: () => string) {}

	async initialize(): Promise<void> {
		const init = this.post({ jsonrpc: '2.0', id: this.nextId++, method: 'initialize', params: {
			protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'n8n-nodes-mtls-e2e', version: '1.0.0' },
		} });
		// The first message may come before n8n has registered the published workflow's webhook.
		const res = await callWhenRegistered(this.url, init, this.log);
		this.sessionId = res.headers.get('mcp-session-id') ?? undefined;
		const result = await this.read(res, 1);
		assert.ok(this.sessionId, `no mcp-session-id header: ${JSON.stringify(result)}`);
		const notified = await fetch(this.url, this.post({ jsonrpc: '2.0', method: 'notifications/initialized' }));
		assert.equal(notified.status, 202, await notified.text());
	}

	async request<T>(method: string, params: Record<string, unknown>): Promise<T> {
		const id = this.nextId++;
		const res = await fetch(this.url, this.post({ jsonrpc: '2.0', id, method, params }));
		return (await this.read(res, id)) as T;
	}

	private post(message: Record<string, unknown>): RequestInit {
		const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
		if (this.sessionId) headers['mcp-session-id'] = this.sessionId;
		if (this.sessionId) headers['mcp-protocol-version'] = PROTOCOL_VERSION;
		return { method: 'POST', headers, body: JSON.stringify(message) };
	}

	/** The answer to request `id`, from a JSON body or from the `data:` lines of an event stream. */
	private async read(res: Response, id: number): Promise<Record<string, unknown>> {
		const text = await res.text();
		assert.equal(res.status, 200, `MCP: HTTP ${res.status} ${text}\n${this.log()}`);
		const messages = (res.headers.get('content-type') ?? '').includes('text/event-stream') ? eventData(text) : [text];
		const answer = messages.map((data) => JSON.parse(data) as JsonRpcMessage).find((message) => message.id === id);
		assert.ok(answer, `no answer to request ${id}: ${text}`);
		assert.equal(answer.error, undefined, `MCP error: ${JSON.stringify(answer.error)}`);
		return answer.result ?? {};
	}
}

/** The `data` of each event in a text/event-stream body (HTML Living Standard, "Server-sent events"). */
function eventData(text: string): string[] {
	const events = text.split(/\r?\n\r?\n/).map((event) => event.split(/\r?\n/).filter((line) => line.startsWith('data:')));
	return events.map((lines) => lines.map((line) => line.slice(5).trim()).join('\n')).filter(Boolean);
}

function callTool(name: string, args: Record<string, string>): Promise<ToolResult> {
	return mcp.request<ToolResult>('tools/call', { name, arguments: args });
}

function textOf(result: ToolResult): string {
	return result.content.map(({ text }) => text).join('\n');
}

test('tools/list shows the mTLS tools with the $fromAI parameters as their input', TIMEOUT, async () => {
	const { tools } = await mcp.request<{ tools: ListedTool[] }>('tools/list', {});
	const byName = new Map(tools.map((tool) => [tool.name, tool]));
	assert.deepEqual([...byName.keys()].sort(), ['any_host', 'partner', 'partner_suffix']);
	const partnerTool = byName.get('partner')!;
	assert.equal(partnerTool.description, 'Calls the partner API (partner)');
	assert.deepEqual(Object.keys(partnerTool.inputSchema.properties ?? {}), ['resource']);
	assert.equal(partnerTool.inputSchema.properties?.resource.description, 'Path of the resource under /v1/, e.g. accounts/42');
	assert.deepEqual(partnerTool.inputSchema.required, ['resource']);
	assert.deepEqual(Object.keys(byName.get('any_host')!.inputSchema.properties ?? {}), ['host']);
});

test('tools/call with a path the agent chose reaches the partner, with the client certificate', TIMEOUT, async () => {
	const result = await callTool('partner', { resource: 'accounts/42?view=full' });
	assert.notEqual(result.isError, true, textOf(result));
	const seen = partner.requests.find(({ url }) => url === '/v1/accounts/42?view=full');
	assert.ok(seen, `the partner saw ${JSON.stringify(partner.requests.map(({ url }) => url))}`);
	assert.equal(seen.peerSubject, 'client-ec.example');
	// The tool's answer is the node's output, the partner's reply, as the agent reads it.
	const [reply] = JSON.parse(textOf(result)) as Array<{ url: string; peerSubject: string }>;
	assert.deepEqual([reply.url, reply.peerSubject], ['/v1/accounts/42?view=full', 'client-ec.example']);
});

test('an agent that names the host is refused (TOOL_URL_NOT_FIXED); nothing reaches the other origin', TIMEOUT, async () => {
	const before = partner.requests.length;
	const result = await callTool('any_host', { host: `127.0.0.1:${elsewhere.port}` });
	assert.equal(result.isError, true, textOf(result));
	assert.match(textOf(result), /TOOL_URL_NOT_FIXED/);
	assert.match(textOf(result), /needs the URL's https:\/\/ address typed in the "URL" parameter/);
	assert.equal(elsewhereConnections, 0, 'the certificate went where the agent said');
	assert.equal(partner.requests.length, before);
});

test('an agent that appends "@host" after the typed port is refused (TOOL_URL_NOT_FIXED); nothing reaches the other origin', TIMEOUT, async () => {
	const before = partner.requests.length;
	// With no "/" after the typed port, the agent's "@…" turns host and port into a user name and password.
	const result = await callTool('partner_suffix', { rest: `@127.0.0.1:${elsewhere.port}/v1/stolen` });
	assert.equal(result.isError, true, textOf(result));
	assert.match(textOf(result), /TOOL_URL_NOT_FIXED/);
	assert.equal(elsewhereConnections, 0, 'the certificate went where the agent said');
	assert.equal(partner.requests.length, before);
});

test('in tool use a redirect to another origin is not followed, even where the user allowed it (REDIRECT_CROSS_ORIGIN)', TIMEOUT, async () => {
	const result = await callTool('partner', { resource: 'moved' });
	assert.equal(result.isError, true, textOf(result));
	assert.match(textOf(result), /REDIRECT_CROSS_ORIGIN/);
	assert.match(textOf(result), /"Allow Cross-Origin" does not apply/, 'the error suggests a setting tool use ignores');
	assert.ok(partner.requests.some(({ url }) => url === '/v1/moved'));
	assert.equal(elsewhereConnections, 0, 'the redirect took the certificate to another origin');
	assert.deepEqual(elsewhere.requests, []);
});
