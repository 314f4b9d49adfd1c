import { randomBytes } from 'node:crypto';
import { finished, Readable } from 'node:stream';

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
	/** Opens each file only when the body reaches it; destroying the body destroys the open file. */
	body: Readable;
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
	const CRLF = Buffer.from('\r\n');
	const pieces: Array<Buffer | UploadStream> = [];
	let length: number | undefined = 0;
	for (const part of body.parts) {
		const file = 'data' in part;
		const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${quote(part.name)}"` + (file
			? `; filename="${quote(part.fileName)}"\r\nContent-Type: ${part.mimeType || 'application/octet-stream'}\r\n\r\n`
			: '\r\n\r\n'));
		const content = file ? part.data : Buffer.from(part.value);
		const size = Buffer.isBuffer(content) ? content.length : content.size;
		length = length === undefined || size === undefined ? undefined : length + head.length + size + CRLF.length;
		pieces.push(head, content, CRLF);
	}
	const tail = Buffer.from(`--${boundary}--\r\n`);
	pieces.push(tail);
	return {
		contentType: `multipart/form-data; boundary=${boundary}`,
		length: length === undefined ? undefined : length + tail.length,
		body: new MultipartStream(pieces),
	};
}

/**
 * The body as a stream that reads a file only as fast as its consumer (the socket) takes it.
 * A file is read by its 'data' events, paused when the body's buffer is full: a Readable's async
 * iterator would hand over everything buffered, merged into a new Buffer, each time the reader was
 * slower than the source, which a socket under backpressure is. That copied every byte once and
 * left V8 to collect the copies late: a 1 GB Form-Data upload grew RSS by 43 MB on Node 20 and
 * 84 MB on Node 24, against 27 and 16 MB for undici sending the same bytes (README, "bench:upload").
 */
class MultipartStream extends Readable {
	private next = 0;
	private source?: Readable;
	private opening = false;

	constructor(private readonly pieces: Array<Buffer | UploadStream>) {
		super();
	}

	override _read(): void {
		if (this.source) this.source.resume();
		else if (!this.opening) this.pump();
	}

	override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
		// A file still being opened is destroyed as it arrives (see follow).
		this.source?.destroy();
		callback(error);
	}

	/** Pushes the pieces in memory up to the next file, or to the end, while the consumer wants more. */
	private pump(): void {
		while (this.next < this.pieces.length) {
			const piece = this.pieces[this.next++];
			if (!Buffer.isBuffer(piece)) return this.follow(piece);
			if (piece.length > 0 && !this.push(piece)) return;
		}
		this.push(null);
	}

	private follow(upload: UploadStream): void {
		this.opening = true;
		Promise.resolve().then(() => upload.open()).then((source) => {
			this.opening = false;
			if (this.destroyed) return void source.destroy();
			this.source = source;
			source.on('data', (chunk: Buffer | string) => {
				if (!this.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) source.pause();
			});
			// finished also reports a source closed before its end (ERR_STREAM_PREMATURE_CLOSE).
			finished(source, (error) => {
				if (this.source !== source) return;
				this.source = undefined;
				if (error) this.destroy(error);
				else this.pump();
			});
		}, (error: Error) => {
			this.opening = false;
			this.destroy(error);
		});
	}
}
