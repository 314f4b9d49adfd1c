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

/** A BEGIN or END line; matched at every position, so that markers sharing their dashes are all seen. */
const MARKER = /-----(BEGIN|END) ([A-Z0-9 ]+)-----/g;
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
	for (const match of pairMarkers(normalized)) {
		index++;
		const headers: Record<string, string> = {};
		const bodyLines: string[] = [];
		for (const rawLine of match.body.split('\n')) {
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
			label: match.label.trim(),
			headers,
			der: body && BASE64.test(body) && body.length % 4 === 0 ? Buffer.from(body, 'base64') : Buffer.alloc(0),
			index,
		});
	}
	return blocks;
}

/**
 * Pairs each BEGIN line with the first END line of the same label after it, in one pass over the
 * text. A backreferencing regex (BEGIN (label) … END \1) gives the same blocks, but rescans the rest
 * of the text for every BEGIN without an END: 18 s of blocked event loop for a pasted megabyte.
 */
function pairMarkers(text: string): Array<{ label: string; body: string }> {
	const begins: Array<{ label: string; bodyStart: number; start: number }> = [];
	const ends = new Map<string, { starts: number[]; next: number }>();
	MARKER.lastIndex = 0;
	for (let marker = MARKER.exec(text); marker; marker = MARKER.exec(text)) {
		const [whole, kind, label] = marker;
		if (kind === 'BEGIN') begins.push({ label, start: marker.index, bodyStart: marker.index + whole.length });
		else if (ends.has(label)) ends.get(label)?.starts.push(marker.index);
		else ends.set(label, { starts: [marker.index], next: 0 });
		MARKER.lastIndex = marker.index + 1;
	}
	const blocks: Array<{ label: string; body: string }> = [];
	let cursor = 0;
	for (const begin of begins) {
		if (begin.start < cursor) continue;
		const candidates = ends.get(begin.label);
		if (!candidates) continue;
		// BEGINs come in text order, so each label's END pointer only moves forward.
		while (candidates.next < candidates.starts.length && candidates.starts[candidates.next] < begin.bodyStart) candidates.next++;
		const endStart = candidates.starts[candidates.next];
		if (endStart === undefined) continue;
		blocks.push({ label: begin.label, body: text.slice(begin.bodyStart, endStart) });
		cursor = endStart + `-----END ${begin.label}-----`.length;
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
