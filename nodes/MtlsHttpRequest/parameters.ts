import type { SecureVersion } from 'node:tls';
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { RequestSpecError } from '../../lib/errors';
import { checkHeader, type HttpRequest, type MultipartBody, type UploadStream } from '../../lib/http/send';
import { ProxyConfig, resolveProxy } from '../../lib/http/proxy';
import type { TlsVersions } from '../../lib/tls/material';
import { appendQuery, serializeQuery } from '../../lib/http/query';
import { DEFAULT_EXPIRY_WARNING_DAYS } from './credential';
import { PaginationConfig, readPagination } from './pagination';

/** The only module that reads node parameters; everything after it works on typed values. */

export type ResponseFormat = 'autodetect' | 'json' | 'text' | 'file';

export interface ResponseSettings {
	fullResponse: boolean;
	neverError: boolean;
	responseFormat: ResponseFormat;
	outputPropertyName: string;
}

/** Settings of the whole execution, read from the first item as n8n's HTTP Request node does. */
export interface ExecutionSettings {
	/** Items per batch; all items form one batch when batching is off. */
	batchSize: number;
	batchInterval: number;
	response: ResponseSettings;
	/** Certificates expiring within this many days produce an execution hint. */
	expiryWarningDays: number;
	tls: TlsSettings;
	/** Cap for a JSON or text body read into memory. */
	maxBodyBytes: number;
	/** Cap for a file response streamed into binary data. */
	maxFileBytes: number;
	pagination?: PaginationConfig;
	proxy?: ProxyConfig;
	/**
	 * Milliseconds for TCP + TLS of the execution's connections: the first item's Timeout, so the
	 * connect phase honours it as in the HTTP Request node; unset, the Agent's 10 s.
	 */
	connectTimeout?: number;
}

/** TLS controls; they shape the execution's one Agent, so they are read from the first item. */
export interface TlsSettings {
	serverName?: string;
	versions: TlsVersions;
	/** base64 SHA-256 digests of allowed server public keys. */
	pins: string[];
	allowUnauthorized: boolean;
	allowH2: boolean;
}

interface KeyValue {
	name: string;
	value: unknown;
}

interface FormField extends KeyValue {
	parameterType?: 'formData' | 'formBinaryData';
	inputDataFieldName?: string;
}

/** A file of the item's binary data, for multipart and binary bodies: in memory, or a stream from n8n's store. */
export interface BinaryFile {
	data: Buffer | UploadStream;
	fileName?: string;
	mimeType?: string;
}

/** Reads a binary field of the current item (n8n's helpers in the node, plain data in tests). */
export interface BinaryReader {
	read(fieldName: string): Promise<BinaryFile>;
}

const NO_BINARY: BinaryReader = {
	read: async (fieldName) => {
		throw new RequestSpecError('BINARY_MISSING', `The item has no binary field "${fieldName}"`, { field: 'inputDataFieldName' });
	},
};

export type ArrayFormat = 'repeat' | 'brackets' | 'indices';

interface RequestOptions {
	batching?: { batch?: { batchSize?: number; batchInterval?: number } };
	lowercaseHeaders?: boolean;
	queryParameterArrays?: ArrayFormat;
	redirect?: { redirect?: { followRedirects?: boolean; maxRedirects?: number; allowCrossOriginRedirects?: boolean } };
	response?: { response?: Partial<ResponseSettings> };
	timeout?: number;
	expiryWarningDays?: number;
	maxResponseSize?: number;
	maxFileSize?: number;
	serverName?: string;
	minTlsVersion?: SecureVersion;
	maxTlsVersion?: SecureVersion;
	pinnedPublicKeys?: string;
	allowUnauthorizedCerts?: boolean;
	allowHttp2?: boolean;
	proxy?: string;
}

/** Options that shape each request, read per item. */
const REQUEST_OPTIONS: Array<keyof RequestOptions> = ['lowercaseHeaders', 'queryParameterArrays', 'redirect', 'timeout'];
/** Options of the whole execution, read from the first item. */
const SETTING_OPTIONS: Array<keyof RequestOptions> = [
	'batching', 'response', 'expiryWarningDays', 'maxResponseSize', 'maxFileSize', 'serverName', 'minTlsVersion', 'maxTlsVersion', 'pinnedPublicKeys', 'allowUnauthorizedCerts', 'allowHttp2', 'proxy',
];

/**
 * Reads the listed options one by one rather than the whole collection: the collection also holds
 * the pagination expressions, which refer to $response and can only be resolved page by page.
 */
function readOptions(param: ParamReader, keys: Array<keyof RequestOptions>): RequestOptions {
	const options: Record<string, unknown> = {};
	for (const key of keys) {
		// n8n throws for a missing parameter without a fallback, so unset options fall back to null.
		const value = param<unknown>(`options.${key}`, null);
		if (value !== null && value !== undefined) options[key] = value;
	}
	return options as RequestOptions;
}

const MB = 1024 * 1024;
export const DEFAULT_MAX_RESPONSE_MB = 64;
export const DEFAULT_MAX_FILE_MB = 4096;

const METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']);

/** Reads one parameter of one item, with a fallback for parameters hidden by display options. */
export type ParamReader = <T>(name: string, fallback?: T) => T;

/** The node's parameters of one item, as a reader; the one call of getNodeParameter. */
export function itemParameters(ctx: IExecuteFunctions, itemIndex: number): ParamReader {
	return <T>(name: string, fallback?: T) => ctx.getNodeParameter(name, itemIndex, fallback) as T;
}

/** Pagination is read unresolved: its expressions use $response and $pageCount of each page. */
export function rawPagination(ctx: IExecuteFunctions): IDataObject | null {
	return ctx.getNodeParameter('options.pagination.pagination', 0, null, { rawExpressions: true }) as IDataObject | null;
}

export function readSettings(param: ParamReader, itemCount: number, rawPagination?: IDataObject | null): ExecutionSettings {
	const options = readOptions(param, SETTING_OPTIONS);
	const batch = options.batching?.batch;
	const size = batch?.batchSize ?? -1;
	const response = options.response?.response ?? {};
	return {
		batchSize: size < 0 ? Math.max(itemCount, 1) : Math.max(size, 1),
		batchInterval: batch?.batchInterval ?? 0,
		response: {
			fullResponse: response.fullResponse ?? false,
			neverError: response.neverError ?? false,
			responseFormat: response.responseFormat ?? 'autodetect',
			outputPropertyName: response.outputPropertyName || 'data',
		},
		expiryWarningDays: options.expiryWarningDays ?? DEFAULT_EXPIRY_WARNING_DAYS,
		tls: readTlsSettings(options),
		maxBodyBytes: (options.maxResponseSize ?? DEFAULT_MAX_RESPONSE_MB) * MB,
		maxFileBytes: (options.maxFileSize ?? DEFAULT_MAX_FILE_MB) * MB,
		pagination: readPagination(rawPagination),
		proxy: readProxy(options.proxy),
		connectTimeout: param<number | null>('options.timeout', null) || undefined,
	};
}

/**
 * @throws RequestSpecError for a proxy URL that cannot be used
 */
function readProxy(explicit: string | undefined): ProxyConfig | undefined {
	let config: ProxyConfig | undefined;
	try {
		config = resolveProxy(explicit);
	} catch (error) {
		if (error instanceof RequestSpecError) throw error;
		throw new RequestSpecError('PROXY_INVALID', explicit?.trim() ? 'The "Proxy" option is not a valid URL' : 'The HTTPS_PROXY environment variable is not a valid URL', {
			field: 'options.proxy',
			description: 'Write it as http://proxy.example:3128, with user:password@ before the host if the proxy needs them.',
			cause: error,
		});
	}
	if (config && config.url.protocol !== 'http:' && config.url.protocol !== 'https:') {
		throw new RequestSpecError('PROXY_INVALID', `Proxies with ${config.url.protocol}// are not supported`, { field: 'options.proxy', description: 'Use an HTTP proxy (http:// or https://) that supports CONNECT.' });
	}
	return config;
}

const VERSION_ORDER: SecureVersion[] = ['TLSv1.2', 'TLSv1.3'];
const PIN = /^sha256\/\/([A-Za-z0-9+/]{43}=)$/;

/**
 * @throws RequestSpecError naming the option to fix
 */
function readTlsSettings(options: RequestOptions): TlsSettings {
	const min = options.minTlsVersion ?? 'TLSv1.2';
	const max = options.maxTlsVersion ?? 'TLSv1.3';
	if (!VERSION_ORDER.includes(min) || !VERSION_ORDER.includes(max) || VERSION_ORDER.indexOf(min) > VERSION_ORDER.indexOf(max)) {
		throw new RequestSpecError('TLS_VERSIONS_INVALID', `"TLS: Minimum Version" (${min}) is above "TLS: Maximum Version" (${max})`, {
			field: 'options.minTlsVersion',
			description: 'Choose TLS 1.2 to 1.2, 1.2 to 1.3, or 1.3 to 1.3.',
		});
	}
	const pins = (options.pinnedPublicKeys ?? '').split(/[;,\s]+/).filter(Boolean).map((pin) => {
		const match = PIN.exec(pin);
		if (!match) {
			throw new RequestSpecError('PIN_INVALID', `"TLS: Pinned Public Keys" contains ${JSON.stringify(pin.slice(0, 80))}, which is not a sha256//base64 pin`, {
				field: 'options.pinnedPublicKeys',
				description: 'Each pin is "sha256//" followed by 44 base64 characters, as curl --pinnedpubkey takes it; separate pins with ";". Certificate Info with a Server URL shows the server\'s current pin.',
			});
		}
		return match[1];
	});
	const serverName = options.serverName?.trim() || undefined;
	if (serverName && !/^[A-Za-z0-9.-]+$/.test(serverName)) {
		throw new RequestSpecError('SERVER_NAME_INVALID', `"TLS: Server Name (SNI)" must be a host name, not ${JSON.stringify(serverName.slice(0, 80))}`, {
			field: 'options.serverName',
			description: 'Enter only the host name the server certificate is issued for, e.g. api.partner.example (no https://, no port).',
		});
	}
	return { serverName, versions: { min, max }, pins, allowUnauthorized: options.allowUnauthorizedCerts ?? false, allowH2: options.allowHttp2 ?? false };
}

/**
 * Reads one item's request.
 *
 * @throws RequestSpecError naming the parameter to fix
 */
export async function readRequest(param: ParamReader, binary: BinaryReader = NO_BINARY): Promise<HttpRequest> {
	const options = readOptions(param, REQUEST_OPTIONS);
	const method = String(param<string>('method', 'GET')).toUpperCase();
	if (!METHODS.has(method)) {
		throw new RequestSpecError('METHOD_INVALID', `The "Method" ${JSON.stringify(method)} is not supported`, {
			field: 'method',
			description: `Use one of ${[...METHODS].join(', ')}.`,
		});
	}
	const url = parseUrl(param<string>('url', ''));
	if (param<boolean>('sendQuery', false)) {
		const pairs = readPairs(param, 'Query', 'specifyQuery', 'queryParameters', 'jsonQuery');
		// Without the option, n8n's client serialises with qs's default, indices (ids[0]=1).
		appendQuery(url, encodeQuery(pairs, options.queryParameterArrays ?? 'indices'));
	}
	const lowercase = options.lowercaseHeaders ?? true;
	const headers: Record<string, string> = {};
	if (param<boolean>('sendHeaders', false)) {
		for (const { name, value } of readPairs(param, 'Headers', 'specifyHeaders', 'headerParameters', 'jsonHeaders')) {
			// n8n's HTTP client sends no header whose value is undefined or null; "" is sent empty. Its
			// node drops a row without a name, as here.
			if (value === undefined || value === null || name === '') continue;
			const text = stringify(value);
			checkHeader(name, text);
			headers[lowercase ? name.toLowerCase() : name] = text;
		}
	}
	const body = param<boolean>('sendBody', false) ? await readBody(param, headers, lowercase, binary) : undefined;
	addDefaultHeaders(headers, param<ResponseFormat>('options.response.response.responseFormat', 'autodetect'));
	const redirect = options.redirect?.redirect ?? {};
	return {
		method,
		url,
		headers,
		body,
		timeout: options.timeout,
		redirect: {
			follow: redirect.followRedirects ?? true,
			max: redirect.maxRedirects ?? 21,
			allowCrossOrigin: redirect.allowCrossOriginRedirects ?? false,
		},
	};
}

function parseUrl(value: string): URL {
	const text = String(value ?? '').trim();
	if (!text) {
		throw new RequestSpecError('URL_MISSING', 'The "URL" parameter is empty', { field: 'url', description: 'Enter the https:// address of the partner API.' });
	}
	if (/[\r\n]/.test(text)) {
		throw new RequestSpecError('URL_INVALID', 'The "URL" parameter contains a line break', { field: 'url', description: 'Remove the line break from the URL.' });
	}
	try {
		return new URL(text);
	} catch (error) {
		throw new RequestSpecError('URL_INVALID', 'The "URL" parameter is not a valid URL', {
			field: 'url',
			description: 'Enter a full address such as https://api.partner.example/v1/accounts.',
			cause: error,
		});
	}
}

function readPairs(param: ParamReader, label: string, specifyName: string, pairsName: string, jsonName: string): KeyValue[] {
	if (param<string>(specifyName, 'keypair') === 'json') {
		const object = parseJson(param<unknown>(jsonName, ''), `${label} JSON`, jsonName);
		if (!object || typeof object !== 'object' || Array.isArray(object)) {
			throw new RequestSpecError('JSON_NOT_OBJECT', `The value in the "${label} JSON" field must be a JSON object`, {
				field: jsonName,
				description: 'Write it as {"name": "value", …}.',
			});
		}
		return Object.entries(object).map(([name, value]) => ({ name, value }));
	}
	const pairs = param<{ parameters?: KeyValue[] }>(pairsName, {}).parameters ?? [];
	return pairs.filter((pair) => pair.name !== '' || (pair.value !== '' && pair.value !== undefined));
}

async function readBody(param: ParamReader, headers: Record<string, string>, lowercase: boolean, binary: BinaryReader): Promise<HttpRequest['body']> {
	const contentType = param<string>('contentType', 'json');
	const setType = (type: string) => {
		if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers[lowercase ? 'content-type' : 'Content-Type'] = type;
	};
	if (contentType === 'json') {
		setType('application/json');
		if (param<string>('specifyBody', 'keypair') === 'json') {
			return JSON.stringify(parseJson(param<unknown>('jsonBody', ''), 'JSON', 'jsonBody') ?? {});
		}
		const pairs = param<{ parameters?: KeyValue[] }>('bodyParameters', {}).parameters ?? [];
		const object: Record<string, unknown> = {};
		for (const pair of pairs) if (pair.name) setPath(object, pair.name, pair.value);
		return JSON.stringify(object);
	}
	if (contentType === 'form-urlencoded') {
		setType('application/x-www-form-urlencoded');
		// Sent as typed: n8n re-parses and re-encodes it, which would break a signed body.
		if (param<string>('specifyBody', 'keypair') === 'string') return param<string>('body', '');
		const pairs = param<{ parameters?: KeyValue[] }>('bodyParameters', {}).parameters ?? [];
		// Repeated names become tag[0]=a&tag[1]=b, as in HTTP Request 4.3+ (4.2 kept only the last value).
		return serializeQuery(encodeQuery(pairs.filter((pair) => pair.name), 'indices'));
	}
	if (contentType === 'multipart-form-data') {
		// FormData sets its own content type with the boundary; a typed-in one would break it.
		for (const name of Object.keys(headers)) if (name.toLowerCase() === 'content-type') delete headers[name];
		const parts: MultipartBody['parts'] = [];
		for (const field of param<{ parameters?: FormField[] }>('bodyParameters', {}).parameters ?? []) {
			if (!field.name) continue;
			if (field.parameterType === 'formBinaryData') {
				const file = await binary.read(checkBinaryField(field.inputDataFieldName));
				parts.push({ name: field.name, data: file.data, fileName: file.fileName ?? 'file', mimeType: file.mimeType });
			} else {
				parts.push({ name: field.name, value: stringify(field.value) });
			}
		}
		return { parts };
	}
	if (contentType === 'binaryData') {
		const file = await binary.read(checkBinaryField(param<string>('inputDataFieldName', '')));
		setType(file.mimeType || 'application/octet-stream');
		return file.data;
	}
	if (contentType === 'raw') {
		const rawType = param<string>('rawContentType', '');
		if (rawType) {
			checkHeader('Content-Type', rawType);
			setType(rawType);
		}
		return stringify(param<unknown>('body', ''));
	}
	throw new RequestSpecError('CONTENT_TYPE_UNSUPPORTED', `The "Body Content Type" ${JSON.stringify(contentType)} is not supported`, {
		field: 'contentType',
		description: 'Choose JSON, Form URL Encoded, Form-Data, n8n Binary File or Raw.',
	});
}

/**
 * @throws RequestSpecError when the text is not JSON; the message names the field
 */
function parseJson(value: unknown, label: string, field: string): unknown {
	if (typeof value !== 'string') return value;
	if (!value.trim()) return undefined;
	try {
		return JSON.parse(value) as unknown;
	} catch (error) {
		throw new RequestSpecError('JSON_INVALID', `The value in the "${label}" field is not valid JSON`, {
			field,
			// JSON.parse's message quotes the input, which may hold data that must not reach logs.
			description: 'Check the quotes, commas and braces, or build the value with an expression such as {{ JSON.stringify($json) }}.',
			cause: error,
		});
	}
}

function stringify(value: unknown): string {
	if (value === undefined || value === null) return '';
	return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function checkBinaryField(name: string | undefined): string {
	if (!name?.trim()) {
		throw new RequestSpecError('BINARY_FIELD_MISSING', 'The "Input Data Field Name" is empty', {
			field: 'inputDataFieldName',
			description: 'Enter the name of the binary field that holds the file, e.g. "data".',
		});
	}
	return name.trim();
}

/**
 * Query pairs as n8n's HTTP Request node sends them: repeated names are collected into arrays,
 * arrays and objects are written in the chosen "Array Format in Query Parameters".
 */
export function encodeQuery(pairs: KeyValue[], format: ArrayFormat): Array<[string, string]> {
	const grouped = new Map<string, unknown>();
	for (const { name, value } of pairs) {
		const previous = grouped.get(name);
		grouped.set(name, grouped.has(name) ? [...(Array.isArray(previous) ? previous : [previous]), value] : value);
	}
	const out: Array<[string, string]> = [];
	const add = (key: string, value: unknown): void => {
		if (Array.isArray(value)) {
			value.forEach((item, index) => add(format === 'repeat' ? key : format === 'indices' ? `${key}[${index}]` : `${key}[]`, item));
		} else if (value !== null && typeof value === 'object') {
			for (const [child, item] of Object.entries(value)) add(`${key}[${child}]`, item);
		} else if (value !== undefined) {
			// As n8n's query encoding (qs): undefined is left out, null is sent as "name=".
			out.push([key, stringify(value)]);
		}
	};
	for (const [name, value] of grouped) add(name, value);
	return out;
}

/** The Accept n8n's HTTP Request node sends for each Response Format. */
export const ACCEPT_BY_FORMAT: Record<ResponseFormat, string> = {
	json: 'application/json,text/*;q=0.99',
	text: 'application/json,text/html,application/xhtml+xml,application/xml,text/*;q=0.9, */*;q=0.1',
	autodetect: 'application/json,text/html,application/xhtml+xml,application/xml,text/*;q=0.9, image/*;q=0.8, */*;q=0.7',
	file: 'application/json,text/html,application/xhtml+xml,application/xml,text/*;q=0.9, image/*;q=0.8, */*;q=0.7',
};
/** n8n's outbound User-Agent (unless its instance enforces another); servers that allow-list it see the same. */
export const USER_AGENT = 'n8n';

/** Accept and User-Agent as n8n sends them, unless the user set them (in any letter case). */
function addDefaultHeaders(headers: Record<string, string>, format: ResponseFormat): void {
	const has = (name: string) => Object.keys(headers).some((key) => key.toLowerCase() === name);
	if (!has('accept')) headers.accept = ACCEPT_BY_FORMAT[format] ?? ACCEPT_BY_FORMAT.autodetect;
	if (!has('user-agent')) headers['user-agent'] = USER_AGENT;
}

const INDEX = /^(?:0|[1-9]\d*)$/;
/** A name with a dot or a [index] is a path; a plain word is one key (as lodash's isKey decides). */
const DEEP_NAME = /\.|\[(?:[^[\]]*|(["'])(?:(?!\1)[^\\]|\\.)*?\1)\]/;
/** A quoted or plain [key], a dotted word, or the empty key before a dot or after a final dot ("a..b", ".a"). */
const PATH_SEGMENT = /\[(["'])((?:(?!\1)[^\\]|\\.)*?)\1\]|\[([^\]]*)\]|([^.[\]]+)|(?:^|(?<=\.))(?=\.|$)/g;
/** Keys that would reach the prototype; lodash leaves the object unchanged for them. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Sets `value` at a path such as `user.name` or `list[0]`, as HTTP Request V4+ builds its JSON
 * body from fields (lodash `set`): missing containers are created, an array when the next key
 * is an index.
 */
export function setPath(target: Record<string, unknown>, name: string, value: unknown): void {
	const path = DEEP_NAME.test(name) && !(name in target)
		? [...name.matchAll(PATH_SEGMENT)].map((match) => (match[2] ?? match[3] ?? match[4] ?? '').replace(/\\(.)/g, '$1'))
		: [name];
	if (path.some((key) => UNSAFE_KEYS.has(key))) return;
	let node: Record<string, unknown> = target;
	for (const [index, key] of path.entries()) {
		if (index === path.length - 1) {
			node[key] = value;
			break;
		}
		const next = node[key];
		node[key] = next !== null && typeof next === 'object' ? next : INDEX.test(path[index + 1]) ? [] : {};
		node = node[key] as Record<string, unknown>;
	}
}
