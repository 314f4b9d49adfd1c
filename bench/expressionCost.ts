/**
 * What one pagination expression costs as pages grow (issue 10, point 1), in n8n's own expression
 * engine: n8n-workflow's Workflow from the n8n that scripts/ensure-n8n.sh installs, evaluating as
 * n8n-core's evaluateExpression does (resolveSimpleParameterValue with the item and node). The
 * node's evaluatorFor runs against it, beside the former way of writing $response into the text.
 *
 *   ~/.cache/n8n-nodes-mtls/node24/node_modules/node/bin/node --expose-gc .test-build/bench/expressionCost.js [vm|legacy]
 *
 * Node 24: n8n 2.40 and its isolated-vm build need it. A measurement for the record, not a test.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';

import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { evaluatorFor, PageResponse, PaginationKeys } from '../nodes/MtlsHttpRequest/pagination';
import { resolvePaths } from '../test/e2e/n8n';

const MB = 1024 * 1024;
const NEXT_URL = '={{ $response.body.next }}';
const COMPLETE = '={{ $response.body.next === null }}';

/** The parts of n8n-workflow 2.40 this measurement drives; loaded from n8n's own install. */
interface N8nWorkflowModule {
	Expression: { initExpressionEngine(options: Record<string, unknown>): Promise<void> };
	Workflow: new (parameters: Record<string, unknown>) => {
		expression: {
			expression: { acquireIsolate(): Promise<boolean> };
			resolveSimpleParameterValue(value: string, siblings: object, runData: unknown, runIndex: number, itemIndex: number, node: string, items: INodeExecutionData[], mode: string, keys: object): unknown;
		};
	};
	createRunExecutionData(): unknown;
}

/** The former evaluator: the values written into the text as JSON.parse("…") with braces escaped. */
function literalText(value: string, keys: PaginationKeys): string {
	return value.slice(1).replace(/\$(response|pageCount|request)\b/g, (_match, name: string) => {
		const text = JSON.stringify(JSON.stringify(keys[`$${name}` as keyof PaginationKeys] ?? null)).replace(/[{}]/g, (brace) => (brace === '{' ? '\\u007b' : '\\u007d'));
		return `(JSON.parse(${text}))`;
	});
}

function page(bytes: number, number: number): PageResponse {
	const note = 'n'.repeat(150);
	const data = Array.from({ length: Math.ceil(bytes / 200) }, (_, i) => ({ id: i, name: `customer ${number}-${i}`, note }));
	return { body: { page: number, data, next: `/page?n=${number + 1}` }, headers: { 'content-type': 'application/json' }, statusCode: 200 };
}

function msPerCall(runs: number, call: (run: number) => void): number {
	// With --expose-gc: start each measurement from a collected heap.
	(globalThis as { gc?: () => void }).gc?.();
	const start = performance.now();
	for (let run = 0; run < runs; run++) call(run);
	return Math.round(((performance.now() - start) / runs) * 100) / 100;
}

async function main(): Promise<void> {
	const engine = process.argv[2] ?? 'vm';
	const n8nWorkflow = createRequire(__filename)(join(resolvePaths().modules, 'n8n-workflow')) as N8nWorkflowModule;
	if (engine === 'vm') await n8nWorkflow.Expression.initExpressionEngine({ engine: 'vm', poolSize: 1, maxCodeCacheSize: 1024, bridgeTimeout: 5000, bridgeMemoryLimit: 128 });
	const nodeTypes = { getByNameAndVersion: () => undefined, getByName: () => undefined, getKnownTypes: () => ({}) };
	const workflow = new n8nWorkflow.Workflow({ id: 'cost', nodes: [{ id: 'n', name: 'mTLS', type: 'mtls', typeVersion: 1, parameters: {}, position: [0, 0] }], connections: {}, active: false, nodeTypes });
	await workflow.expression.expression.acquireIsolate();
	const runData = n8nWorkflow.createRunExecutionData();
	const items: INodeExecutionData[] = [{ json: { id: 1 } }];
	// What n8n-core's ExecuteContext.evaluateExpression does with these.
	const evaluateExpression = (text: string, itemIndex: number) => workflow.expression.resolveSimpleParameterValue(`=${text}`, {}, runData, 0, itemIndex, 'mTLS', items, 'manual', {});
	const evaluate = evaluatorFor({ getInputData: () => items, evaluateExpression } as unknown as IExecuteFunctions, 0);
	const rows = [];
	for (const mb of [0.01, 1, 4, 8]) {
		const response = page(mb * MB, 1);
		const keys: PaginationKeys = { $response: response, $pageCount: 1, $request: { method: 'GET', url: 'https://partner.example/page?n=1', headers: {} } };
		evaluate(NEXT_URL, keys);
		const now = msPerCall(200, (run) => evaluate(run % 2 ? COMPLETE : NEXT_URL, keys));
		// Each page was a new text (n8n caches by text): a different page number per run. Fewer runs, it is slow.
		const pageNumber = (run: number) => ({ ...keys, $response: { ...response, body: { ...(response.body as object), page: 100 + run } } });
		const before = mb > 4 ? undefined : msPerCall(3, (run) => evaluateExpression(literalText(NEXT_URL, pageNumber(run)), 0));
		rows.push({ 'page MB': mb, 'ms per evaluation (values in $json)': now, 'ms per evaluation (values in the text, before)': before ?? 'not run' });
	}
	console.log(`n8n-workflow of n8n ${resolvePaths().modules.split('/').at(-2)}, ${engine} engine`);
	console.table(rows);
	process.exit(0);
}

main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
