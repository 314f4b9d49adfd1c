import { MaterialError } from '../../lib/errors';
import type { FileAccessCheck } from '../../lib/tls/fileAccess';
import { FilePaths, PATH_LABELS, sharedFiles } from '../../lib/tls/files';
import type { RotatingInput } from '../../lib/tls/rotation';
import { n8nFileAccess } from './fileAccess';

/** The credential as n8n stores it: pasted material, or paths of files on the n8n server. */
export interface CredentialData extends RotatingInput, FilePaths {
	/** Missing in credentials saved before the choice existed: those are pasted. */
	source?: 'pasted' | 'files';
}

/**
 * The material text of the credential, whatever its source: with files, what the files hold now
 * (read again only when they changed), with the credential's passphrase and successor fields.
 *
 * @throws MaterialError naming the path field when a file cannot be read
 */
export async function materialInputOf(data: CredentialData, allowed: FileAccessCheck = n8nFileAccess()): Promise<RotatingInput> {
	if (data.source !== 'files') return data;
	const files = await sharedFiles.read(data, allowed);
	const caCertificates = [data.caCertificates?.trim(), files.caCertificates?.trim()].filter(Boolean).join('\n');
	return { ...data, certificateBundle: files.certificateBundle, caCertificates };
}

/**
 * The file access rules an execution of this n8n applies, for any context: n8n's own check where the
 * context offers it (executions on n8n 2.x), else the running n8n's settings (the Test button, triggers).
 */
export function fileAccessOf(ctx?: { helpers?: unknown }): FileAccessCheck {
	return n8nFileAccess(ctx?.helpers);
}

/**
 * A check of the material read from files, told about the path fields instead of the pasted ones the
 * loader names ("Certificate Bundle" does not exist in a Files credential).
 */
export function relabelForFiles(data: CredentialData, error: unknown): unknown {
	if (data.source !== 'files' || !(error instanceof MaterialError) || error.field !== 'certificateBundle') return error;
	const files = data.bundlePath?.trim() ? `file of "${PATH_LABELS.bundlePath}"` : `PEM text of "${PATH_LABELS.keyPath}" and "${PATH_LABELS.certificatePath}"`;
	const rename = (text: string) => text.replace(/\b([Tt]he )?"Certificate Bundle"( field)?/g, (_match, article?: string) => `${article ?? 'the '}${files}`);
	return new MaterialError(error.code, rename(error.message), {
		field: data.bundlePath?.trim() ? 'bundlePath' : 'keyPath',
		description: error.description && rename(error.description),
		cause: error,
	});
}
