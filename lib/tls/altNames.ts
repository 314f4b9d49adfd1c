/**
 * Subject alternative names for a certificate request (RFC 5280 4.2.1.6): checked one by one and
 * written as GeneralNames.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { domainToASCII } from 'node:url';

import { RequestSpecError } from '../errors';
import { contextPrimitive, sequence } from './derWriter';

export const ALT_NAME_TYPES = ['dns', 'email', 'uri', 'ip'] as const;
export type AltNameType = (typeof ALT_NAME_TYPES)[number];

export interface AltName {
	type: AltNameType;
	value: string;
}

export interface EncodedAltNames {
	/** GeneralNames, the value of the subjectAltName extension. */
	der: Buffer;
	/** As Node's X509Certificate.subjectAltName and Certificate Info show them ("DNS:api.example"). */
	display: string[];
}

interface AltNameRule {
	/** GeneralName's context tag. */
	tag: number;
	label: string;
	/** The bytes to write, or a reason the value is not one. */
	encode: (value: string) => { bytes: Buffer; shown: string } | string;
}

const RULES: Record<AltNameType, AltNameRule> = {
	dns: { tag: 2, label: 'DNS', encode: encodeDnsName },
	email: { tag: 1, label: 'email', encode: encodeEmail },
	uri: { tag: 6, label: 'URI', encode: encodeUri },
	ip: { tag: 7, label: 'IP Address', encode: encodeIp },
};

/**
 * @throws RequestSpecError SUBJECT_ALT_NAME_INVALID naming the entry and what it should look like
 */
export function encodeAltNames(names: AltName[]): EncodedAltNames {
	const encoded = names.map((name, index) => {
		const rule = RULES[name.type];
		const value = String(name.value ?? '').trim();
		const result = rule ? (value ? rule.encode(value) : 'is empty') : `has the unknown type "${String(name.type)}"`;
		if (typeof result === 'string') {
			throw new RequestSpecError('SUBJECT_ALT_NAME_INVALID', `Subject alternative name ${index + 1} (${rule?.label ?? name.type} "${value}") ${result}`, {
				field: 'subjectAltNames',
				description: 'Use a host name (api.example.com or *.example.com), an e-mail address, an absolute URI (spiffe://example.org/client) or an IPv4/IPv6 address, or remove the entry.',
			});
		}
		return { der: contextPrimitive(rule.tag, result.bytes), shown: `${rule.label}:${result.shown}` };
	});
	return { der: sequence(...encoded.map(({ der }) => der)), display: encoded.map(({ shown }) => shown) };
}

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/** IDNs become their A-label (punycode) form: dNSName is an IA5String. */
function toAsciiHost(host: string): string | undefined {
	const ascii = domainToASCII(host);
	if (!ascii || ascii.length > 253 || !ascii.split('.').every((label) => LABEL.test(label))) return undefined;
	return ascii;
}

function encodeDnsName(value: string): { bytes: Buffer; shown: string } | string {
	const wildcard = value.startsWith('*.');
	const host = toAsciiHost(wildcard ? value.slice(2) : value.replace(/\.$/, ''));
	if (!host) return 'is not a host name';
	const name = wildcard ? `*.${host}` : host;
	return { bytes: Buffer.from(name, 'ascii'), shown: name };
}

function encodeEmail(value: string): { bytes: Buffer; shown: string } | string {
	const at = value.lastIndexOf('@');
	const local = value.slice(0, at);
	const domain = at > 0 ? toAsciiHost(value.slice(at + 1)) : undefined;
	// rfc822Name is an IA5String; internationalized local parts need SmtpUTF8Mailbox (RFC 9598), which few CAs issue.
	if (!domain || !/^[\x21-\x7e]+$/.test(local) || local.includes('@')) return 'is not an ASCII e-mail address';
	const address = `${local}@${domain}`;
	return { bytes: Buffer.from(address, 'ascii'), shown: address };
}

function encodeUri(value: string): { bytes: Buffer; shown: string } | string {
	if (!/^[\x21-\x7e]+$/.test(value)) return 'has spaces or characters outside ASCII (percent-encode them)';
	try {
		new URL(value);
	} catch {
		return 'is not an absolute URI with a scheme';
	}
	return { bytes: Buffer.from(value, 'ascii'), shown: value };
}

function encodeIp(value: string): { bytes: Buffer; shown: string } | string {
	if (isIPv4(value)) return { bytes: Buffer.from(value.split('.').map(Number)), shown: value };
	if (!isIPv6(value) || value.includes('%')) return 'is not an IPv4 or IPv6 address (without a zone such as %eth0)';
	// The WHATWG URL parser writes IPv6 in its compressed hexadecimal form, embedded IPv4 included.
	const canonical = new URL(`http://[${value}]`).hostname.slice(1, -1);
	const [head, tail] = canonical.split('::');
	const headParts = head ? head.split(':') : [];
	const tailParts = tail ? tail.split(':') : [];
	const parts = tail === undefined ? headParts : [...headParts, ...Array<string>(8 - headParts.length - tailParts.length).fill('0'), ...tailParts];
	const bytes = Buffer.alloc(16);
	parts.forEach((part, index) => bytes.writeUInt16BE(parseInt(part, 16), index * 2));
	return { bytes, shown: canonical };
}
