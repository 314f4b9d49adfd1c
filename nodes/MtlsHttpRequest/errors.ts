import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import type { IDataObject, INode, JsonObject } from 'n8n-workflow';

import { MtlsError } from '../../lib/errors';
import { certificatePageError, certificatePageOf } from '../../lib/http/failures';
import type { HttpResponse } from '../../lib/http/send';
import { decodeText } from './response';

type NodeError = NodeApiError | NodeOperationError;

const BODY_PREVIEW_CHARS = 1000;

/** A response with status >= 400, which fails the item unless "Never Error" is on. */
export class HttpStatusError extends Error {
	/** What the response means when it is more than a status: nginx's client certificate pages. */
	readonly meaning?: MtlsError;

	constructor(readonly response: HttpResponse) {
		super(`Request failed with status code ${response.statusCode}${response.statusMessage ? ` (${response.statusMessage})` : ''}`);
		this.name = 'HttpStatusError';
		const page = certificatePageOf(response.statusCode, response.body.subarray(0, 4096).toString('latin1'));
		if (page) this.meaning = certificatePageError(page, response.url);
	}
}

/** The one place errors become n8n errors, each once, with the item it belongs to. */
export function toNodeError(node: INode, error: unknown, itemIndex?: number): NodeError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	if (error instanceof HttpStatusError) {
		const { response } = error;
		const body = decodeText(response).slice(0, BODY_PREVIEW_CHARS);
		const { meaning } = error;
		return new NodeApiError(node, { message: error.message, body } as JsonObject, {
			message: meaning?.message ?? error.message,
			description: meaning ? describe(meaning) : body || undefined,
			httpCode: String(response.statusCode),
			itemIndex,
		});
	}
	if (error instanceof MtlsError) return new NodeOperationError(node, error.message, { description: describe(error), itemIndex });
	const message = error instanceof Error ? error.message : String(error);
	return new NodeOperationError(node, `Unexpected error: ${message}`, { itemIndex });
}

function describe(error: MtlsError): string {
	return [error.description, `Error code: ${error.code}`].filter(Boolean).join(' ');
}

/** The stable code of what failed an item, if it has one. */
export function codeOf(cause: unknown): string | undefined {
	if (cause instanceof MtlsError) return cause.code;
	return cause instanceof HttpStatusError ? cause.meaning?.code : undefined;
}

/** What an item carries when "continue on fail" is on. */
export function toErrorJson(error: NodeError, cause: unknown): IDataObject {
	return {
		error: {
			message: error.message,
			description: error.description ?? undefined,
			code: codeOf(cause),
			httpCode: error instanceof NodeApiError ? error.httpCode ?? undefined : undefined,
		},
	};
}
