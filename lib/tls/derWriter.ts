/**
 * Just enough DER (X.690) to write a PKCS#10 request and a PKCS#8 EncryptedPrivateKeyInfo: the
 * writing half of `der.ts`. Every value is built bottom-up as complete TLV bytes, so a function's
 * result can be nested, hashed or signed as it is.
 */
export const WRITE_TAG = {
	BOOLEAN: 0x01,
	INTEGER: 0x02,
	BIT_STRING: 0x03,
	OCTET_STRING: 0x04,
	NULL: 0x05,
	OID: 0x06,
	UTF8_STRING: 0x0c,
	PRINTABLE_STRING: 0x13,
	IA5_STRING: 0x16,
	SEQUENCE: 0x30,
	SET: 0x31,
} as const;

/** One value: tag, definite length in the shortest form (X.690 10.1), content. */
export function encodeDer(tag: number, content: Buffer | Buffer[]): Buffer {
	const body = Array.isArray(content) ? Buffer.concat(content) : content;
	return Buffer.concat([Buffer.from([tag]), lengthOf(body.length), body]);
}

function lengthOf(length: number): Buffer {
	if (length < 0x80) return Buffer.from([length]);
	const bytes: number[] = [];
	for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
	return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export const sequence = (...items: Buffer[]): Buffer => encodeDer(WRITE_TAG.SEQUENCE, items);

/** SET OF: DER orders the elements by their encodings (X.690 11.6). */
export function setOf(...items: Buffer[]): Buffer {
	return encodeDer(WRITE_TAG.SET, [...items].sort(Buffer.compare));
}

/** [n] IMPLICIT over a constructed value: the elements of a SET OF or SEQUENCE under a context tag. */
export function contextConstructed(tagNumber: number, items: Buffer[], sorted = false): Buffer {
	return encodeDer(0xa0 | tagNumber, sorted ? [...items].sort(Buffer.compare) : items);
}

/** [n] IMPLICIT over a primitive value (GeneralName's dNSName, rfc822Name, URI, iPAddress). */
export function contextPrimitive(tagNumber: number, content: Buffer): Buffer {
	return encodeDer(0x80 | tagNumber, content);
}

export function oid(dotted: string): Buffer {
	const arcs = dotted.split('.').map(Number);
	if (arcs.length < 2 || arcs.some((arc) => !Number.isSafeInteger(arc) || arc < 0) || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39)) {
		throw new Error(`DER: not an object identifier: ${dotted}`);
	}
	const bytes = [arcs[0] * 40 + arcs[1], ...arcs.slice(2)].flatMap(base128);
	return encodeDer(WRITE_TAG.OID, Buffer.from(bytes));
}

function base128(arc: number): number[] {
	const bytes = [arc % 128];
	for (let rest = Math.floor(arc / 128); rest > 0; rest = Math.floor(rest / 128)) bytes.unshift(0x80 | (rest % 128));
	return bytes;
}

/** A non-negative INTEGER, in the fewest bytes and with a leading zero when the top bit is set. */
export function integer(value: number): Buffer {
	if (!Number.isSafeInteger(value) || value < 0) throw new Error(`DER: not a small non-negative integer: ${value}`);
	const bytes: number[] = [];
	for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
	if (bytes.length === 0 || bytes[0] & 0x80) bytes.unshift(0);
	return encodeDer(WRITE_TAG.INTEGER, Buffer.from(bytes));
}

export const octetString = (bytes: Buffer): Buffer => encodeDer(WRITE_TAG.OCTET_STRING, bytes);

/** A BIT STRING of whole bytes (signatures, keys): no unused bits. */
export const bitString = (bytes: Buffer): Buffer => encodeDer(WRITE_TAG.BIT_STRING, [Buffer.from([0]), bytes]);

export const derNull = (): Buffer => Buffer.from([WRITE_TAG.NULL, 0]);

export const derBoolean = (value: boolean): Buffer => Buffer.from([WRITE_TAG.BOOLEAN, 1, value ? 0xff : 0]);

export const utf8String = (text: string): Buffer => encodeDer(WRITE_TAG.UTF8_STRING, Buffer.from(text, 'utf8'));

/** Callers check the character set (`isPrintableString`, ASCII for IA5String). */
export const printableString = (text: string): Buffer => encodeDer(WRITE_TAG.PRINTABLE_STRING, Buffer.from(text, 'latin1'));

export const ia5String = (text: string): Buffer => encodeDer(WRITE_TAG.IA5_STRING, Buffer.from(text, 'latin1'));

/** X.680 41.4: A–Z a–z 0–9 space ' ( ) + , - . / : = ? */
export function isPrintableString(text: string): boolean {
	return /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(text);
}

/** An AlgorithmIdentifier: OID and, when given, its parameters (NULL for RSA and HMAC). */
export function algorithm(dotted: string, parameters?: Buffer): Buffer {
	return parameters ? sequence(oid(dotted), parameters) : sequence(oid(dotted));
}
