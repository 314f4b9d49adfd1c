import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import type { IDataObject, INode, JsonObject } from 'n8n-workflow';

import { MtlsError } from '../../lib/errors';
import type { HttpResponse } from '../../lib/http/send';
import { decodeText } from './response';

type NodeError = NodeApiError | NodeOperationError;

const BODY_PREVIEW_CHARS = 1000;

/** A response with status >= 400, which fails the item unless "Never Error" is on. */
export class HttpStatusError extends Error {
	constructor(readonly response: HttpResponse) {
		super(`Request failed with status code ${response.statusCode}${response.statusMessage ? ` (${response.statusMessage})` : ''}`);
		this.name = 'HttpStatusError';
	}
}

/** The one place errors become n8n errors, each once, with the item it belongs to. */
export function toNodeError(node: INode, error: unknown, itemIndex?: number): NodeError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	if (error instanceof HttpStatusError) {
		const { response } = error;
		const body = decodeText(response).slice(0, BODY_PREVIEW_CHARS);
		return new NodeApiError(node, { message: error.message, body } as JsonObject, {
			message: error.message,
			description: body || undefined,
			httpCode: String(response.statusCode),
			itemIndex,
		});
	}
	if (error instanceof MtlsError) {
		return new NodeOperationError(node, error.message, {
			description: [error.description, `Error code: ${error.code}`].filter(Boolean).join(' '),
			itemIndex,
		});
	}
	const message = error instanceof Error ? error.message : String(error);
	return new NodeOperationError(node, `Unexpected error: ${message}`, { itemIndex });
}

/** What an item carries when "continue on fail" is on. */
export function toErrorJson(error: NodeError, cause: unknown): IDataObject {
	return {
		error: {
			message: error.message,
			description: error.description ?? undefined,
			code: cause instanceof MtlsError ? cause.code : undefined,
			httpCode: error instanceof NodeApiError ? error.httpCode ?? undefined : undefined,
		},
	};
}
