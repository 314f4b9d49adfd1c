/**
 * Query strings as n8n's client writes them, added to a URL without touching what the user typed:
 * a pre-signed or HMAC-signed URL must reach the server byte for byte.
 */

/**
 * A query component encoded as n8n's client does (qs, RFC 3986): everything but A-Z a-z 0-9 - . _ ~
 * is percent-encoded, brackets in names included, a space as %20.
 */
export function encodeComponent(text: string): string {
	return encodeURIComponent(text).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function serializeQuery(pairs: Array<[string, string]>): string {
	return pairs.map(([name, value]) => `${encodeComponent(name)}=${encodeComponent(value)}`).join('&');
}

/**
 * Appends to the query typed in the URL without re-encoding it: a pre-signed or HMAC-signed URL
 * stays byte for byte what the signer produced (axios, under n8n's node, appends the same way).
 */
export function appendQuery(url: URL, pairs: Array<[string, string]>): void {
	if (pairs.length === 0) return;
	const added = serializeQuery(pairs);
	url.search = url.search.length > 1 ? `${url.search}&${added}` : `?${added}`;
}

/**
 * Sets one query parameter, as pagination does page by page: the pairs of that name go, every other
 * byte of the typed query stays as it was (appendQuery's rule), and the new pair is appended.
 */
export function setQueryParameter(url: URL, name: string, value: string): void {
	const kept = url.search.slice(1).split('&').filter((pair) => pair !== '' && queryNameOf(pair) !== name);
	url.search = [...kept, serializeQuery([[name, value]])].join('&');
}

function queryNameOf(pair: string): string {
	const raw = pair.split('=', 1)[0].replace(/\+/g, ' ');
	try {
		return decodeURIComponent(raw);
	} catch {
		// A malformed escape is left as typed; it cannot equal a decoded name with a "%" anyway.
		return raw;
	}
}
