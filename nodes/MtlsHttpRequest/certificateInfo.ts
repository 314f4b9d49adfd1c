import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { RequestSpecError } from '../../lib/errors';
import { ChainProbeOptions, fetchServerChain } from '../../lib/http/peer';
import { sharedMaterials } from '../../lib/tls/cache';
import { describeCertificate } from '../../lib/tls/inspect';
import type { TlsMaterial } from '../../lib/tls/material';
import { loadCandidates, RotatingInput, selectMaterial } from '../../lib/tls/rotation';
import { certificatesOf, CREDENTIAL_TYPE, DEFAULT_EXPIRY_WARNING_DAYS } from './credential';
import { toErrorJson, toNodeError } from './errors';
import { transportPolicyOf } from './context';
import { itemParameters, readSettings } from './parameters';

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
	const now = new Date();
	const threshold = ctx.getNodeParameter('expiryWarningDays', itemIndex, DEFAULT_EXPIRY_WARNING_DAYS) as number;
	const serverUrl = String(ctx.getNodeParameter('serverUrl', itemIndex, '') ?? '').trim();
	const probe = serverUrl ? probeOptionsOf(ctx, itemIndex) : undefined;
	const input = (await ctx.getCredentials(CREDENTIAL_TYPE)) as unknown as RotatingInput;
	const { current, next } = loadCandidates(input, sharedMaterials, now, probe?.versions);
	let active: TlsMaterial | undefined;
	try {
		active = selectMaterial(input, sharedMaterials, now, probe?.versions).material;
	} catch {
		// Neither certificate is valid now: still report both, with expired/daysUntilExpiry saying why.
		active = undefined;
	}
	const facts = (material: TlsMaterial, source: 'certificateBundle' | 'nextCertificateBundle') =>
		certificatesOf(material, source === 'nextCertificateBundle' ? 'next ' : '', source === 'certificateBundle').map(({ role, certificate }) => ({
			source,
			role,
			inUse: material === active,
			...toJson(describeCertificate(certificate, now), threshold, certificate === material.leaf),
		}));
	const rows: IDataObject[] = [...facts(current, 'certificateBundle'), ...(next ? facts(next, 'nextCertificateBundle') : [])];
	if (probe) rows.push(...(await describeServer(active ?? current, serverUrl, threshold, now, probe)));
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
	let url: URL;
	try {
		url = new URL(urlText);
	} catch (error) {
		throw new RequestSpecError('URL_INVALID', 'The "Server URL" is not a valid URL', { field: 'serverUrl', description: 'Enter the https:// address of the partner API.', cause: error });
	}
	if (url.protocol !== 'https:') {
		throw new RequestSpecError('URL_NOT_HTTPS', 'The "Server URL" must start with https://', { field: 'serverUrl', description: `Use https://${url.host}${url.pathname}.` });
	}
	const chain = await fetchServerChain(material, url, probe);
	return chain.certificates.map((certificate, index) => ({
		source: 'server',
		role: index === 0 ? 'server certificate' : 'server chain certificate',
		server: url.host,
		checkedName: chain.checkedName,
		trusted: chain.trusted,
		trustError: chain.trustError ?? null,
		clientCertificatePresented: chain.clientCertificatePresented,
		...(index === 0 && chain.pinMatches !== undefined ? { pinMatches: chain.pinMatches } : {}),
		...toJson(describeCertificate(certificate, now), threshold, index === 0),
	}));
}

function toJson(facts: ReturnType<typeof describeCertificate>, threshold: number, isLeaf: boolean): IDataObject {
	const { publicKeyPin, ...rest } = facts;
	return { ...rest, expiresSoon: facts.daysUntilExpiry < threshold, ...(isLeaf ? { publicKeyPin: `sha256//${publicKeyPin}` } : {}) };
}
