/**
 * PostgreSQL and Redis from the Debian packages (`postgresql`, `redis-server`; .ci/run installs them),
 * each started as a private throwaway process on 127.0.0.1 with its data in a temporary folder: no
 * system service, no state between runs.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort, stopProcess, tail } from '../e2e/n8n';

const READY_TIMEOUT_MS = 60_000;

export interface Service {
	port: number;
	/** What the process printed, for failure messages. */
	output: () => string;
	stop: () => Promise<void>;
}

export interface Postgres extends Service {
	user: string;
	database: string;
}

/** Debian installs each PostgreSQL major under /usr/lib/postgresql/<major>/bin; the newest wins. */
export function postgresBinDir(): string | undefined {
	const root = '/usr/lib/postgresql';
	if (!existsSync(root)) return undefined;
	const majors = readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a));
	return majors.map((major) => join(root, major, 'bin')).find((dir) => existsSync(join(dir, 'postgres')));
}

export function redisServerPath(): string | undefined {
	return ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((path) => existsSync(path));
}

/**
 * initdb and postgres refuse to run as root, so under root (CI) they run as the `postgres` account the
 * Debian package creates; the data folder then belongs to that account.
 */
function dropRoot(): { prefix: string[]; uid?: number; gid?: number } {
	if (process.getuid?.() !== 0) return { prefix: [] };
	const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
	const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
	// setpriv execs in place (runuser forks), so stopping the child stops postgres itself.
	return { prefix: ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--'], uid, gid };
}

export async function startPostgres(): Promise<Postgres> {
	const bin = postgresBinDir();
	if (!bin) throw new Error('PostgreSQL is not installed: apt-get install postgresql (.ci/run does)');
	const dir = mkdtempSync(join(tmpdir(), 'n8n-mtls-pg-'));
	const { prefix, uid, gid } = dropRoot();
	if (uid !== undefined && gid !== undefined) chownSync(dir, uid, gid);
	const data = join(dir, 'data');
	const user = 'n8n';
	const asOwner = (command: string, args: string[]): [string, string[]] =>
		prefix.length ? [prefix[0], [...prefix.slice(1), join(bin, command), ...args]] : [join(bin, command), args];
	try {
		const [initdb, initArgs] = asOwner('initdb', ['-D', data, '-U', user, '--auth=trust', '-E', 'UTF8', '--no-sync']);
		execFileSync(initdb, initArgs, { stdio: 'pipe', cwd: dir });
	} catch (error) {
		rmSync(dir, { recursive: true, force: true });
		throw new Error(`initdb failed: ${String((error as { stderr?: Buffer }).stderr ?? error)}`);
	}
	const port = await findFreePort();
	// A test database: durability settings off, so 200 executions do not wait on fsync.
	const settings = ['listen_addresses=127.0.0.1', `unix_socket_directories=${dir}`, 'fsync=off', 'synchronous_commit=off',
		'full_page_writes=off', 'max_connections=100'];
	const [postgres, args] = asOwner('postgres', ['-D', data, '-p', String(port), ...settings.flatMap((s) => ['-c', s])]);
	const service = startProcess(postgres, args, dir, port);
	await waitFor(service, () => isReady(join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port)]), 'PostgreSQL');
	return { ...service, user, database: 'postgres' };
}

export async function startRedis(): Promise<Service> {
	const redis = redisServerPath();
	if (!redis) throw new Error('Redis is not installed: apt-get install redis-server (.ci/run does)');
	const dir = mkdtempSync(join(tmpdir(), 'n8n-mtls-redis-'));
	const port = await findFreePort();
	const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
	const service = startProcess(redis, args, dir, port);
	await waitFor(service, () => probe(port, Buffer.from('PING\r\n'), (reply) => reply.startsWith('+PONG')), 'Redis');
	return service;
}

function startProcess(command: string, args: string[], dir: string, port: number): Service {
	const child: ChildProcess = spawn(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
	const chunks: Buffer[] = [];
	child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
	child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk));
	return {
		port,
		output: () => Buffer.concat(chunks).toString('utf8'),
		stop: async () => {
			// SIGINT is PostgreSQL's "fast shutdown"; Redis exits on it too.
			await stopProcess(child, 'SIGINT');
			rmSync(dir, { recursive: true, force: true });
		},
	};
}

/** pg_isready exits 0 once the server accepts sessions (a TCP accept comes earlier, while it starts up). */
function isReady(command: string, args: string[]): Promise<boolean> {
	return new Promise((resolve) => {
		execFile(command, args, (error) => resolve(!error));
	});
}

/** Connects, sends `request` and reports whether the first reply satisfies `ok`. */
function probe(port: number, request: Buffer, ok: (reply: string) => boolean): Promise<boolean> {
	return new Promise((resolve) => {
		const socket = connect(port, '127.0.0.1');
		const done = (result: boolean) => {
			socket.destroy();
			resolve(result);
		};
		socket.setTimeout(2_000, () => done(false));
		socket.once('error', () => done(false));
		socket.once('connect', () => socket.write(request));
		socket.once('data', (reply) => done(ok(reply.toString('latin1'))));
	});
}

async function waitFor(service: Service, ready: () => Promise<boolean>, name: string): Promise<void> {
	const deadline = Date.now() + READY_TIMEOUT_MS;
	while (Date.now() < deadline) {
		if (await ready()) return;
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
	const output = service.output();
	await service.stop();
	throw new Error(`${name} did not start within ${READY_TIMEOUT_MS / 1000} s\n${tail(output)}`);
}
