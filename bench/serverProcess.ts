/** The parent's handle on the benchmark server running in its child process (server.ts). */
import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';

import type { ChildMessage, ServerConfig, ServerStats } from './server';

export interface ServerProcess {
	/** https://127.0.0.1:<port>: an IP address, so no name lookup or SNI differs between clients. */
	origin: string;
	stats: () => Promise<ServerStats>;
	stop: () => Promise<void>;
}

const START_TIMEOUT_MS = 15_000;

/**
 * Forks server.js with the same Node binary, starts the server and waits until it listens.
 *
 * @throws Error when the child cannot start the server or exits early
 */
export async function startServerProcess(config: ServerConfig): Promise<ServerProcess> {
	const child = fork(join(__dirname, 'server.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
	try {
		const port = await waitForPort(child, config);
		return { origin: `https://127.0.0.1:${port}`, stats: () => askStats(child), stop: () => stopChild(child) };
	} catch (error) {
		await stopChild(child);
		throw error;
	}
}

function waitForPort(child: ChildProcess, config: ServerConfig): Promise<number> {
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error('The benchmark server did not start within 15 s')), START_TIMEOUT_MS);
		const done = () => clearTimeout(timer);
		child.once('exit', (code) => {
			done();
			reject(new Error(`The benchmark server exited with code ${code} before listening`));
		});
		child.on('message', (message: ChildMessage) => {
			if (message.type === 'ready') {
				done();
				resolve(message.port);
			} else if (message.type === 'failed') {
				done();
				reject(new Error(`The benchmark server failed to start: ${message.message}`));
			}
		});
		child.send({ type: 'start', config });
	});
}

let nextId = 1;

function askStats(child: ChildProcess): Promise<ServerStats> {
	const id = nextId++;
	return new Promise((resolve, reject) => {
		const onExit = () => reject(new Error('The benchmark server exited while asked for its counts'));
		const onMessage = (message: ChildMessage) => {
			if (message.type !== 'stats' || message.id !== id) return;
			child.off('message', onMessage);
			child.off('exit', onExit);
			resolve(message.stats);
		};
		child.on('message', onMessage);
		child.once('exit', onExit);
		child.send({ type: 'stats', id });
	});
}

function stopChild(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
	return new Promise((resolve) => {
		child.once('exit', () => resolve());
		child.kill();
	});
}
