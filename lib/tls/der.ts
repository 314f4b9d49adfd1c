/**
 * Just enough DER (X.690) to read algorithm identifiers without a library: tag, length, value,
 * and the children of constructed values. Bounds are checked; anything malformed throws.
 */
export interface DerNode {
	tag: number;
	/** The value's bytes (for constructed values, the encoded children). */
	value: Buffer;
	/** Children of a constructed value (SEQUENCE, SET, context-specific constructed). */
	children: DerNode[];
}

export const DER_TAG = { INTEGER: 0x02, OCTET_STRING: 0x04, OID: 0x06, SEQUENCE: 0x30 } as const;

const MAX_DEPTH = 16;

/** Parses one DER value (and, for constructed values, their children up to a small depth). */
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
	if (length & 0x80) {
		const bytes = length & 0x7f;
		if (bytes === 0 || bytes > 4 || start + bytes > buffer.length) throw new Error('DER: bad length');
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
