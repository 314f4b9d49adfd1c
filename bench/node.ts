/**
 * Drives the node's real execute path (MtlsHttpRequest.execute → executeRequests) outside n8n.
 *
 * n8n hands a node an IExecuteFunctions. This stand-in implements only what the node calls for
 * a plain GET: getInputData, getNodeParameter, getCredentials, continueOnFail, getNode,
 * getExecutionCancelSignal, addExecutionHints and helpers.getSecureEgressFilter. That is
 * acceptable for a benchmark: it measures our code, not n8n's engine. Parameters are resolved as
 * n8n does for plain values (no expressions): the description's defaults are filled in with
 * n8n-workflow's own NodeHelpers.getNodeParameters, and each read returns a deep copy, as n8n's
 * expression resolver does for objects. The egress filter is n8n's default one (SSRF protection
 * off: every check passes). Real n8n adds its own per-item cost (expression engine, credential
 * decryption) on top of these figures.
 */
import { lookup } from 'node:dns';

import { deepCopy, NodeHelpers } from 'n8n-workflow';
import type { ICredentialDataDecryptedObject, IExecuteFunctions, INode, INodeExecutionData, INodeParameters, NodeExecutionHint } from 'n8n-workflow';

import { MtlsHttpRequest } from '../nodes/MtlsHttpRequest/MtlsHttpRequest.node';

export interface CredentialFields {
	certificateBundle: string;
	passphrase: string;
	caCertificates: string;
}

export interface ExecutionPlan {
	url: string;
	items: number;
	/** One item at a time (batching: 1 item per batch, no interval); otherwise the node's default. */
	sequential: boolean;
	credential: CredentialFields;
}

const NODE_TYPE = new MtlsHttpRequest();

/** What n8n 2.x's getSecureEgressFilter() returns with SSRF protection off, its default. */
const PASSTHROUGH_EGRESS = {
	validateUrl: async () => ({ ok: true as const, result: undefined }),
	validateConnectionHost: () => ({ ok: true as const, result: undefined }),
	createSecureLookup: () => lookup,
	validateRedirectSync: () => undefined,
};

/**
 * Runs one execution of the node over `plan.items` input items.
 *
 * @throws Error when the node fails or returns another number of items than it was given
 */
export async function runExecution(plan: ExecutionPlan): Promise<void> {
	const ctx = createExecuteContext(plan);
	const [output] = await NODE_TYPE.execute.call(ctx);
	if (output.length !== plan.items) throw new Error(`node: ${output.length} output items for ${plan.items} input items`);
}

/** The node's parameters as n8n stores them after the user filled in URL (and batching). */
export function resolveParameters(plan: ExecutionPlan): INodeParameters {
	const set: INodeParameters = { operation: 'request', method: 'GET', url: plan.url };
	if (plan.sequential) set.options = { batching: { batch: { batchSize: 1, batchInterval: 0 } } };
	const resolved = NodeHelpers.getNodeParameters(NODE_TYPE.description.properties, set, true, false, { typeVersion: 1 }, NODE_TYPE.description);
	if (!resolved) throw new Error('node: n8n-workflow resolved no parameters');
	return resolved;
}

export function createExecuteContext(plan: ExecutionPlan): IExecuteFunctions {
	const parameters = resolveParameters(plan);
	const node: INode = {
		id: 'bench-node',
		name: 'mTLS HTTP Request',
		type: 'n8n-nodes-mtls.mtlsHttpRequest',
		typeVersion: 1,
		position: [0, 0],
		parameters,
		credentials: { mtlsCertificateApi: { id: 'bench-credential', name: 'Bench credential' } },
	};
	const items: INodeExecutionData[] = Array.from({ length: plan.items }, (_, index) => ({ json: { index } }));
	const cancel = new AbortController();
	const hints: NodeExecutionHint[] = [];
	const ctx = {
		getInputData: () => items,
		getNodeParameter: (name: string, _itemIndex: number, fallback?: unknown, options?: { rawExpressions?: boolean }) => readParameter(parameters, name, fallback, options?.rawExpressions),
		getCredentials: async () => ({ ...plan.credential }) as ICredentialDataDecryptedObject,
		continueOnFail: () => false,
		getNode: () => node,
		getExecutionCancelSignal: () => cancel.signal,
		addExecutionHints: (...added: NodeExecutionHint[]) => hints.push(...added),
		helpers: { getSecureEgressFilter: () => PASSTHROUGH_EGRESS },
	};
	return ctx as unknown as IExecuteFunctions;
}

/**
 * n8n's lookup: a dotted path into the parameters, the fallback when absent, an error when both
 * are missing, and (unless raw expressions are asked for) a copy, so the node cannot change the
 * stored parameters.
 *
 * @throws Error naming the parameter when it has no value and no fallback
 */
function readParameter(parameters: INodeParameters, name: string, fallback: unknown, raw = false): unknown {
	let value: unknown = parameters;
	for (const part of name.split('.')) value = value === null || typeof value !== 'object' ? undefined : (value as Record<string, unknown>)[part];
	if (value === undefined) value = fallback;
	if (value === undefined) throw new Error(`Could not get parameter "${name}"`);
	return !raw && value !== null && typeof value === 'object' ? deepCopy(value) : value;
}
