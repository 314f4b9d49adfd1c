/**
 * The partner's API for the benchmark, run in a process of its own (forked by serverProcess.ts) so
 * that its CPU time stays out of the client's figures. It requires a client certificate, keeps
 * connections alive, answers every request with a small JSON body, and counts TLS handshakes and
 * resumed sessions. Counts travel over the IPC channel: asking for them costs no request.
 *
 * Requests may name the run they belong to with a `run` query parameter (`?run=<id>`); the server
 * then also counts per run, so runs it cannot tell apart in time (the workflows of one n8n
 * process) still get their own figures.
 */
import type { IncomingMessage } from 'node:http';
import { createServer, Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';

export interface ServerConfig {
	keyPem: string;
	certPem: string;
	/** CA certificate trusted for client certificates. */
	clientCa: string;
}

export interface RunCounts {
	/** Connections whose first request named this run. */
	handshakes: number;
	/** Resumed sessions among them. */
	resumed: number;
	requests: number;
}

export interface ServerStats {
	/** Completed TLS handshakes (new secure connections). */
	handshakes: number;
	/** Resumed sessions among them. */
	resumed: number;
	requests: number;
	openConnections: number;
	/** Counts per `run` query parameter, for requests that carry one. */
	runs: Record<string, RunCounts>;
}

export type ParentMessage = { type: 'start'; config: ServerConfig } | { type: 'stats'; id: number };

export type ChildMessage =
	| { type: 'ready'; port: number }
	| { type: 'stats'; id: number; stats: ServerStats }
	| { type: 'failed'; message: string };

const BODY = JSON.stringify({ ok: true, account: 'ACC-0042', balance: { amount: '1250.00', currency: 'EUR' } });
/** Longer than any pause in a run, so the server never closes a connection the client still uses. */
const KEEP_ALIVE_MS = 60_000;
const RUN_PARAMETER = /[?&]run=([^&#]*)/;

function startServer(config: ServerConfig, stats: ServerStats): Promise<Server> {
	const server = createServer({
		key: config.keyPem,
		cert: config.certPem,
		ca: config.clientCa,
		requestCert: true,
		rejectUnauthorized: true,
	}, (req, res) => {
		stats.requests++;
		countRun(req, stats);
		req.resume();
		req.on('end', () => {
			res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) });
			res.end(BODY);
		});
	});
	server.keepAliveTimeout = KEEP_ALIVE_MS;
	server.on('secureConnection', (socket: TLSSocket) => countConnection(socket, stats));
	server.on('tlsClientError', () => undefined);
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve(server));
	});
}

function countConnection(socket: TLSSocket, stats: ServerStats): void {
	stats.handshakes++;
	if (socket.isSessionReused()) stats.resumed++;
	stats.openConnections++;
	socket.once('close', () => stats.openConnections--);
}

/** Connections already counted for their run. */
const attributed = new WeakSet<TLSSocket>();

/**
 * A connection belongs to the run of its first request: a client never shares a connection
 * between runs (each execution closes its own), so each handshake is counted once, for its run.
 */
function countRun(req: IncomingMessage, stats: ServerStats): void {
	const run = RUN_PARAMETER.exec(req.url ?? '')?.[1];
	if (run === undefined) return;
	const counts = (stats.runs[run] ??= { handshakes: 0, resumed: 0, requests: 0 });
	counts.requests++;
	const socket = req.socket as TLSSocket;
	if (attributed.has(socket)) return;
	attributed.add(socket);
	counts.handshakes++;
	if (socket.isSessionReused()) counts.resumed++;
}

function reply(message: ChildMessage): void {
	process.send?.(message);
}

function serve(): void {
	const stats: ServerStats = { handshakes: 0, resumed: 0, requests: 0, openConnections: 0, runs: {} };
	process.on('message', (message: ParentMessage) => {
		if (message.type === 'stats') {
			reply({ type: 'stats', id: message.id, stats: { ...stats } });
			return;
		}
		startServer(message.config, stats).then(
			(server) => reply({ type: 'ready', port: (server.address() as AddressInfo).port }),
			(error: Error) => reply({ type: 'failed', message: error.message }),
		);
	});
	// The parent went away (finished or crashed): nothing is left to serve.
	process.on('disconnect', () => process.exit(0));
}

if (require.main === module) serve();
