/**
 * Drives a real n8n (installed by scripts/ensure-n8n.sh, run under Node 24 as a child process) the
 * way a user would: the package is packed and installed like the community-nodes UI does it,
 * credentials and workflows are imported with the CLI, workflows run headlessly with execute-batch.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';

/** The n8n the e2e suite runs by default, on Node 24 (scripts/ensure-n8n.sh). */
export const N8N_VERSION = '2.40.7';
export const NODE_VERSION = '24.21.0';
export const REPO_ROOT = join(__dirname, '..', '..', '..');
const PACKAGE_NAME = 'n8n-nodes-mtls';
const CLI_TIMEOUT_MS = 4 * 60_000;

export interface N8nPaths {
	cache: string;
	/** The n8n version installed there. */
	version: string;
	node: string;
	nodeVersion: string;
	cli: string;
	/** n8n's own node_modules, for helpers such as bcryptjs. */
	modules: string;
	marker: string;
}

/**
 * The same paths the install scripts use. By default n8n 2.40.7 on Node 24 (scripts/ensure-n8n.sh);
 * with N8N_MTLS_N8N_VERSION set, that n8n on N8N_MTLS_N8N_NODE (a node binary, or a major such as 22
 * for the cached Node of that major) or the Node running the tests (the cached Node 20 for n8n 1.x
 * if that one is newer than 22); scripts/ensure-n8n1.sh installs it so.
 */
export function resolvePaths(): N8nPaths {
	const cache = process.env.N8N_MTLS_CACHE || join(homedir(), '.cache', 'n8n-nodes-mtls');
	const version = process.env.N8N_MTLS_N8N_VERSION;
	if (!version || version === N8N_VERSION) {
		const modules = join(cache, `n8n-${N8N_VERSION}`, 'node_modules');
		const node = join(cache, 'node24', 'node_modules', 'node', 'bin', 'node');
		const marker = join(cache, `.complete-n8n-${N8N_VERSION}-node-${NODE_VERSION}`);
		return { cache, version: N8N_VERSION, node, nodeVersion: NODE_VERSION, cli: join(modules, 'n8n', 'bin', 'n8n'), modules, marker };
	}
	const cachedNode = (major: string) => join(cache, `node${major}`, 'node_modules', 'node', 'bin', 'node');
	const requested = process.env.N8N_MTLS_N8N_NODE;
	// n8n 1.x refuses Node 23+; the script then installs Node 20 into the cache (as for Node 24 above).
	const tooNew = version.startsWith('1.') && Number(process.versions.node.split('.')[0]) > 22;
	const node = requested ? (/^\d+$/.test(requested) ? cachedNode(requested) : requested) : tooNew ? cachedNode('20') : process.execPath;
	const nodeVersion = node === process.execPath ? process.versions.node
		: existsSync(node) ? execFileSync(node, ['--version'], { encoding: 'utf8' }).trim().slice(1) : 'not installed';
	const modules = join(cache, `n8n-${version}-node${nodeVersion.split('.')[0]}`, 'node_modules');
	const marker = join(cache, `.complete-n8n-${version}-node-${nodeVersion}`);
	return { cache, version, node, nodeVersion, cli: join(modules, 'n8n', 'bin', 'n8n'), modules, marker };
}

export interface CliResult {
	code: number | null;
	stdout: string;
	/** stdout and stderr interleaved, for failure messages. */
	output: string;
}

/** n8n's reference to a file: inline base64 in `data`, or an `id` into the binary data store. */
export interface BinaryRef {
	data: string;
	id?: string;
	fileName?: string;
	mimeType?: string;
	fileExtension?: string;
	/** Human-readable, e.g. "1.2 kB". */
	fileSize?: string;
	bytes?: number;
}

/** One item of a node's first run. */
export interface OutputItem {
	json: Record<string, unknown>;
	binary?: Record<string, BinaryRef>;
	pairedItem?: { item: number } | Array<{ item: number }>;
}

export interface WorkflowRun {
	status: 'success' | 'error' | 'warning';
	/** n8n's one-line summary of a failed run: the error's description (or message) and the node. */
	error?: string;
	/** Items on each node's first main output; only for successful runs (n8n snapshots only those). */
	nodes: Record<string, OutputItem[]>;
	/** Items on every main output of each node, e.g. [true branch, false branch] of an If node. */
	outputs: Record<string, OutputItem[][]>;
	/** The execution hints each node added (what the editor shows above its output). */
	hints: Record<string, string[]>;
}

export interface BatchResult {
	runs: Record<string, WorkflowRun>;
	/** Everything n8n printed while running the batch. */
	log: string;
}

/** Extra settings for one n8n CLI process, e.g. N8N_EXPRESSION_ENGINE, or Node flags such as --expose-gc. */
export interface CliOptions {
	env?: Record<string, string>;
	nodeArgs?: string[];
}

export interface StartOptions {
	port: number;
	env?: Record<string, string>;
	/** Append n8n's output to this file instead of the test's own stdout. */
	logFile?: string;
}

export interface WorkerOptions {
	/** Jobs the worker runs at once (`n8n worker --concurrency`). */
	concurrency: number;
	/** The worker server's port, answering /healthz/readiness. */
	healthPort: number;
	env?: Record<string, string>;
	logFile?: string;
}

/** The subset of n8n's exported workflow format the tests need. */
export interface WorkflowJson {
	id: string;
	name: string;
	nodes: Array<Record<string, unknown>>;
	connections: Record<string, unknown>;
	[key: string]: unknown;
}

export interface CredentialJson {
	id: string;
	name: string;
	type: string;
	/** Plain values: import:credentials encrypts them with the instance's key. */
	data: Record<string, string>;
}

/** The test PKI's EC client as a credential, with the partner's CA. */
export function partnerCredential(pki: { bundleEc: string; passphrase: string; ca: { certPem: string } }, id: string, name = 'Partner (EC)'): CredentialJson {
	return { id, name, type: MTLS_CREDENTIAL_TYPE, data: { certificateBundle: pki.bundleEc, passphrase: pki.passphrase, caCertificates: pki.ca.certPem } };
}

export interface NodeJson {
	name: string;
	type: string;
	typeVersion: number;
	parameters: Record<string, unknown>;
	[key: string]: unknown;
}

export const MTLS_NODE_TYPE = 'n8n-nodes-mtls.mtlsHttpRequest';
export const MTLS_CREDENTIAL_TYPE = 'mtlsCertificateApi';

/** The node under test, using the credential `credential` (an imported CredentialJson). */
export function mtlsNode(name: string, credential: CredentialJson, parameters: Record<string, unknown>, extra: Record<string, unknown> = {}): NodeJson {
	const credentials = { [MTLS_CREDENTIAL_TYPE]: { id: credential.id, name: credential.name } };
	return { name, type: MTLS_NODE_TYPE, typeVersion: 1, parameters, credentials, ...extra };
}

/** A workflow that starts at a Manual Trigger named "Start" and passes items through `nodes` in order. */
export function linearWorkflow(id: string, name: string, nodes: NodeJson[]): WorkflowJson {
	const chain: NodeJson[] = [{ name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {} }, ...nodes];
	const connections: Record<string, unknown> = {};
	for (let i = 1; i < chain.length; i++) {
		connections[chain[i - 1].name] = { main: [[{ node: chain[i].name, type: 'main', index: 0 }]] };
	}
	const placed = chain.map((node, i) => ({ id: randomUUID(), position: [i * 240, 0], ...node }));
	return { id, name, active: false, settings: {}, nodes: placed, connections };
}

export class N8n {
	readonly paths = resolvePaths();
	/** Environment for every n8n process of this instance (CLI, start, worker), e.g. queue mode's. */
	readonly settings: Record<string, string> = {};
	private brokerPort = 0;

	/** `userFolder` is n8n's N8N_USER_FOLDER; n8n keeps its data in `<userFolder>/.n8n`. */
	constructor(readonly userFolder: string, private readonly temporary: boolean) {}

	get dataDir(): string {
		return join(this.userFolder, '.n8n');
	}

	get packageDir(): string {
		return join(this.dataDir, 'nodes', 'node_modules', PACKAGE_NAME);
	}

	/**
	 * On n8n 2.x, reproduces CommunityPackagesService.downloadPackage of n8n 2.40: unpack into
	 * nodes/node_modules/<name>, drop dev/peer/optional dependencies (n8n-workflow must come from n8n
	 * itself), `npm install` with n8n's exact flags, then record the package in nodes/package.json.
	 */
	async installPackage(tarball: string): Promise<void> {
		if (this.paths.version.startsWith('1.')) return this.installPackageLikeN8n1(tarball);
		rmSync(this.packageDir, { recursive: true, force: true });
		mkdirSync(this.packageDir, { recursive: true });
		await runOrThrow('tar', ['-xzf', tarball, '-C', this.packageDir, '--strip-components=1']);
		const manifestPath = join(this.packageDir, 'package.json');
		const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
		for (const key of ['devDependencies', 'peerDependencies', 'optionalDependencies']) delete manifest[key];
		writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
		await runOrThrow('npm', ['install', '--audit=false', '--fund=false', '--bin-links=false', '--install-strategy=shallow',
			'--ignore-scripts=true', '--package-lock=false'], { cwd: this.packageDir });
		const ledger = { name: 'installed-nodes', private: true, dependencies: { [PACKAGE_NAME]: manifest.version } };
		writeFileSync(join(this.dataDir, 'nodes', 'package.json'), JSON.stringify(ledger, null, 2));
	}

	/**
	 * Reproduces CommunityPackagesService.installOrUpdatePackage of n8n 1.81: `npm init -y` in nodes/,
	 * then a plain `npm install <package>` there, so npm's defaults apply (peer dependencies installed
	 * unless optional, install scripts on). n8n passes only PATH to npm; here the `npm_*` variables of
	 * a surrounding `npm run` (its ignore-scripts=true) are left out, the rest (HOME, proxy and CA
	 * settings npm may need to reach its registry) stays.
	 */
	private async installPackageLikeN8n1(tarball: string): Promise<void> {
		const nodes = join(this.dataDir, 'nodes');
		const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
		mkdirSync(nodes, { recursive: true });
		if (!existsSync(join(nodes, 'package.json'))) await runOrThrow('npm', ['init', '-y'], { cwd: nodes, env });
		await runOrThrow('npm', ['install', tarball], { cwd: nodes, env });
	}

	/** Packs the repo as built in dist/ and installs it; the tarball does not outlive the call. */
	async installRepo(): Promise<void> {
		const work = mkdtempSync(join(this.userFolder, 'pack-'));
		try {
			await this.installPackage(await packPackage(work));
		} finally {
			rmSync(work, { recursive: true, force: true });
		}
	}

	async importCredentials(credentials: CredentialJson[]): Promise<void> {
		await this.importFile('import:credentials', 'credentials.json', credentials);
	}

	async importWorkflows(workflows: WorkflowJson[]): Promise<void> {
		await this.importFile('import:workflow', 'workflows.json', workflows);
	}

	/** Runs the workflows one after another in a single n8n process (start-up is paid once). */
	async runWorkflows(ids: string[], options: CliOptions = {}): Promise<BatchResult> {
		assertRunnableIds(ids);
		const work = mkdtempSync(join(this.userFolder, 'batch-'));
		try {
			const summaryFile = join(work, 'summary.json');
			const { output } = await this.cli(['execute-batch', `--ids=${ids.join(',')}`, '--retries=0',
				`--output=${summaryFile}`, `--snapshot=${work}`], options);
			if (!existsSync(summaryFile)) throw new Error(`n8n execute-batch wrote no summary\n${tail(output)}`);
			return { runs: readRuns(work, summaryFile, ids), log: output };
		} finally {
			rmSync(work, { recursive: true, force: true });
		}
	}

	/**
	 * The bytes of a file in an output item. n8n 2.x keeps binary data in the filesystem store under
	 * <data dir>/storage (the default outside queue mode); the snapshot carries only its id.
	 */
	readBinary(binary: BinaryRef): Buffer {
		const prefix = 'filesystem-v2:';
		if (!binary.id) return Buffer.from(binary.data, 'base64');
		if (!binary.id.startsWith(prefix)) throw new Error(`binary data in an unexpected store: ${binary.id}`);
		const storage = join(this.dataDir, 'storage');
		const file = resolve(storage, binary.id.slice(prefix.length));
		if (!file.startsWith(storage + sep)) throw new Error(`binary data id outside the store: ${binary.id}`);
		return readFileSync(file);
	}

	/** `n8n start`: the editor on http://localhost:<port>. The caller stops it with stopProcess(). */
	async start(options: StartOptions): Promise<ChildProcess> {
		return this.launch(['start'], { N8N_PORT: String(options.port), N8N_SECURE_COOKIE: 'false', ...options.env }, options.logFile);
	}

	/** `n8n worker` (queue mode) with its health server on. The caller stops it with stopProcess(). */
	async startWorker(options: WorkerOptions): Promise<ChildProcess> {
		const env = { QUEUE_HEALTH_CHECK_ACTIVE: 'true', QUEUE_HEALTH_CHECK_PORT: String(options.healthPort), ...options.env };
		return this.launch(['worker', `--concurrency=${options.concurrency}`], env, options.logFile);
	}

	async cli(args: string[], options: CliOptions = {}): Promise<CliResult> {
		this.brokerPort ||= await findFreePort();
		return run(this.paths.node, [...(options.nodeArgs ?? []), this.paths.cli, ...args], { env: { ...this.env(), ...options.env } });
	}

	dispose(): void {
		if (this.temporary) rmSync(this.userFolder, { recursive: true, force: true });
	}

	private async launch(args: string[], extraEnv: Record<string, string> = {}, logFile?: string): Promise<ChildProcess> {
		this.brokerPort ||= await findFreePort();
		const env = { ...this.env(), ...extraEnv };
		if (!logFile) return spawn(this.paths.node, [this.paths.cli, ...args], { env, stdio: 'inherit', detached: true });
		const fd = openSync(logFile, 'a');
		try {
			return spawn(this.paths.node, [this.paths.cli, ...args], { env, stdio: ['ignore', fd, fd], detached: true });
		} finally {
			closeSync(fd);
		}
	}

	private async importFile(command: string, name: string, content: unknown): Promise<void> {
		const file = join(this.userFolder, name);
		writeFileSync(file, JSON.stringify(content), { mode: 0o600 });
		try {
			const result = await this.cli([command, `--input=${file}`]);
			if (result.code !== 0) throw new Error(`n8n ${command} failed (exit ${result.code})\n${tail(result.output)}`);
		} finally {
			rmSync(file, { force: true });
		}
	}

	private env(): Record<string, string> {
		const env: Record<string, string> = {};
		for (const [key, value] of Object.entries(process.env)) {
			// The credential carries the CA (no NODE_EXTRA_CA_CERTS); node --test's context is not n8n's.
			if (value !== undefined && !/^(N8N_|DB_|NODE_EXTRA_CA_CERTS$|NODE_OPTIONS$|NODE_TEST_CONTEXT$)/.test(key)) env[key] = value;
		}
		// n8n puts some scratch folders in os.tmpdir(); keep them with the instance.
		const scratch = join(this.userFolder, 'tmp');
		mkdirSync(scratch, { recursive: true });
		return {
			...env,
			TMPDIR: scratch,
			N8N_USER_FOLDER: this.userFolder,
			N8N_ENCRYPTION_KEY: 'n8n-nodes-mtls-e2e-not-a-secret',
			DB_TYPE: 'sqlite',
			N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
			N8N_DIAGNOSTICS_ENABLED: 'false',
			N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
			N8N_TEMPLATES_ENABLED: 'false',
			N8N_PERSONALIZATION_ENABLED: 'false',
			// The task runner broker listens on 5679 by default, which a running editor may hold.
			N8N_RUNNERS_BROKER_PORT: String(this.brokerPort),
			...this.settings,
		};
	}
}

/** A fresh n8n with an empty database, in a temporary folder unless `userFolder` is given. */
export function createN8n(userFolder?: string): N8n {
	const paths = resolvePaths();
	if (!existsSync(paths.marker)) {
		const script = paths.version === N8N_VERSION ? 'ensure-n8n.sh' : 'ensure-n8n1.sh';
		throw new Error(`n8n ${paths.version} on Node ${paths.nodeVersion} is not installed in ${paths.cache}: run \`bash scripts/${script}\` first`);
	}
	if (userFolder) {
		mkdirSync(userFolder, { recursive: true });
		return new N8n(userFolder, false);
	}
	return new N8n(mkdtempSync(join(tmpdir(), 'n8n-mtls-e2e-')), true);
}

/** `npm pack` of the repo as it is built in dist/; returns the tarball's path inside `destination`. */
export async function packPackage(destination: string): Promise<string> {
	const { stdout } = await runOrThrow('npm', ['pack', '--json', '--pack-destination', destination], { cwd: REPO_ROOT });
	const [{ filename }] = JSON.parse(stdout) as Array<{ filename: string }>;
	return join(destination, filename);
}

/** Items on a node's first main output, or a failure naming what n8n did instead. */
export function outputOf(run: WorkflowRun | undefined, nodeName: string): OutputItem[] {
	if (!run) throw new Error('workflow did not run');
	if (run.status !== 'success') throw new Error(`workflow ${run.status}: ${run.error}`);
	const items = run.nodes[nodeName];
	if (!items) throw new Error(`node "${nodeName}" did not run; ran: ${Object.keys(run.nodes).join(', ')}`);
	return items;
}

export async function findFreePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as { port: number };
			server.close(() => resolve(port));
		});
	});
}

/** Stops a detached child and whatever it started (n8n spawns a task runner), then waits for it. */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	killGroup(child.pid, signal);
	const timer = setTimeout(() => killGroup(child.pid as number, 'SIGKILL'), 15_000);
	await exited;
	clearTimeout(timer);
}

export function tail(text: string, lines = 60): string {
	return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** execute-batch silently skips ids without a digit, and its flag parser rejects a lone numeric id. */
function assertRunnableIds(ids: string[]): void {
	const bad = ids.filter((id) => !/\d/.test(id) || /^\d+$/.test(id));
	if (bad.length) throw new Error(`workflow ids need a digit and a letter for n8n execute-batch: ${bad.join(', ')}`);
}

function readRuns(dir: string, summaryFile: string, ids: string[]): Record<string, WorkflowRun> {
	const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as { executions: Array<{ workflowId: string; executionStatus: WorkflowRun['status']; error?: string }> };
	const runs: Record<string, WorkflowRun> = {};
	for (const execution of summary.executions) {
		const snapshot = join(dir, `${execution.workflowId}-snapshot.json`);
		const data = existsSync(snapshot) ? (JSON.parse(readFileSync(snapshot, 'utf8')) as Snapshot) : undefined;
		const outputs = data ? mainOutputs(data) : {};
		const nodes = Object.fromEntries(Object.entries(outputs).map(([name, branches]) => [name, branches[0] ?? []]));
		const hints = Object.fromEntries(Object.entries(data?.data.resultData.runData ?? {}).map(([name, nodeRuns]) => [name, (nodeRuns[0]?.hints ?? []).map(({ message }) => message)]));
		runs[execution.workflowId] = { status: execution.executionStatus, error: execution.error, nodes, outputs, hints };
	}
	const missing = ids.filter((id) => !runs[id]);
	if (missing.length) throw new Error(`n8n did not run workflow(s) ${missing.join(', ')}: are they imported?`);
	return runs;
}

interface Snapshot {
	data: { resultData: { runData: Record<string, Array<{ data?: { main?: Array<OutputItem[] | null> }; hints?: Array<{ message: string }> }>> } };
}

function mainOutputs(snapshot: Snapshot): Record<string, OutputItem[][]> {
	const outputs: Record<string, OutputItem[][]> = {};
	for (const [name, runs] of Object.entries(snapshot.data.resultData.runData)) {
		outputs[name] = (runs[0]?.data?.main ?? []).map((items) => items ?? []);
	}
	return outputs;
}

interface RunOptions {
	cwd?: string;
	env?: NodeJS.ProcessEnv;
}

/** Runs a command in its own process group so a timeout can take down everything it started. */
function run(command: string, args: string[], options: RunOptions = {}): Promise<CliResult> {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
		const chunks: Buffer[] = [];
		const stdout: Buffer[] = [];
		child.stdout.on('data', (chunk: Buffer) => {
			chunks.push(chunk);
			stdout.push(chunk);
		});
		child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
		const timer = setTimeout(() => {
			chunks.push(Buffer.from(`\n[harness] killed after ${CLI_TIMEOUT_MS} ms\n`));
			killGroup(child.pid as number, 'SIGKILL');
		}, CLI_TIMEOUT_MS);
		child.once('error', (error) => {
			clearTimeout(timer);
			reject(error);
		});
		child.once('close', (code) => {
			clearTimeout(timer);
			resolve({ code, stdout: Buffer.concat(stdout).toString('utf8'), output: Buffer.concat(chunks).toString('utf8') });
		});
	});
}

async function runOrThrow(command: string, args: string[], options: RunOptions = {}): Promise<CliResult> {
	const result = await run(command, args, options);
	if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.code})\n${tail(result.output)}`);
	return result;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
	try {
		process.kill(-pid, signal);
	} catch {
		// Already gone: nothing left to stop.
	}
}

/** A fresh n8n with this package installed the way the UI installs it, and the given data imported. */
export async function prepareN8n(credentials: CredentialJson[], workflows: WorkflowJson[]): Promise<N8n> {
	const n8n = createN8n();
	try {
		await n8n.installRepo();
		await n8n.importCredentials(credentials);
		await n8n.importWorkflows(workflows);
		return n8n;
	} catch (error) {
		n8n.dispose();
		throw error;
	}
}

/** Closes the test servers, stops n8n and removes the test PKI, whatever of them was started. */
export async function tearDown(servers: Record<string, { close(): Promise<void> }>, n8n: N8n | undefined, pki: { pki: { cleanup(): void } } | undefined): Promise<void> {
	await Promise.all(Object.values(servers).map((server) => server.close()));
	n8n?.dispose();
	pki?.pki.cleanup();
}

/** Items {n: 1} … {n: count} made by n8n's own Set and Split Out nodes. */
export function numberItems(count: number): NodeJson[] {
	const numbers = JSON.stringify({ n: Array.from({ length: count }, (_, i) => i + 1) });
	return [
		{ name: 'Numbers', type: 'n8n-nodes-base.set', typeVersion: 3.4, parameters: { mode: 'raw', jsonOutput: numbers } },
		{ name: 'Split', type: 'n8n-nodes-base.splitOut', typeVersion: 1, parameters: { fieldToSplitOut: 'n' } },
	];
}

export interface Owner {
	email: string;
	password: string;
	firstName: string;
	lastName: string;
}

/** n8n 2.40 creates (or resets) the owner from these variables at start-up, so there is no sign-up screen. */
export function ownerEnv(n8n: N8n, owner: Owner): Record<string, string> {
	// n8n's own bcryptjs, so the hash is one n8n accepts.
	const fromN8n = createRequire(join(n8n.paths.modules, 'n8n', 'package.json'));
	const bcrypt = fromN8n('bcryptjs') as { hashSync(text: string, rounds: number): string };
	return {
		N8N_INSTANCE_OWNER_MANAGED_BY_ENV: 'true',
		N8N_INSTANCE_OWNER_EMAIL: owner.email,
		N8N_INSTANCE_OWNER_PASSWORD_HASH: bcrypt.hashSync(owner.password, 10),
		N8N_INSTANCE_OWNER_FIRST_NAME: owner.firstName,
		N8N_INSTANCE_OWNER_LAST_NAME: owner.lastName,
	};
}
