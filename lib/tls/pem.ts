/**
 * Finds PEM blocks in text as users paste it: CRLF, a byte-order mark, "Bag Attributes" lines,
 * text before and after, indented lines, literal "\n" sequences, a block squeezed onto one line.
 */
export interface PemBlock {
	/** The label after BEGIN, e.g. "ENCRYPTED PRIVATE KEY". */
	label: string;
	/** RFC 1421 headers of traditional encrypted keys, e.g. Proc-Type and DEK-Info. */
	headers: Record<string, string>;
	/** The decoded body. */
	der: Buffer;
	/** 1-based position of the block in the text, for messages. */
	index: number;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** An RFC 1421 header line, e.g. "DEK-Info: AES-256-CBC,…"; base64 never contains a colon. */
const HEADER = /^([A-Za-z-]+):\s*(\S*)\s*/;

/** Undoes what copying through JSON, e-mail or a terminal does to PEM text. */
export function normalizePemText(text: string): string {
	let out = text.replace(/^\uFEFF/, '');
	// A backslash never occurs in PEM, so literal "\n" sequences can only be escaped line breaks.
	out = out.replace(/\\r\\n|\\n|\\r/g, '\n');
	return out.replace(/\r\n?/g, '\n');
}

/**
 * Returns every PEM block in the text, in order. A block whose body is not base64 is returned
 * with an empty `der`, so the caller can say which block is broken.
 */
export function findPemBlocks(text: string): PemBlock[] {
	const blocks: PemBlock[] = [];
	const normalized = normalizePemText(text);
	let index = 0;
	for (const match of normalized.matchAll(BLOCK)) {
		index++;
		const headers: Record<string, string> = {};
		const bodyLines: string[] = [];
		for (const rawLine of match[2].split('\n')) {
			let line = rawLine.trim();
			// Squeezed onto one line, a traditional encrypted key carries "Proc-Type: 4,ENCRYPTED
			// DEK-Info: AES-256-CBC,…" and its body on that line; OpenSSL's header values have no spaces.
			for (let header = HEADER.exec(line); header; header = HEADER.exec(line)) {
				headers[header[1]] = header[2];
				line = line.slice(header[0].length);
			}
			if (line) bodyLines.push(line.replace(/\s+/g, ''));
		}
		const body = bodyLines.join('');
		blocks.push({
			label: match[1].trim(),
			headers,
			der: body && BASE64.test(body) && body.length % 4 === 0 ? Buffer.from(body, 'base64') : Buffer.alloc(0),
			index,
		});
	}
	return blocks;
}

/** Re-encodes a block as canonical PEM (64-column lines, LF). */
export function toPem(block: Pick<PemBlock, 'label' | 'headers' | 'der'>): string {
	const lines = block.der.toString('base64').match(/.{1,64}/g) ?? [];
	const headerLines = Object.entries(block.headers).map(([name, value]) => `${name}: ${value}`);
	const head = headerLines.length ? `${headerLines.join('\n')}\n\n` : '';
	return `-----BEGIN ${block.label}-----\n${head}${lines.join('\n')}\n-----END ${block.label}-----\n`;
}
