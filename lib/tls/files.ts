import { open, realpath, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';

import { MaterialCode, MaterialError } from '../errors';
import { envFileAccess, FileAccessCheck } from './fileAccess';
import { MAX_INPUT_CHARS, MaterialInput } from './material';

/** Where the credential's certificate files are (the "Files on the n8n server" source). */
export interface FilePaths {
	/** Key and certificate(s) in one PEM file, or a .p12/.pfx file. */
	bundlePath?: string;
	keyPath?: string;
	certificatePath?: string;
	/** Optional CA certificate(s) of the partner's server. */
	caPath?: string;
}

export type PathField = keyof FilePaths;

interface Identity {
	realPath: string;
	dev: number;
	ino: number;
	size: number;
	mtimeMs: number;
	ctimeMs: number;
}

interface ReadFile {
	identity: Identity;
	content: Buffer;
}

/** How often a read is repeated when a file changed while the set was being read. */
const MAX_ATTEMPTS = 5;

/**
 * Reads the credential's files as the text the pasted source would hold, so parsing, checks and the
 * material cache (keyed by a fingerprint of that text) work unchanged: changed content is new
 * material, connections already open keep the old one. The files are read on every execution (a
 * few kilobytes, bounded) and their text is not kept, so no key file stays in JavaScript memory;
 * an unchanged file gives the same fingerprint and the parsed material comes from the cache.
 *
 * Each file is identified by its resolved path (Kubernetes swaps the `..data` symlink of a mounted
 * secret atomically, so the path stays and the target changes), device, inode, size, mtime and ctime.
 * A set that changed while it was being read is read again, so a key is never paired with the
 * certificate of another generation.
 */
export class FileSource {
	/**
	 * @throws MaterialError naming the path field: missing, not allowed, not a file, too large
	 */
	async read(paths: FilePaths, allowed: FileAccessCheck = envFileAccess()): Promise<MaterialInput> {
		const fields = pathFieldsOf(paths);
		for (let attempt = 1; ; attempt++) {
			const read: Partial<Record<PathField, ReadFile>> = {};
			try {
				for (const field of fields) {
					const path = (paths[field] ?? '').trim();
					read[field] = await readBounded(field, path, await identify(field, path, allowed));
				}
			} catch (error) {
				// The folder a symlink led to was removed after the swap (kubelet deletes the old generation): resolve again.
				if (error instanceof MaterialError && error.code === 'FILE_NOT_FOUND' && attempt < MAX_ATTEMPTS) continue;
				throw error;
			}
			// Each file was read through its own descriptor; the set is consistent if nothing moved since.
			const moved = await anyMoved(fields, paths, read);
			if (!moved || attempt >= MAX_ATTEMPTS) {
				const input = toInput(read);
				for (const file of Object.values(read)) file.content.fill(0);
				return input;
			}
		}
	}
}

/** The process-wide file reader the nodes use. */
export const sharedFiles = new FileSource();

/**
 * Which fields to read: a bundle, or a key with its certificate; a CA file with either.
 *
 * @throws MaterialError when the combination cannot make a client certificate
 */
export function pathFieldsOf(paths: FilePaths): PathField[] {
	const given = (field: PathField) => Boolean(paths[field]?.trim());
	const ca: PathField[] = given('caPath') ? ['caPath'] : [];
	if (given('bundlePath')) {
		if (given('keyPath') || given('certificatePath')) {
			throw new MaterialError('FILE_PATHS_AMBIGUOUS', 'Both a bundle file and separate key or certificate files are set', {
				field: 'bundlePath',
				description: 'Fill in either "Bundle File" or "Key File" with "Certificate File", and clear the others.',
			});
		}
		return ['bundlePath', ...ca];
	}
	if (given('keyPath') && given('certificatePath')) return ['keyPath', 'certificatePath', ...ca];
	const missing: PathField = given('keyPath') ? 'certificatePath' : given('certificatePath') ? 'keyPath' : 'bundlePath';
	throw new MaterialError('FILE_PATH_MISSING', `No path in "${PATH_LABELS[missing]}"`, {
		field: missing,
		description: 'Give the path of a PEM file holding key and certificate in "Bundle File", or of the key and the certificate in "Key File" and "Certificate File".',
	});
}

/** The labels of the credential fields, for messages (the node layer shows the same words). */
export const PATH_LABELS: Record<PathField, string> = {
	bundlePath: 'Bundle File',
	keyPath: 'Key File',
	certificatePath: 'Certificate File',
	caPath: 'CA File',
};

async function identify(field: PathField, path: string, allowed: FileAccessCheck): Promise<Identity> {
	if (!isAbsolute(path)) {
		throw fileError('FILE_PATH_NOT_ABSOLUTE', field, path, 'is not an absolute path', 'Give the full path from the root, e.g. /home/node/.n8n-files/certs/tls.key.');
	}
	let realPath: string;
	try {
		realPath = await realpath(path);
	} catch (error) {
		// Whether a path outside the allowed folders exists, or is readable, is not for a credential to find out.
		checkAllowed(field, path, resolve(path), allowed);
		throw fsError(field, path, error);
	}
	// Checked on the resolved path: a symlink must not lead out of the allowed folders.
	checkAllowed(field, path, realPath, allowed);
	try {
		const facts = await stat(realPath);
		if (!facts.isFile()) throw fileError('FILE_NOT_REGULAR', field, path, 'is not a file', 'Give the path of the certificate file itself, not of its folder.');
		return { realPath, dev: facts.dev, ino: facts.ino, size: facts.size, mtimeMs: facts.mtimeMs, ctimeMs: facts.ctimeMs };
	} catch (error) {
		if (error instanceof MaterialError) throw error;
		throw fsError(field, path, error);
	}
}

function checkAllowed(field: PathField, path: string, resolved: string, allowed: FileAccessCheck): void {
	const refusal = allowed(resolved);
	if (refusal) throw fileError('FILE_NOT_ALLOWED', field, path, refusal.problem, refusal.fix);
}

async function readBounded(field: PathField, path: string, identity: Identity): Promise<ReadFile> {
	checkFileSize(field, path, identity.size);
	let handle;
	try {
		handle = await open(identity.realPath, 'r');
	} catch (error) {
		throw fsError(field, path, error);
	}
	try {
		const facts = await handle.stat();
		checkFileSize(field, path, facts.size);
		// Read at most one byte more than allowed, so a file growing under us is noticed, not swallowed.
		const buffer = Buffer.alloc(Math.min(facts.size, MAX_INPUT_CHARS) + 1);
		let length = 0;
		while (length < buffer.length) {
			const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
			if (bytesRead === 0) break;
			length += bytesRead;
		}
		checkFileSize(field, path, length);
		const content = buffer.subarray(0, length);
		return { identity: { ...identity, dev: facts.dev, ino: facts.ino, size: length, mtimeMs: facts.mtimeMs, ctimeMs: facts.ctimeMs }, content };
	} catch (error) {
		if (error instanceof MaterialError) throw error;
		throw fsError(field, path, error);
	} finally {
		await handle.close();
	}
}

async function anyMoved(fields: PathField[], paths: FilePaths, read: Partial<Record<PathField, ReadFile>>): Promise<boolean> {
	for (const field of fields) {
		try {
			const realPath = await realpath((paths[field] ?? '').trim());
			const facts = await stat(realPath);
			const now = { realPath, dev: facts.dev, ino: facts.ino, size: facts.size, mtimeMs: facts.mtimeMs, ctimeMs: facts.ctimeMs };
			if (!sameIdentity(read[field]!.identity, now)) return true;
		} catch {
			// Gone between the read and this check (a swap in progress): read the set again.
			return true;
		}
	}
	return false;
}

function toInput(read: Partial<Record<PathField, ReadFile>>): MaterialInput {
	const text = (field: PathField) => (read[field] ? asText(read[field].content) : '');
	const bundle = read.bundlePath ? text('bundlePath') : `${text('keyPath').trimEnd()}\n${text('certificatePath')}`;
	return { certificateBundle: bundle, caCertificates: text('caPath') };
}

/** PEM stays text; a DER .p12/.pfx becomes the base64 the pasted field accepts. */
function asText(content: Buffer): string {
	const text = content.toString('latin1');
	return /-----BEGIN /.test(text) || /^[\sA-Za-z0-9+/=]*$/.test(text) ? content.toString('utf8') : content.toString('base64');
}

function sameIdentity(a: Identity, b: Identity): boolean {
	return a.realPath === b.realPath && a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

function checkFileSize(field: PathField, path: string, size: number): void {
	if (size > MAX_INPUT_CHARS) {
		throw fileError('FILE_TOO_LARGE', field, path, `is larger than ${MAX_INPUT_CHARS / 1024} KiB`, 'Certificate files are a few kilobytes. Check that the path names the key or certificate file.');
	}
}

const FS_CODES: Record<string, [code: MaterialCode, problem: string, fix: string]> = {
	ENOENT: ['FILE_NOT_FOUND', 'does not exist', 'Check the path and that the volume holding the certificates is mounted into the n8n container.'],
	ENOTDIR: ['FILE_NOT_FOUND', 'does not exist', 'Check the path: one of its folders is a file.'],
	EACCES: ['FILE_NOT_READABLE', 'cannot be read by the n8n process', 'Give the user n8n runs as read permission on the file (and search permission on its folders).'],
	EPERM: ['FILE_NOT_READABLE', 'cannot be read by the n8n process', 'Give the user n8n runs as read permission on the file (and search permission on its folders).'],
	ELOOP: ['FILE_NOT_FOUND', 'is a loop of symbolic links', 'Point the path at the certificate file.'],
	EISDIR: ['FILE_NOT_REGULAR', 'is not a file', 'Give the path of the certificate file itself, not of its folder.'],
};

function fsError(field: PathField, path: string, error: unknown): MaterialError {
	const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
	const [ourCode, problem, fix]: [MaterialCode, string, string] = FS_CODES[code] ?? ['FILE_NOT_READABLE', `cannot be read (${code || 'unknown error'})`, 'Check the file and its permissions.'];
	return fileError(ourCode, field, path, problem, fix, error);
}

function fileError(code: MaterialCode, field: PathField, path: string, problem: string, fix: string, cause?: unknown): MaterialError {
	return new MaterialError(code, `The file "${path}" in "${PATH_LABELS[field]}" ${problem}`, { field, description: fix, cause });
}

