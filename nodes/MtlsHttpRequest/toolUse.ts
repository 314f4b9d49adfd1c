import type { INode } from 'n8n-workflow';

import { RequestSpecError } from '../../lib/errors';

/**
 * n8n offers every `usableAsTool` node to AI agents as "<name>Tool". An agent fills the
 * parameters the user wrote as `{{ $fromAI(…) }}`, and a model can be steered by whatever text it
 * reads (prompt injection). The client certificate is the partner's trust in this organisation, so
 * in tool use the URL's scheme, host and port must be typed by the user: the agent may choose the
 * path and query, never where the certificate goes.
 */
export function isToolUse(node: INode): boolean {
	return node.type.endsWith('Tool');
}

/**
 * The origin the user typed in the raw "URL" parameter (before expressions are resolved): the whole
 * literal URL, or the literal text before the first `{{` when it already ends its authority with
 * "/", "?" or "#". `https://api.partner.example{{ … }}` has no fixed origin: the expression could
 * add ".attacker.example".
 *
 * @throws RequestSpecError TOOL_URL_NOT_FIXED when the origin is not fixed by the user
 */
export function fixedOriginOf(rawUrl: unknown): string {
	const text = typeof rawUrl === 'string' ? rawUrl : '';
	const isExpression = text.startsWith('=');
	const body = isExpression ? text.slice(1) : text;
	const braces = isExpression ? body.indexOf('{{') : -1;
	const literal = braces < 0 ? body.trim() : body.slice(0, braces).trimStart();
	const authorityEnds = braces < 0 || /^https:\/\/[^/?#\s]+[/?#]/i.test(literal);
	let origin: string | undefined;
	if (authorityEnds) {
		try {
			const url = new URL(literal);
			if (url.protocol === 'https:') origin = url.origin;
		} catch {
			// Reported below with the fix.
		}
	}
	if (!origin) {
		throw new RequestSpecError('TOOL_URL_NOT_FIXED', 'As an AI agent tool, this node needs the URL\'s https:// address typed in the "URL" parameter', {
			field: 'url',
			description:
				'An agent must not choose where the client certificate is sent. Type the partner\'s address and let the agent fill only the rest, e.g. https://api.partner.example/v1/{{ $fromAI("path") }}.',
		});
	}
	return origin;
}

/** Why a redirect or Next URL to another origin is refused in tool use, whatever the Redirects option says. */
export const TOOL_CROSS_ORIGIN = 'As an AI agent tool, this node presents the client certificate only to the address typed in the "URL" parameter, ' +
	'so "Allow Cross-Origin" does not apply. If you trust the other address, call it from a tool or node of its own.';

/**
 * @throws RequestSpecError TOOL_URL_NOT_ALLOWED when a request of tool use leaves the fixed origin
 */
export function checkToolOrigin(url: URL, origin: string): void {
	if (url.origin === origin) return;
	throw new RequestSpecError('TOOL_URL_NOT_ALLOWED', `As an AI agent tool, this node only calls ${origin}; the agent asked for ${url.origin}`, {
		field: 'url',
		description: 'The client certificate is only presented to the address typed in the "URL" parameter. Change that address if the partner moved.',
	});
}

/**
 * Creating a key pair is an administrator's act (and costs seconds of CPU): no agent does it.
 *
 * @throws RequestSpecError TOOL_OPERATION_NOT_ALLOWED
 */
export function checkToolOperation(operation: string): void {
	if (operation !== 'createCsr') return;
	throw new RequestSpecError('TOOL_OPERATION_NOT_ALLOWED', 'As an AI agent tool, this node does not create keys', {
		field: 'operation',
		description: 'Run "Create Key and CSR" in a workflow of its own, started by a person or a schedule.',
	});
}
