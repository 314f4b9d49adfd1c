/**
 * Distinguished names for certificate requests: built from fields the way `openssl req -subj` writes
 * them, copied byte for byte from a certificate, and shown as RFC 2253 strings.
 */
import type { X509Certificate } from 'node:crypto';

import { RequestSpecError } from '../errors';
import { DerNode, oidOf, parseDer } from './der';
import { encodeDer, ia5String, isPrintableString, oid, printableString, sequence, setOf, utf8String } from './derWriter';

export interface SubjectFields {
	commonName?: string;
	organization?: string;
	organizationalUnit?: string;
	country?: string;
	state?: string;
	locality?: string;
	email?: string;
}

type Encoding = 'utf8' | 'printable' | 'ia5';

interface FieldRule {
	oid: string;
	/** RFC 5280 Appendix A upper bounds, in characters. */
	maxLength: number;
	encoding: Encoding;
}

/**
 * In the order `openssl req` asks for them, so the request reads as partners are used to. String
 * types follow OpenSSL's default `string_mask = utf8only`: UTF8String, except countryName
 * (PrintableString, RFC 5280 4.1.2.4) and emailAddress (IA5String, PKCS#9).
 */
const FIELD_RULES: Array<[keyof SubjectFields, FieldRule]> = [
	['country', { oid: '2.5.4.6', maxLength: 2, encoding: 'printable' }],
	['state', { oid: '2.5.4.8', maxLength: 128, encoding: 'utf8' }],
	['locality', { oid: '2.5.4.7', maxLength: 128, encoding: 'utf8' }],
	['organization', { oid: '2.5.4.10', maxLength: 64, encoding: 'utf8' }],
	['organizationalUnit', { oid: '2.5.4.11', maxLength: 64, encoding: 'utf8' }],
	['commonName', { oid: '2.5.4.3', maxLength: 64, encoding: 'utf8' }],
	['email', { oid: '1.2.840.113549.1.9.1', maxLength: 255, encoding: 'ia5' }],
];

/** OpenSSL's short names, so `subject` reads as `openssl x509 -subject -nameopt RFC2253` prints it. */
const SHORT_NAMES: Record<string, string> = {
	'2.5.4.3': 'CN',
	'2.5.4.4': 'SN',
	'2.5.4.5': 'serialNumber',
	'2.5.4.6': 'C',
	'2.5.4.7': 'L',
	'2.5.4.8': 'ST',
	'2.5.4.9': 'street',
	'2.5.4.10': 'O',
	'2.5.4.11': 'OU',
	'2.5.4.12': 'title',
	'2.5.4.13': 'description',
	'2.5.4.15': 'businessCategory',
	'2.5.4.17': 'postalCode',
	'2.5.4.42': 'GN',
	'2.5.4.43': 'initials',
	'2.5.4.44': 'generationQualifier',
	'2.5.4.46': 'dnQualifier',
	'2.5.4.65': 'pseudonym',
	'2.5.4.97': 'organizationIdentifier',
	'1.2.840.113549.1.9.1': 'emailAddress',
	'0.9.2342.19200300.100.1.1': 'UID',
	'0.9.2342.19200300.100.1.25': 'DC',
	'1.3.6.1.4.1.311.60.2.1.1': 'jurisdictionL',
	'1.3.6.1.4.1.311.60.2.1.2': 'jurisdictionST',
	'1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionC',
};

/**
 * The Name of a request given field by field; empty fields are left out.
 *
 * @throws RequestSpecError SUBJECT_FIELD_INVALID naming the field, SUBJECT_EMPTY when no field is set
 */
export function buildName(fields: SubjectFields): Buffer {
	const rdns: Buffer[] = [];
	for (const [key, rule] of FIELD_RULES) {
		const value = normalize(key, fields[key]);
		if (value !== undefined) rdns.push(setOf(sequence(oid(rule.oid), encodeValue(value, rule.encoding))));
	}
	if (rdns.length === 0) {
		throw new RequestSpecError('SUBJECT_EMPTY', 'The subject of the request has no field', {
			field: 'subjectFields',
			description: 'Add at least a Common Name (usually the name the partner registered for this client), or copy the subject from the current certificate.',
		});
	}
	return sequence(...rdns);
}

function normalize(key: keyof SubjectFields, raw: unknown): string | undefined {
	const value = typeof raw === 'string' ? raw.trim() : raw === undefined || raw === null ? '' : String(raw).trim();
	if (!value) return undefined;
	const rule = FIELD_RULES.find(([name]) => name === key)?.[1] as FieldRule;
	const invalid = (why: string, fix: string) => new RequestSpecError('SUBJECT_FIELD_INVALID', `The subject field "${key}" ${why}`, { field: key, description: fix });
	if (/[\u0000-\u001f\u007f]/.test(value)) throw invalid('contains a control character (a line break or tab)', 'Type the value on one line.');
	if (key === 'country') {
		const code = value.toUpperCase();
		if (!/^[A-Z]{2}$/.test(code)) throw invalid(`is "${value}", not a two-letter country code`, 'Use the ISO 3166 code, e.g. DE, FR, GB or US.');
		return code;
	}
	if ([...value].length > rule.maxLength) throw invalid(`is longer than ${rule.maxLength} characters`, 'Shorten it: RFC 5280 sets this limit and CAs refuse longer values.');
	if (rule.encoding === 'ia5' && !/^[\u0000-\u007f]+$/.test(value)) throw invalid('has characters outside ASCII', 'An e-mail address in the subject must be ASCII.');
	if (key === 'email' && !/^[^@\s]+@[^@\s]+$/.test(value)) throw invalid(`is "${value}", not an e-mail address`, 'Use the form name@example.com.');
	return value;
}

function encodeValue(value: string, encoding: Encoding): Buffer {
	if (encoding === 'printable' && isPrintableString(value)) return printableString(value);
	return encoding === 'ia5' ? ia5String(value) : utf8String(value);
}

/**
 * The subject Name of a certificate exactly as it is encoded there (attribute order, string types,
 * multi-valued RDNs), so a renewal asks for the same identity byte for byte.
 *
 * @throws Error when the certificate's DER cannot be read (X509Certificate has parsed it already)
 */
export function subjectNameOf(certificate: X509Certificate): Buffer {
	const fields = tbsFields(certificate);
	// The version field [0] is absent in v1 certificates.
	return reencode(fields[fields[0].tag === 0xa0 ? 5 : 4]);
}

/**
 * The subjectAltName extension's value (GeneralNames) as encoded in the certificate, if it has one.
 */
export function subjectAltNamesOf(certificate: X509Certificate): Buffer | undefined {
	const fields = tbsFields(certificate);
	const extensions = fields.find((field) => field.tag === 0xa3)?.children[0]?.children ?? [];
	const extension = extensions.find((candidate) => oidOf(candidate.children[0]) === SUBJECT_ALT_NAME_OID);
	const value = extension?.children[extension.children.length - 1];
	return value ? Buffer.from(value.value) : undefined;
}

export const SUBJECT_ALT_NAME_OID = '2.5.29.17';

/** TBSCertificate's fields: [0] version, serial, signature, issuer, validity, subject, spki, … */
function tbsFields(certificate: X509Certificate): DerNode[] {
	return parseDer(certificate.raw).children[0].children;
}

/** A parsed value written back as DER (the same bytes for DER input). */
function reencode(node: DerNode): Buffer {
	return node.tag & 0x20 ? encodeDer(node.tag, node.children.map(reencode)) : encodeDer(node.tag, node.value);
}

/**
 * RFC 2253 string of a DER Name: last attribute first (inside a multi-valued RDN too, as OpenSSL
 * prints it), `+` inside an RDN, OpenSSL's short names, and
 * `#` + hex DER for attributes without one (RFC 2253 2.4). Non-ASCII characters stay as they are,
 * as `-nameopt RFC2253,-esc_msb` shows them.
 */
export function formatRfc2253(name: Buffer): string {
	return parseDer(name)
		.children.map((rdn) => rdn.children.map(formatAttribute).reverse().join('+'))
		.reverse()
		.join(',');
}

function formatAttribute(attribute: DerNode): string {
	const [type, value] = attribute.children;
	const dotted = oidOf(type);
	const shortName = SHORT_NAMES[dotted];
	const text = shortName ? decodeString(value) : undefined;
	return text === undefined ? `${dotted}=#${reencode(value).toString('hex')}` : `${shortName}=${escapeRfc2253(text)}`;
}

function decodeString(node: DerNode): string | undefined {
	switch (node.tag) {
		case 0x0c:
			return node.value.toString('utf8');
		case 0x12: // NumericString
		case 0x13: // PrintableString
		case 0x16: // IA5String
		case 0x1a: // VisibleString
		case 0x14: // TeletexString: OpenSSL, too, reads it as Latin-1
			return node.value.toString('latin1');
		case 0x1e: // BMPString
			return node.value.length % 2 === 0 ? Buffer.from(node.value).swap16().toString('utf16le') : undefined;
		default:
			return undefined;
	}
}

/** RFC 2253 2.4, and control characters as \XX as OpenSSL's ESC_CTRL does. */
function escapeRfc2253(text: string): string {
	return text
		.replace(/[,+"\\<>;]/g, (char) => `\\${char}`)
		.replace(/[\u0000-\u001f\u007f]/g, (char) => `\\${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)
		.replace(/^[# ]/, (char) => `\\${char}`)
		.replace(/ $/, '\\ ');
}
