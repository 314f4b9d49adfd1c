import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { RequestSpecError } from '../../lib/errors';
import type { HttpResponse } from '../../lib/http/send';
import type { ResponseSettings } from './parameters';

/** Turns one HTTP response into output items, the way n8n's HTTP Request node shapes them. */
export function toItems(response: HttpResponse, settings: ResponseSettings, itemIndex: number): INodeExecutionData[] {
	const pairedItem = { item: itemIndex };
	const format = settings.responseFormat === 'autodetect' ? detectFormat(response) : settings.responseFormat;
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

function contentType(response: HttpResponse): string {
	const value = response.headers['content-type'];
	return (Array.isArray(value) ? value[0] : value) ?? '';
}

function detectFormat(response: HttpResponse): 'json' | 'text' {
	return /[/+]json\b/i.test(contentType(response)) ? 'json' : 'text';
}

function parseJsonBody(text: string, lenient: boolean): unknown {
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
