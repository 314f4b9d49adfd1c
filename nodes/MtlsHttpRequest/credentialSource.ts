import type { IExecuteFunctions } from 'n8n-workflow';

import { MaterialError } from '../../lib/errors';
import { envFileAccess, FileAccessCheck, FilePaths, PATH_LABELS, sharedFiles } from '../../lib/tls/files';
import type { RotatingInput } from '../../lib/tls/rotation';

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
export async function materialInputOf(data: CredentialData, allowed: FileAccessCheck = envFileAccess()): Promise<RotatingInput> {
	if (data.source !== 'files') return data;
	const files = await sharedFiles.read(data, allowed);
	const caCertificates = [data.caCertificates?.trim(), files.caCertificates?.trim()].filter(Boolean).join('\n');
	return { ...data, certificateBundle: files.certificateBundle, caCertificates };
}

/** n8n's own file access check where the context offers it (executions on n8n 2.x), else the same rules read from the environment. */
export function fileAccessOf(ctx: Pick<IExecuteFunctions, 'helpers'>): FileAccessCheck {
	const helpers = ctx.helpers as Partial<IExecuteFunctions['helpers']> | undefined;
	const blocked = helpers?.isFilePathBlocked;
	if (typeof blocked !== 'function') return envFileAccess();
	return (realPath) => !blocked.call(helpers, realPath as Parameters<typeof blocked>[0]);
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
