import type { Readable } from 'node:stream';
import type { IBinaryData, IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { RequestSpecError } from '../../lib/errors';
import type { HttpResponse, StreamedResponse } from '../../lib/http/send';
import type { ResponseSettings } from './parameters';

/** Guesses the encoding of bytes that are not UTF-8 (n8n's helpers.detectBinaryEncoding, chardet). */
export type EncodingDetector = (bytes: Buffer) => string | null | undefined;

/** Turns one HTTP response into output items, the way n8n's HTTP Request node shapes them. */
export function toItems(response: HttpResponse, settings: ResponseSettings, itemIndex: number, detect?: EncodingDetector): INodeExecutionData[] {
	const pairedItem = { item: itemIndex };
	// Files are streamed by the caller and never reach this point.
	const format = chooseFormat(settings.responseFormat, response) === 'json' ? 'json' : 'text';
	const text = decodeText(response, detect);
	if (format === 'text') {
		// As n8n (checked by the parity suite): an empty body is no value, {}, whatever the format.
		const value = text === '' ? {} : { [settings.outputPropertyName]: text };
		const json: IDataObject = settings.fullResponse
			? { ...value, headers: response.headers, statusCode: response.statusCode, statusMessage: response.statusMessage }
			: value;
		return [{ json, pairedItem }];
	}
	const body = parseJsonBody(text, settings.neverError);
	if (settings.fullResponse) {
		return [{ json: { body: body as IDataObject, headers: response.headers, statusCode: response.statusCode, statusMessage: response.statusMessage }, pairedItem }];
	}
	const values = Array.isArray(body) ? body : [body];
	return values.map((value) => ({ json: toJson(value, settings.outputPropertyName), pairedItem }));
}

/**
 * An element of a JSON body as an item's json. null is {} (n8n replaces a null json so); a scalar
 * goes under the output property, where n8n would output an item that is no object.
 */
function toJson(value: unknown, property: string): IDataObject {
	if (value === null) return {};
	return typeof value === 'object' && !Array.isArray(value) ? (value as IDataObject) : { [property]: value as IDataObject };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
/** A declared encoding in the document itself: <meta charset>, http-equiv content, or <?xml encoding?>. */
const DECLARED_IN_BODY = /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)|<\?xml[^>]+encoding\s*=\s*["']([\w.:-]+)/i;

/**
 * Decodes the body as n8n does: by the charset of its content type; without one (or with a wrong
 * utf-8), bytes that are not UTF-8 are decoded by what the body declares (BOM, <meta charset>,
 * <?xml encoding?>), else by n8n's detector (chardet) when given, else as windows-1252, the
 * encoding of most such text (and what browsers assume for latin1).
 */
export function decodeText(response: HttpResponse, detect?: EncodingDetector): string {
	const declared = /charset\s*=\s*["']?([^"';,\s]+)/i.exec(contentType(response))?.[1]?.toLowerCase();
	const body = response.body;
	if (declared && declared !== 'utf-8' && declared !== 'utf8') {
		const text = decodeAs(body, declared);
		if (text !== undefined) return text;
	}
	try {
		return UTF8.decode(body);
	} catch {
		// Not UTF-8: find out what it is.
	}
	const bom = body[0] === 0xff && body[1] === 0xfe ? 'utf-16le' : body[0] === 0xfe && body[1] === 0xff ? 'utf-16be' : undefined;
	const head = body.subarray(0, 1024).toString('latin1');
	const match = DECLARED_IN_BODY.exec(head);
	for (const candidate of [bom, match?.[1] ?? match?.[2], safeDetect(detect, body), 'windows-1252']) {
		const text = candidate && !/^utf-?8$/i.test(candidate) ? decodeAs(body, candidate) : undefined;
		if (text !== undefined) return text;
	}
	return new TextDecoder('utf-8').decode(body);
}

function decodeAs(body: Buffer, encoding: string): string | undefined {
	let decoder: InstanceType<typeof TextDecoder>;
	try {
		decoder = new TextDecoder(encoding);
	} catch {
		// A label TextDecoder does not know.
		return undefined;
	}
	// Node 20's TextDecoder decodes windows-1252 (and its aliases latin1, iso-8859-1) as ISO-8859-1,
	// losing € and the quotes at 0x80-0x9F (nodejs/node#56542).
	return decoder.encoding === 'windows-1252' ? decodeWindows1252(body) : decoder.decode(body);
}

/** 0x80-0x9F of windows-1252 (WHATWG Encoding); the five unassigned bytes stay C1 controls. */
const CP1252_HIGH = '\u20ac\x81\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\x8d\u017d\x8f' +
	'\x90\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\x9d\u017e\u0178';

function decodeWindows1252(body: Buffer): string {
	return body.toString('latin1').replace(/[\x80-\x9f]/g, (char) => CP1252_HIGH[char.charCodeAt(0) - 0x80]);
}

function safeDetect(detect: EncodingDetector | undefined, body: Buffer): string | undefined {
	try {
		return detect?.(body) ?? undefined;
	} catch {
		return undefined;
	}
}

function contentType(response: Pick<HttpResponse, 'headers'>): string {
	const value = response.headers['content-type'];
	return (Array.isArray(value) ? value[0] : value) ?? '';
}

/** Content types the HTTP Request node's autodetect treats as files. */
const BINARY_TYPES = new RegExp('^(image|audio|video|font)/|^application/(octet-stream|pdf|zip|gzip|x-gzip|x-tar|x-7z-compressed|vnd\\.rar|x-bzip2?|' +
	'epub\\+zip|msword|vnd\\.ms-|vnd\\.openxmlformats-|vnd\\.oasis\\.opendocument|java-archive|x-rar-compressed|x-cdf|vnd\\.amazon\\.ebook|vnd\\.visio)', 'i');

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
 * As in the HTTP Request node, the file joins the input item: its json (or the response's head
 * when Full Response is on) and its other binary fields stay.
 */
export async function toBinaryItem(
	helpers: Pick<IExecuteFunctions['helpers'], 'prepareBinaryData'>,
	response: StreamedResponse,
	body: Readable,
	settings: ResponseSettings,
	itemIndex: number,
	input: INodeExecutionData = { json: {} },
): Promise<INodeExecutionData> {
	let binary: IBinaryData;
	try {
		binary = await helpers.prepareBinaryData(body, fileNameOf(response), mimeTypeOf(response));
	} catch (error) {
		// A body nobody reads keeps its connection busy, and the Agent's close() waits for it.
		body.destroy();
		response.body.destroy();
		throw error;
	}
	const json: IDataObject = settings.fullResponse ? { headers: response.headers, statusCode: response.statusCode, statusMessage: response.statusMessage } : input.json;
	return { json, binary: { ...input.binary, [settings.outputPropertyName]: binary }, pairedItem: { item: itemIndex } };
}
