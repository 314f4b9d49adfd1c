/**
 * The server both nodes talk to in the differential suite: HTTPS on 127.0.0.1 that requires a
 * client certificate of the test CA, with one set of routes reached under two prefixes,
 * `/h/<case>/…` for n8n's HTTP Request node and `/m/<case>/…` for ours. Every request is recorded
 * as it arrived (method, raw path and query after the prefix, headers, body bytes, multipart parts),
 * so the suite compares what reached the server and not only what came back.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';

export type Side = 'h' | 'm';

export interface Part {
	name: string;
	value?: string;
	fileName?: string;
	type?: string;
	base64?: string;
}

export interface Arrival {
	side: Side;
	caseId: string;
	method: string;
	/** Path after `/<side>/<case>` and the query exactly as sent. */
	target: string;
	headers: Record<string, string | string[]>;
	body: Buffer;
	/** multipart/form-data parsed the way the WHATWG Fetch API parses it. */
	parts?: Part[];
	/** CN of the client certificate: both nodes must present it. */
	peer: string | null;
}

interface RouteContext {
	/** `https://localhost:<port>/<side>/<case>`: where this case's routes live for this node. */
	base: string;
	query: URLSearchParams;
	arrival: Arrival;
}

type Route = (req: IncomingMessage, res: ServerResponse, context: RouteContext) => void;

export interface EchoServer {
	origin: string;
	/** The same server under another host name: a different origin for redirects. */
	otherOrigin: string;
	arrivals: Arrival[];
	close(): Promise<void>;
}

/** A Latin-1 body without a charset: what old servers send (issue 12, item 7). */
export const LATIN1_TEXT = 'Grüße aus Köln: café, naïve, Øre ±5 °C';
export const UTF8_TEXT = 'Grüße — 東京 ✓';
export const PDF_BYTES = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 7919) % 256)), Buffer.from('\n%%EOF\n')]);
export const PNG_BYTES = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const PAGE_SIZE = 2;
const LAST_PAGE = 3;

function send(res: ServerResponse, status: number, type: string | undefined, body: string | Buffer, headers: Record<string, string> = {}): void {
	res.statusCode = status;
	if (type) res.setHeader('content-type', type);
	for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
	res.end(body);
}

function json(res: ServerResponse, body: unknown, status = 200, type = 'application/json; charset=utf-8'): void {
	send(res, status, type, JSON.stringify(body));
}

function pageOf(query: URLSearchParams, name = 'page'): number {
	return Number(query.get(name) ?? '1') || 1;
}

function rows(page: number): Array<{ id: number; page: number }> {
	if (page > LAST_PAGE) return [];
	return Array.from({ length: PAGE_SIZE }, (_, i) => ({ id: (page - 1) * PAGE_SIZE + i + 1, page }));
}

/** What the server saw, for routes whose answer should show it (expressions, bodies). */
function seen(arrival: Arrival): Record<string, unknown> {
	// A multipart body is shown as its parts: the boundary is random and differs between clients.
	return { method: arrival.method, target: arrival.target, body: arrival.parts ? undefined : arrival.body.toString('utf8'), parts: arrival.parts };
}

const ROUTES: Record<string, Route> = {
	'/json': (_req, res) => json(res, { id: 7, name: 'Ann', tags: ['a', 'b'], nested: { ok: true, none: null } }),
	'/echo': (_req, res, { arrival }) => json(res, seen(arrival)),
	'/json-pretty': (_req, res) => send(res, 200, 'application/json', '{\n  "id": 7,\n  "list": [ 1, 2 ]\n}\n'),
	'/font': (_req, res) => send(res, 200, 'font/woff2', Buffer.from('774f463200010000', 'hex')),
	'/gzip-file': (_req, res) => send(res, 200, 'application/x-gzip', Buffer.from('1f8b0800000000000003030000000000000000', 'hex')),
	'/array': (_req, res) => json(res, [{ id: 1, name: 'one' }, { id: 2, name: 'two' }, { id: 3, name: 'three' }]),
	'/scalars': (_req, res) => json(res, [1, 'two', true]),
	'/wrapped': (_req, res) => json(res, { data: [{ id: 1 }, { id: 2 }] }),
	'/problem': (_req, res) => json(res, { type: 'about:blank', title: 'Fine', detail: 'a +json type' }, 200, 'application/problem+json'),
	'/vnd': (_req, res) => json(res, { data: { type: 'account', id: '9' } }, 200, 'application/vnd.api+json'),
	'/notjson': (_req, res) => send(res, 200, 'application/json', '{"broken": '),
	'/text': (_req, res) => send(res, 200, 'text/plain; charset=utf-8', UTF8_TEXT),
	'/latin1': (_req, res) => send(res, 200, 'text/plain', Buffer.from(LATIN1_TEXT, 'latin1')),
	'/latin1-charset': (_req, res) => send(res, 200, 'text/plain; charset=iso-8859-1', Buffer.from(LATIN1_TEXT, 'latin1')),
	'/html': (_req, res) => send(res, 200, 'text/html; charset=utf-8', '<!doctype html><p>Hello</p>'),
	'/xml': (_req, res) => send(res, 200, 'application/xml', '<?xml version="1.0"?><a><b>1</b></a>'),
	'/notype': (_req, res) => send(res, 200, undefined, 'no content type here'),
	'/pdf': (_req, res) => send(res, 200, 'application/pdf', PDF_BYTES, { 'content-disposition': 'attachment; filename="statement-2024-03.pdf"' }),
	'/octet': (_req, res) => send(res, 200, 'application/octet-stream', PDF_BYTES),
	'/image.png': (_req, res) => send(res, 200, 'image/png', PNG_BYTES),
	'/csv': (_req, res) => send(res, 200, 'text/csv; charset=utf-8', 'a;b\n1;2\n', { 'content-disposition': 'attachment; filename="export.csv"' }),
	'/empty-json': (_req, res) => send(res, 200, 'application/json', ''),
	'/empty': (_req, res) => send(res, 200, undefined, ''),
	'/empty-text': (_req, res) => send(res, 200, 'text/plain', ''),
	'/no-content': (_req, res) => send(res, 204, undefined, ''),
	'/created': (_req, res) => json(res, { created: true }, 201),
	'/not-found': (_req, res) => json(res, { message: 'No account with id 42', code: 'ACCOUNT_NOT_FOUND' }, 404),
	'/not-found-text': (_req, res) => send(res, 404, 'text/plain', 'nothing here'),
	'/bad-request': (_req, res) => json(res, { error: { message: 'amount must be positive' } }, 400),
	'/unauthorized': (_req, res) => json(res, { message: 'token expired' }, 401),
	'/rate-limited': (_req, res) => json(res, { message: 'slow down' }, 429, 'application/json'),
	'/server-error': (_req, res) => send(res, 500, 'text/html', '<h1>Internal Server Error</h1>'),
	'/unavailable': (_req, res) => send(res, 503, undefined, ''),
	'/redirect': (_req, res, { base }) => send(res, 302, undefined, '', { location: `${base}/json` }),
	'/redirect-relative': (_req, res) => send(res, 301, undefined, '', { location: 'json' }),
	'/redirect-303': (_req, res, { base }) => send(res, 303, undefined, '', { location: `${base}/echo` }),
	'/redirect-307': (_req, res, { base }) => send(res, 307, undefined, '', { location: `${base}/echo` }),
	'/redirect-chain': (_req, res, { base, query }) => {
		const left = Number(query.get('left') ?? '3');
		send(res, 302, undefined, '', { location: left > 0 ? `${base}/redirect-chain?left=${left - 1}` : `${base}/json` });
	},
	'/redirect-other': (_req, res, { base }) => send(res, 302, undefined, '', { location: `${base.replace('//localhost:', '//127.0.0.1:')}/json` }),
	'/redirect-http': (_req, res, { base }) => send(res, 302, undefined, '', { location: `${base.replace('https://', 'http://')}/json` }),
	// Pagination: ?page=N, 2 rows a page, 3 pages, then an empty page.
	'/pages': (_req, res, { query }) => {
		const page = pageOf(query);
		json(res, { page, rows: rows(page), hasMore: page < LAST_PAGE });
	},
	'/pages-array': (_req, res, { query }) => json(res, rows(pageOf(query))),
	'/pages-status': (_req, res, { query }) => {
		const page = pageOf(query);
		if (page > LAST_PAGE) json(res, { message: 'no such page' }, 404);
		else json(res, rows(page));
	},
	'/pages-header': (req, res) => {
		const page = Number(req.headers['x-page'] ?? '1') || 1;
		json(res, rows(page));
	},
	'/pages-body': (_req, res, { arrival }) => {
		const body = arrival.body.length ? (JSON.parse(arrival.body.toString('utf8')) as { page?: number }) : {};
		json(res, rows(body.page ?? 1));
	},
	'/pages-next': (_req, res, { base, query }) => {
		const page = pageOf(query);
		json(res, { rows: rows(page), next: page < LAST_PAGE ? `${base}/pages-next?page=${page + 1}` : null });
	},
	'/pages-next-relative': (_req, res, { query }) => {
		const page = pageOf(query);
		json(res, { rows: rows(page), next: page < LAST_PAGE ? `pages-next-relative?page=${page + 1}` : null });
	},
	'/pages-cursor': (_req, res, { query }) => {
		const cursor = query.get('cursor') ?? 'c1';
		const page = Number(cursor.slice(1));
		json(res, { rows: rows(page), cursor: page < LAST_PAGE ? `c${page + 1}` : null });
	},
	'/slow': (_req, res) => {
		const timer = setTimeout(() => json(res, { slow: true }), 2500);
		res.on('close', () => clearTimeout(timer));
	},
};

async function multipartParts(body: Buffer, contentType: string): Promise<Part[] | undefined> {
	if (!contentType.startsWith('multipart/form-data')) return undefined;
	try {
		const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
		return await Promise.all([...form.entries()].map(async ([name, value]) => typeof value === 'string'
			? { name, value }
			: { name, fileName: value.name, type: value.type, base64: Buffer.from(await value.arrayBuffer()).toString('base64') }));
	} catch (error) {
		return [{ name: '(unparsable)', value: (error as Error).message }];
	}
}

export async function startEchoServer(tls: { keyPem: string; certPem: string; clientCa: string }): Promise<EchoServer> {
	const arrivals: Arrival[] = [];
	let port = 0;
	const server = createServer({ key: tls.keyPem, cert: tls.certPem, ca: tls.clientCa, requestCert: true, rejectUnauthorized: true }, (req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			void (async () => {
				const raw = req.url ?? '/';
				const match = /^\/([hm])\/([^/?]+)(\/[^?]*)?(\?.*)?$/.exec(raw);
				if (!match) return send(res, 400, 'text/plain', `no case in ${raw}`);
				const [, side, caseId, path = '/', search = ''] = match;
				const body = Buffer.concat(chunks);
				const peer = (req.socket as TLSSocket).getPeerCertificate()?.subject?.CN;
				const arrival: Arrival = {
					side: side as Side, caseId, method: req.method ?? '', target: `${path}${search}`,
					headers: req.headers as Arrival['headers'], body, peer: peer ? String(peer) : null,
					parts: await multipartParts(body, String(req.headers['content-type'] ?? '')),
				};
				arrivals.push(arrival);
				const host = req.headers.host?.startsWith('127.0.0.1') ? '127.0.0.1' : 'localhost';
				const route = ROUTES[path] ?? (path.startsWith('/echo/') ? ROUTES['/echo'] : (_q, r) => send(r, 404, 'text/plain', `no route ${path}`));
				route(req, res, { base: `https://${host}:${port}/${side}/${caseId}`, query: new URLSearchParams(search), arrival });
			})();
		});
	});
	server.on('tlsClientError', () => undefined);
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	port = (server.address() as AddressInfo).port;
	return {
		origin: `https://localhost:${port}`,
		otherOrigin: `https://127.0.0.1:${port}`,
		arrivals,
		close: () => new Promise<void>((resolve) => {
			server.closeAllConnections();
			server.close(() => resolve());
		}),
	};
}
