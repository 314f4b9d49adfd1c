import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';

/**
 * Bytes read from a stream (n8n's binary data store), opened anew for each attempt: a 307/308
 * redirect or a retry on a stale connection sends them again.
 */
export interface UploadStream {
	open: () => Promise<Readable> | Readable;
	/** Bytes, when known: sent as Content-Length (servers such as S3 pre-signed PUTs require it). */
	size?: number;
}

export interface FilePart {
	name: string;
	fileName: string;
	mimeType?: string;
	data: Buffer | UploadStream;
}

/** A multipart/form-data body: text fields and files, in order. */
export interface MultipartBody {
	parts: Array<{ name: string; value: string } | FilePart>;
}

export interface EncodedMultipart {
	contentType: string;
	/** Known when every file's size is. */
	length?: number;
	body: AsyncIterable<Buffer>;
}

/** As the WHATWG multipart/form-data encoding escapes names and file names (", CR and LF). */
function quote(text: string): string {
	return text.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/**
 * Encodes the body part by part (RFC 7578), streaming each file from its source instead of
 * holding it in memory; the boundary has the shape of the form-data package n8n uses.
 */
export function encodeMultipart(body: MultipartBody): EncodedMultipart {
	const boundary = `--------------------------${randomBytes(12).toString('hex')}`;
	const heads = body.parts.map((part) => Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${quote(part.name)}"` + ('data' in part
		? `; filename="${quote(part.fileName)}"\r\nContent-Type: ${part.mimeType || 'application/octet-stream'}\r\n\r\n`
		: '\r\n\r\n')));
	const tail = Buffer.from(`--${boundary}--\r\n`);
	const CRLF = Buffer.from('\r\n');
	let length: number | undefined = tail.length;
	for (const [index, part] of body.parts.entries()) {
		const size = !('data' in part) ? Buffer.byteLength(part.value) : Buffer.isBuffer(part.data) ? part.data.length : part.data.size;
		length = length === undefined || size === undefined ? undefined : length + heads[index].length + size + CRLF.length;
	}
	async function* generate(): AsyncGenerator<Buffer> {
		for (const [index, part] of body.parts.entries()) {
			yield heads[index];
			if (!('data' in part)) yield Buffer.from(part.value);
			else if (Buffer.isBuffer(part.data)) yield part.data;
			else for await (const chunk of await part.data.open()) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
			yield CRLF;
		}
		yield tail;
	}
	return { contentType: `multipart/form-data; boundary=${boundary}`, length, body: generate() };
}
