import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { RequestSpecError } from '../../lib/errors';
import { ChainProbeOptions, fetchServerChain } from '../../lib/http/peer';
import { certificateThumbprint } from '../../lib/oauth/binding';
import { sharedMaterials } from '../../lib/tls/cache';
import { describeCertificate } from '../../lib/tls/inspect';
import type { TlsMaterial } from '../../lib/tls/material';
import { loadCandidates, RotatingInput, selectMaterial } from '../../lib/tls/rotation';
import { CA_FIELD_ROLE, certificatesOf, CREDENTIAL_TYPE, DEFAULT_EXPIRY_WARNING_DAYS } from './credential';
import { CredentialData, fileAccessOf, materialInputOf, relabelForFiles } from './credentialSource';
import { toErrorJson, toNodeError } from './errors';
import { transportPolicyOf } from './context';
import { itemParameters, readSettings } from './parameters';
import { checkToolOrigin, fixedOriginOf, isToolUse } from './toolUse';

/**
 * The "Certificate Info" operation: no request, one item per certificate of the credential (and of
 * the partner's server when a URL is given), for monitoring workflows.
 */
export async function executeCertificateInfo(ctx: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const output: INodeExecutionData[] = [];
	const items = ctx.getInputData();
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			output.push(...(await describeItem(ctx, itemIndex)).map((json) => ({ json, pairedItem: { item: itemIndex } })));
		} catch (error) {
			const nodeError = toNodeError(ctx.getNode(), error, itemIndex);
			if (!ctx.continueOnFail()) throw nodeError;
			output.push({ json: toErrorJson(nodeError, error), pairedItem: { item: itemIndex } });
		}
	}
	return [output];
}

async function describeItem(ctx: IExecuteFunctions, itemIndex: number): Promise<IDataObject[]> {
	const threshold = ctx.getNodeParameter('expiryWarningDays', itemIndex, DEFAULT_EXPIRY_WARNING_DAYS) as number;
	const serverUrl = String(ctx.getNodeParameter('serverUrl', itemIndex, '') ?? '').trim();
	const probe = serverUrl ? probeOptionsOf(ctx, itemIndex) : undefined;
	// An agent may ask for the expiry dates, but not choose which server is probed.
	if (serverUrl && isToolUse(ctx.getNode())) checkToolOrigin(parseServerUrl(serverUrl), fixedOriginOf(ctx.getNode().parameters.serverUrl));
	const data = (await ctx.getCredentials(CREDENTIAL_TYPE)) as unknown as CredentialData;
	const input = await materialInputOf(data, fileAccessOf(ctx));
	try {
		return await describeCredential(input, { threshold, serverUrl, probe });
	} catch (error) {
		throw relabelForFiles(data, error);
	}
}

export interface DescribeOptions {
	/** Days before expiry from which `expiresSoon` is true. */
	threshold: number;
	/** The partner's https:// URL whose server chain is read too; empty for none. */
	serverUrl?: string;
	probe?: ChainProbeOptions;
	now?: Date;
}

/**
 * One row per certificate of the credential (and of the partner's server with a URL): what
 * Certificate Info outputs and the expiry trigger reports.
 *
 * @throws MaterialError for a credential that cannot be read; RequestSpecError for a bad Server URL
 */
export async function describeCredential(input: RotatingInput, options: DescribeOptions): Promise<IDataObject[]> {
	const { threshold, serverUrl, probe } = options;
	const now = options.now ?? new Date();
	const { current, next } = loadCandidates(input, sharedMaterials, now, probe?.versions);
	let active: TlsMaterial | undefined;
	try {
		active = selectMaterial(input, sharedMaterials, now, probe?.versions).material;
	} catch {
		// Neither certificate is valid now: still report both, with expired/daysUntilExpiry saying why.
		active = undefined;
	}
	const bundleRows = (material: TlsMaterial, source: 'certificateBundle' | 'nextCertificateBundle') =>
		certificatesOf(material, source === 'nextCertificateBundle' ? 'next ' : '', false).map(({ role, certificate }) => {
			const isLeaf = certificate === material.leaf;
			const warnings = isLeaf ? material.warnings : null;
			const x5tS256 = isLeaf ? certificateThumbprint(certificate) : null;
			return toRow(describeCertificate(certificate, now), threshold, { source, role, inUse: material === active, isLeaf, warnings, x5tS256 });
		});
	// The CA field is shared by both bundles and verifies the server whichever certificate is presented.
	const caRows = current.ca.map((certificate) => toRow(describeCertificate(certificate, now), threshold, {
		source: 'caCertificates', role: CA_FIELD_ROLE, inUse: active !== undefined, isLeaf: false,
	}));
	const rows: IDataObject[] = [
		...bundleRows(current, 'certificateBundle'),
		...(next ? bundleRows(next, 'nextCertificateBundle') : []),
		...caRows,
	];
	if (serverUrl) rows.push(...(await describeServer(active ?? current, serverUrl, threshold, now, probe ?? {})));
	return rows;
}

/**
 * The server is reached as a request would reach it: the instance's outbound rules, the proxy, the
 * Server Name and TLS versions of the options. Pins are reported, not enforced.
 *
 * @throws RequestSpecError for an option that cannot be used
 */
function probeOptionsOf(ctx: IExecuteFunctions, itemIndex: number): ChainProbeOptions {
	const settings = readSettings(itemParameters(ctx, itemIndex), 1);
	return { ...transportPolicyOf(ctx, settings), versions: settings.tls.versions };
}

async function describeServer(material: TlsMaterial, urlText: string, threshold: number, now: Date, probe: ChainProbeOptions): Promise<IDataObject[]> {
	const url = parseServerUrl(urlText);
	const chain = await fetchServerChain(material, url, probe);
	return chain.certificates.map((certificate, index) => toRow(describeCertificate(certificate, now), threshold, {
		source: 'server',
		role: index === 0 ? 'server certificate' : 'server chain certificate',
		isLeaf: index === 0,
		server: {
			host: url.host,
			checkedName: chain.checkedName,
			trusted: chain.trusted,
			trustError: chain.trustError ?? null,
			clientCertificatePresented: chain.clientCertificatePresented,
			pinMatches: index === 0 ? chain.pinMatches ?? null : null,
		},
	}));
}

/**
 * @throws RequestSpecError URL_INVALID or URL_NOT_HTTPS naming the "Server URL"
 */
function parseServerUrl(urlText: string): URL {
	let url: URL;
	try {
		url = new URL(urlText);
	} catch (error) {
		throw new RequestSpecError('URL_INVALID', 'The "Server URL" is not a valid URL', { field: 'serverUrl', description: 'Enter the https:// address of the partner API.', cause: error });
	}
	if (url.protocol !== 'https:') {
		throw new RequestSpecError('URL_NOT_HTTPS', 'The "Server URL" must start with https://', { field: 'serverUrl', description: `Use https://${url.host}${url.pathname}.` });
	}
	return url;
}

interface RowContext {
	source: 'certificateBundle' | 'nextCertificateBundle' | 'caCertificates' | 'server';
	role: string;
	isLeaf: boolean;
	/** Presented (bundle) or relied on (CA field) by connections made now; null for the server's certificates. */
	inUse?: boolean;
	server?: { host: string; checkedName: string | null; trusted: boolean; trustError: string | null; clientCertificatePresented: boolean; pinMatches: boolean | null };
	/** The bundle's warnings (weak key encryption, missing clientAuth…), on its client certificate's row. */
	warnings?: string[] | null;
	/** RFC 8705 x5t#S256 of a client certificate: what partners register for OAuth over mTLS. */
	x5tS256?: string | null;
}

/**
 * One item with the same keys in the same order whatever the certificate, `null` where a key does not
 * apply: n8n's table takes its columns from the items and shows a missing key as a red "undefined".
 */
function toRow(facts: ReturnType<typeof describeCertificate>, threshold: number, context: RowContext): IDataObject {
	return {
		source: context.source,
		role: context.role,
		inUse: context.inUse ?? null,
		subject: facts.subject,
		issuer: facts.issuer,
		notBefore: facts.notBefore,
		notAfter: facts.notAfter,
		daysUntilExpiry: facts.daysUntilExpiry,
		expired: facts.expired,
		expiresSoon: facts.daysUntilExpiry < threshold,
		keyType: facts.keyType,
		keySize: facts.keySize ?? null,
		serialNumber: facts.serialNumber,
		fingerprint256: facts.fingerprint256,
		publicKeyPin: context.isLeaf ? `sha256//${facts.publicKeyPin}` : null,
		x5tS256: context.x5tS256 ?? null,
		subjectAltNames: facts.subjectAltNames,
		extendedKeyUsage: facts.extendedKeyUsage,
		server: context.server?.host ?? null,
		checkedName: context.server?.checkedName ?? null,
		trusted: context.server?.trusted ?? null,
		trustError: context.server?.trustError ?? null,
		clientCertificatePresented: context.server?.clientCertificatePresented ?? null,
		pinMatches: context.server?.pinMatches ?? null,
		warnings: context.warnings ?? null,
	};
}
