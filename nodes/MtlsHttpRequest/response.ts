import type { Readable } from 'node:stream';
import type { IBinaryData, IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { RequestSpecError } from '../../lib/errors';
import type { HttpResponse, StreamedResponse } from '../../lib/http/send';
import type { ResponseSettings } from './parameters';

/** Turns one HTTP response into output items, the way n8n's HTTP Request node shapes them. */
export function toItems(response: HttpResponse, settings: ResponseSettings, itemIndex: number): INodeExecutionData[] {
	const pairedItem = { item: itemIndex };
	// Files are streamed by the caller and never reach this point.
	const format = chooseFormat(settings.responseFormat, response) === 'json' ? 'json' : 'text';
	const text = decodeText(response);
	if (format === 'text') {
		const json: IDataObject = settings.fullResponse
			? { [settings.outputPropertyName]: text, headers: response.headers, statusCode: response.statusCode, statusMessage: response.statusMessage }
			: { [settings.outputPropertyName]: text };
		return [{ json, pairedItem }];
	}
	const body = parseJsonBody(text, settings.neverError);
	if (settings.fullResponse) {
		return [{ json: { body: body as IDataObject, headers: response.headers, statusCode: response.statusCode, statusMessage: response.statusMessage }, pairedItem }];
	}
	const values = Array.isArray(body) ? body : [body];
	return values.map((value) => ({
		json: value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as IDataObject) : { [settings.outputPropertyName]: value as IDataObject },
		pairedItem,
	}));
}

/** Decodes the body by the charset of its content type (UTF-8 when none is given). */
export function decodeText(response: HttpResponse): string {
	const charset = /charset="?([^";\s]+)/i.exec(contentType(response))?.[1] ?? 'utf-8';
	try {
		return new TextDecoder(charset).decode(response.body);
	} catch {
		// An unknown charset label: UTF-8 is what servers most often mean.
		return new TextDecoder('utf-8').decode(response.body);
	}
}

function contentType(response: Pick<HttpResponse, 'headers'>): string {
	const value = response.headers['content-type'];
	return (Array.isArray(value) ? value[0] : value) ?? '';
}

/** Content types the HTTP Request node's autodetect treats as files. */
const BINARY_TYPES = /^(image|audio|video|font)\/|^application\/(octet-stream|pdf|zip|gzip|x-gzip|x-tar|x-7z-compressed|vnd\.rar|x-bzip2?|epub\+zip|msword|vnd\.ms-|vnd\.openxmlformats-|vnd\.oasis\.opendocument|java-archive|x-rar-compressed)/i;

/** The format of a response, decided from its headers alone, so a file can be streamed. */
export function chooseFormat(setting: ResponseSettings['responseFormat'], response: Pick<HttpResponse, 'headers'>): 'json' | 'text' | 'file' {
	if (setting !== 'autodetect') return setting;
	const type = contentType(response);
	if (/[/+]json\b/i.test(type)) return 'json';
	return BINARY_TYPES.test(type.trim()) ? 'file' : 'text';
}

/** The file name from Content-Disposition, else the last segment of the URL's path. */
export function fileNameOf(response: Pick<StreamedResponse, 'headers' | 'url'>): string | undefined {
	const disposition = String(response.headers['content-disposition'] ?? '');
	const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(disposition)?.[1];
	if (extended) {
		try {
			return decodeURIComponent(extended.trim());
		} catch {
			// A malformed percent-encoding: fall back to the plain filename parameter.
		}
	}
	const plain = /filename\s*=\s*"?([^";]+)"?/.exec(disposition)?.[1];
	if (plain) return plain.trim();
	return decodePathSegment(response.url.pathname.split('/').pop() ?? '') || undefined;
}

/**
 * A URL path segment as a file name. Servers put any bytes there: UTF-8 percent-encoded (the
 * norm), ISO-8859-1 percent-encoded ("r%E9sum%E9.pdf"), or a bare "%" ("100%.pdf", which the URL
 * parser leaves as it is). Never throws: a name is a convenience, not worth failing the item for.
 */
export function decodePathSegment(segment: string): string {
	try {
		return decodeURIComponent(segment);
	} catch {
		// Each run of %XX is decoded as UTF-8 if it is valid UTF-8, else as ISO-8859-1; a "%" that
		// starts no %XX stays a "%".
		return segment.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
			const bytes = Buffer.from(run.replace(/%/g, ''), 'hex');
			try {
				return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
			} catch {
				return bytes.toString('latin1');
			}
		});
	}
}

/** The media type without parameters, for n8n's binary data. */
export function mimeTypeOf(response: Pick<HttpResponse, 'headers'>): string | undefined {
	return contentType(response).split(';')[0].trim() || undefined;
}

/** A JSON body; empty is {}. Invalid JSON is {} when lenient, else an error naming Response Format. */
export function parseJsonBody(text: string, lenient: boolean): unknown {
	if (!text.trim()) return {};
	try {
		return JSON.parse(text);
	} catch (error) {
		if (lenient) return {};
		throw new RequestSpecError('RESPONSE_NOT_JSON', 'The response body is not valid JSON', {
			field: 'options.response.response.responseFormat',
			description: 'Change "Response Format" (in Options → Response) to "Text" to receive the body as text.',
			cause: error,
		});
	}
}

/**
 * A file response as n8n binary data, streamed into n8n's binary data store (not buffered here).
 */
export async function toBinaryItem(helpers: Pick<IExecuteFunctions['helpers'], 'prepareBinaryData'>, response: StreamedResponse, body: Readable, settings: ResponseSettings, itemIndex: number): Promise<INodeExecutionData> {
	let binary: IBinaryData;
	try {
		binary = await helpers.prepareBinaryData(body, fileNameOf(response), mimeTypeOf(response));
	} catch (error) {
		// A body nobody reads keeps its connection busy, and the Agent's close() waits for it.
		body.destroy();
		response.body.destroy();
		throw error;
	}
	const json: IDataObject = settings.fullResponse ? { headers: response.headers, statusCode: response.statusCode, statusMessage: response.statusMessage } : {};
	return { json, binary: { [settings.outputPropertyName]: binary }, pairedItem: { item: itemIndex } };
}
