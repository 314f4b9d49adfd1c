/**
 * Just enough ASN.1 (X.690) to read PKCS#8 and PKCS#12 structures without a library: tag, length,
 * value, and the children of constructed values. DER, plus the two BER forms PKCS#12 writers use
 * (Java, Windows and NSS write indefinite lengths and constructed OCTET STRINGs). Bounds and depth
 * are checked; anything malformed throws.
 */
export interface DerNode {
	tag: number;
	/** The value's bytes (for constructed values, the encoded children; empty for indefinite lengths). */
	value: Buffer;
	/** Children of a constructed value (SEQUENCE, SET, context-specific constructed). */
	children: DerNode[];
}

export const DER_TAG = { INTEGER: 0x02, OCTET_STRING: 0x04, NULL: 0x05, OID: 0x06, SEQUENCE: 0x30, SET: 0x31, CONSTRUCTED_OCTET_STRING: 0x24 } as const;

/** Deep enough for a PKCS#12 file with a nested SafeContents bag; a recursion bomb is refused early. */
const MAX_DEPTH = 24;

/** Parses one value (and, for constructed values, their children up to a small depth). */
export function parseDer(buffer: Buffer, depth = 0): DerNode {
	const { node, end } = readNode(buffer, 0, depth);
	if (end !== buffer.length) throw new Error('DER: trailing bytes');
	return node;
}

function readNode(buffer: Buffer, offset: number, depth: number): { node: DerNode; end: number } {
	if (depth > MAX_DEPTH) throw new Error('DER: nested too deeply');
	if (offset + 2 > buffer.length) throw new Error('DER: truncated header');
	const tag = buffer[offset];
	if ((tag & 0x1f) === 0x1f) throw new Error('DER: multi-byte tags are not used here');
	let length = buffer[offset + 1];
	let start = offset + 2;
	if (length === 0x80) return readIndefinite(buffer, tag, start, depth);
	if (length & 0x80) {
		const bytes = length & 0x7f;
		if (bytes > 4 || start + bytes > buffer.length) throw new Error('DER: bad length');
		length = buffer.subarray(start, start + bytes).reduce((total, byte) => total * 256 + byte, 0);
		start += bytes;
	}
	const end = start + length;
	if (end > buffer.length) throw new Error('DER: truncated value');
	const value = buffer.subarray(start, end);
	const children: DerNode[] = [];
	if (tag & 0x20) {
		for (let position = 0; position < value.length; ) {
			const child = readNode(value, position, depth + 1);
			children.push(child.node);
			position = child.end;
		}
	}
	return { node: { tag, value, children }, end };
}

/** BER indefinite length: children until an end-of-contents marker (00 00). */
function readIndefinite(buffer: Buffer, tag: number, start: number, depth: number): { node: DerNode; end: number } {
	if (!(tag & 0x20)) throw new Error('DER: indefinite length on a primitive value');
	const children: DerNode[] = [];
	for (let position = start; ; ) {
		if (position + 2 > buffer.length) throw new Error('DER: unterminated indefinite length');
		if (buffer[position] === 0 && buffer[position + 1] === 0) return { node: { tag, value: Buffer.alloc(0), children }, end: position + 2 };
		const child = readNode(buffer, position, depth + 1);
		children.push(child.node);
		position = child.end;
	}
}

/** The bytes of an OCTET STRING, primitive or (BER) constructed from pieces. */
export function octetsOf(node: DerNode | undefined): Buffer {
	if (node?.tag === DER_TAG.OCTET_STRING) return node.value;
	if (node?.tag === DER_TAG.CONSTRUCTED_OCTET_STRING) return Buffer.concat(node.children.map((child) => octetsOf(child)));
	throw new Error('DER: OCTET STRING expected');
}

/** The content of an explicit context tag [n] (its only child). */
export function explicit(node: DerNode | undefined, number: number): DerNode {
	if (!node || node.tag !== (0xa0 | number) || node.children.length !== 1) throw new Error(`DER: [${number}] expected`);
	return node.children[0];
}

/** Dotted form of an OBJECT IDENTIFIER node, '' for anything else. */
export function oidOf(node: DerNode | undefined): string {
	if (!node || node.tag !== DER_TAG.OID || node.value.length === 0) return '';
	const parts = [Math.floor(node.value[0] / 40), node.value[0] % 40];
	let current = 0;
	for (const byte of node.value.subarray(1)) {
		current = current * 128 + (byte & 0x7f);
		if (!(byte & 0x80)) {
			parts.push(current);
			current = 0;
		}
	}
	return parts.join('.');
}

/** A small non-negative INTEGER (iteration counts); very large ones saturate. */
export function integerOf(node: DerNode | undefined): number | undefined {
	if (!node || node.tag !== DER_TAG.INTEGER) return undefined;
	if (node.value.length > 6) return Number.MAX_SAFE_INTEGER;
	return node.value.reduce((total, byte) => total * 256 + byte, 0);
}

/** Re-encodes a node in DER form (definite lengths, OCTET STRINGs in one piece), e.g. a BER key bag for OpenSSL. */
export function encodeDer(node: DerNode): Buffer {
	if (node.tag === DER_TAG.CONSTRUCTED_OCTET_STRING) return withHeader(DER_TAG.OCTET_STRING, octetsOf(node));
	return withHeader(node.tag, node.tag & 0x20 ? Buffer.concat(node.children.map((child) => encodeDer(child))) : node.value);
}

function withHeader(tag: number, value: Buffer): Buffer {
	if (value.length < 0x80) return Buffer.concat([Buffer.from([tag, value.length]), value]);
	const bytes: number[] = [];
	for (let rest = value.length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
	return Buffer.concat([Buffer.from([tag, 0x80 | bytes.length, ...bytes]), value]);
}
