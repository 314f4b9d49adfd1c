import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { RequestSpecError } from '../lib/errors';
import { checkToolOperation, checkToolOrigin, fixedOriginOf, isToolUse } from '../nodes/MtlsHttpRequest/toolUse';

describe('tool use: the agent never chooses where the certificate goes', () => {
	test('n8n names a node used by an AI agent "<type>Tool"', () => {
		const node = { type: 'n8n-nodes-mtls.mtlsHttpRequestTool' };
		assert.equal(isToolUse(node as never), true);
		assert.equal(isToolUse({ type: 'n8n-nodes-mtls.mtlsHttpRequest' } as never), false);
	});

	const fixed: Array<[string, string]> = [
		['https://api.partner.example/v1/accounts', 'https://api.partner.example'],
		['=https://api.partner.example/v1/{{ $fromAI("path") }}', 'https://api.partner.example'],
		['=https://api.partner.example:8443?q={{ $fromAI("q") }}', 'https://api.partner.example:8443'],
		['=https://api.partner.example#{{ 1 }}', 'https://api.partner.example'],
		['=https://api.partner.example/static', 'https://api.partner.example'],
	];
	for (const [raw, origin] of fixed) {
		test(`origin fixed by the user: ${raw}`, () => assert.equal(fixedOriginOf(raw), origin));
	}

	const open = [
		'={{ $fromAI("url") }}',
		'=https://api.partner.example{{ $fromAI("rest") }}',
		'=https://{{ $fromAI("host") }}/v1',
		'=http://api.partner.example/{{ 1 }}',
		'',
		undefined,
	];
	for (const raw of open) {
		test(`origin left to the agent is refused: ${String(raw)}`, () => {
			assert.throws(() => fixedOriginOf(raw), (error: unknown) => error instanceof RequestSpecError && error.code === 'TOOL_URL_NOT_FIXED' && error.field === 'url');
		});
	}

	test('a request to another origin is refused, the same origin passes', () => {
		const origin = fixedOriginOf('=https://api.partner.example/{{ $fromAI("path") }}');
		assert.doesNotThrow(() => checkToolOrigin(new URL('https://api.partner.example/v2/x?y=1'), origin));
		for (const url of ['https://api.partner.example.attacker.example/', 'https://api.partner.example:444/', 'https://attacker.example/']) {
			assert.throws(() => checkToolOrigin(new URL(url), origin), (error: unknown) => error instanceof RequestSpecError && error.code === 'TOOL_URL_NOT_ALLOWED');
		}
	});

	test('an agent reads certificates and calls the API, but never creates keys', () => {
		assert.doesNotThrow(() => checkToolOperation('request'));
		assert.doesNotThrow(() => checkToolOperation('certificateInfo'));
		assert.throws(() => checkToolOperation('createCsr'), (error: unknown) => error instanceof RequestSpecError && error.code === 'TOOL_OPERATION_NOT_ALLOWED');
	});
});
