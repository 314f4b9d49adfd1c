/**
 * The differential cases: each one is a set of node parameters given, unchanged, to n8n's HTTP
 * Request node 4.2 and to ours. `@BASE@` in any string parameter becomes the case's own prefix on
 * the echo server (`https://localhost:<port>/<side>/<case>`), so each node's requests are told
 * apart by path alone and nothing else in the request differs between the two.
 */
import { PDF_BYTES } from './echoServer';

export type Group = 'query' | 'headers' | 'body' | 'response' | 'status' | 'redirect' | 'pagination' | 'batching' | 'timeout' | 'method' | 'items' | 'url';

/** Nodes placed between the Manual Trigger and the node under test (n8n's own nodes only). */
export type Input =
	| { kind: 'none' }
	| { kind: 'items'; items: Array<Record<string, unknown>> }
	| { kind: 'file'; json: Record<string, unknown>; base64: string; fileName: string; mimeType: string };

export interface ParityCase {
	id: string;
	group: Group;
	title: string;
	parameters: Record<string, unknown>;
	input?: Input;
	/** n8n's "On Error: Continue" (continueOnFail) on both nodes. */
	continueOnFail?: boolean;
}

const ITEMS: Input = { kind: 'items', items: [{ n: 1, name: 'Ann', path: 'json' }, { n: 2, name: 'Bo', path: 'not-found' }, { n: 3, name: 'Zoë', path: 'json' }] };
const FILE_BYTES = Buffer.concat([Buffer.from('%PDF-1.4\r'), Buffer.from([0x00, 0x80, 0xc3, 0x28, 0xfe, 0xff]), Buffer.from('\n%%EOF')]);
const FILE: Input = { kind: 'file', json: { ref: 'INV-1', amount: 12.5 }, base64: FILE_BYTES.toString('base64'), fileName: 'invoice INV-1.pdf', mimeType: 'application/pdf' };
export const INPUT_FILE_BYTES = FILE_BYTES;
export { PDF_BYTES };

type Params = Record<string, unknown>;

function get(path: string, extra: Params = {}): Params {
	return { method: 'GET', url: `@BASE@${path}`, ...extra };
}

function pairs(list: Array<[string, string]>): { parameters: Array<{ name: string; value: string }> } {
	return { parameters: list.map(([name, value]) => ({ name, value })) };
}

function query(list: Array<[string, string]>, options?: Params): Params {
	return { sendQuery: true, specifyQuery: 'keypair', queryParameters: pairs(list), ...(options ? { options } : {}) };
}

function jsonQuery(value: unknown, options?: Params): Params {
	return { sendQuery: true, specifyQuery: 'json', jsonQuery: JSON.stringify(value), ...(options ? { options } : {}) };
}

function headers(list: Array<[string, string]>): Params {
	return { sendHeaders: true, specifyHeaders: 'keypair', headerParameters: pairs(list) };
}

function response(settings: Params): Params {
	return { response: { response: settings } };
}

function redirect(settings: Params): Params {
	return { redirect: { redirect: settings } };
}

function pagination(settings: Params): Params {
	return { pagination: { pagination: settings } };
}

function paramPages(parameters: Array<{ type: string; name: string; value: string }>, complete: Params): Params {
	return pagination({ paginationMode: 'updateAParameterInEachRequest', parameters: { parameters }, ...complete });
}

const PAGE_PARAM = [{ type: 'qs', name: 'page', value: '={{ $pageCount + 1 }}' }];

function c(group: Group, id: string, title: string, parameters: Params, extra: Partial<ParityCase> = {}): ParityCase {
	return { id, group, title, parameters, ...extra };
}

export const CASES: ParityCase[] = [
	// Query parameters
	c('query', 'q-keypair', 'query fields', get('/echo', query([['a', '1'], ['b', 'two words']]))),
	c('query', 'q-keypair-special', 'query values with & = + / and non-ASCII', get('/echo', query([['q', 'a&b=c+d/e'], ['name', 'Zoë 東京'], ['pct', '100%']]))),
	c('query', 'q-keypair-repeat', 'the same name twice', get('/echo', query([['tag', 'a'], ['tag', 'b']]))),
	c('query', 'q-keypair-repeat-repeat', 'the same name twice, No Brackets', get('/echo', query([['tag', 'a'], ['tag', 'b']], { queryParameterArrays: 'repeat' }))),
	c('query', 'q-keypair-repeat-indices', 'the same name twice, Brackets with Indices', get('/echo', query([['tag', 'a'], ['tag', 'b']], { queryParameterArrays: 'indices' }))),
	c('query', 'q-keypair-empty', 'an empty value', get('/echo', query([['a', ''], ['b', 'x']]))),
	c('query', 'q-json', 'JSON query', get('/echo', jsonQuery({ a: 1, b: 'x y', c: true }))),
	c('query', 'q-json-array', 'JSON array, no array format chosen', get('/echo', jsonQuery({ ids: [1, 2] }))),
	c('query', 'q-json-array-brackets', 'JSON array, Brackets Only', get('/echo', jsonQuery({ ids: [1, 2] }, { queryParameterArrays: 'brackets' }))),
	c('query', 'q-json-array-repeat', 'JSON array, No Brackets', get('/echo', jsonQuery({ ids: [1, 2] }, { queryParameterArrays: 'repeat' }))),
	c('query', 'q-json-array-indices', 'JSON array, Brackets with Indices', get('/echo', jsonQuery({ ids: [1, 2] }, { queryParameterArrays: 'indices' }))),
	c('query', 'q-json-nested', 'JSON object in the query', get('/echo', jsonQuery({ filter: { status: 'open', since: '2024-01-01' } }))),
	c('query', 'q-json-null', 'JSON null and empty string', get('/echo', jsonQuery({ a: null, b: '' }))),
	c('query', 'q-url-existing', 'a query typed in the URL', get('/echo?fields=a,b:c&x=%20y&plus=a+b')),
	c('query', 'q-url-existing-add', 'a query in the URL plus query fields', get('/echo?fields=a,b:c&x=%20y', query([['page', '2']]))),
	c('query', 'q-url-existing-json', 'a query in the URL plus a JSON query', get('/echo?sig=abc%2Fdef%3D&t=1', jsonQuery({ page: 2 }))),
	c('query', 'q-url-same-name', 'the URL and a field set the same name', get('/echo?page=1', query([['page', '2']]))),
	c('query', 'q-empty-row', 'the empty row the editor adds, beside a field', get('/echo', query([['', ''], ['a', '1']]))),
	c('query', 'q-url-fragment', 'a URL with a #fragment', get('/echo?a=1#section')),

	// Headers
	c('headers', 'h-default', 'no headers: what each node sends by itself', get('/echo')),
	c('headers', 'h-keypair', 'custom headers', get('/echo', headers([['X-Custom', 'value 1'], ['Authorization', 'Bearer abc']]))),
	c('headers', 'h-json', 'JSON headers', get('/echo', { sendHeaders: true, specifyHeaders: 'json', jsonHeaders: '{"X-One":"1","x-two":"two"}' })),
	c('headers', 'h-keep-case', 'Lowercase Headers off', get('/echo', { ...headers([['X-Mixed-Case', 'v']]), options: { lowercaseHeaders: false } })),
	c('headers', 'h-accept', 'an Accept header of the user', get('/echo', headers([['Accept', 'application/xml']]))),
	c('headers', 'h-user-agent', 'a User-Agent of the user', get('/echo', headers([['User-Agent', 'partner-client/1.0']]))),
	c('headers', 'h-empty-name', 'a header row without a name', get('/echo', headers([['', 'ignored'], ['X-Kept', '1']]))),
	c('headers', 'h-content-type', 'Content-Type of the user with a JSON body', {
		method: 'POST', url: '@BASE@/echo', ...headers([['Content-Type', 'application/vnd.partner+json']]),
		sendBody: true, contentType: 'json', specifyBody: 'json', jsonBody: '{"a":1}',
	}),
	c('headers', 'h-raw-content-type', 'a Content-Type header beside a Raw body\'s Content Type', {
		method: 'POST', url: '@BASE@/echo', ...headers([['Content-Type', 'application/soap+xml']]),
		sendBody: true, contentType: 'raw', rawContentType: 'text/xml', body: '<a/>',
	}),
	c('headers', 'h-accept-text', 'Accept chosen by Response Format "Text"', get('/echo', { options: response({ responseFormat: 'text', outputPropertyName: 'data' }) })),
	c('headers', 'h-accept-json', 'Accept chosen by Response Format "JSON"', get('/echo', { options: response({ responseFormat: 'json' }) })),

	// Bodies
	c('body', 'b-json-keypair', 'JSON body from fields', { method: 'POST', url: '@BASE@/echo', sendBody: true, contentType: 'json', specifyBody: 'keypair', bodyParameters: pairs([['name', 'Ann'], ['amount', '12.5']]) }),
	c('body', 'b-json-dotted', 'JSON fields with dotted and indexed names', { method: 'POST', url: '@BASE@/echo', sendBody: true, contentType: 'json', specifyBody: 'keypair', bodyParameters: pairs([['user.name', 'Ann'], ['list[0]', 'x']]) }),
	c('body', 'b-json-raw', 'JSON body as JSON', { method: 'POST', url: '@BASE@/echo', sendBody: true, contentType: 'json', specifyBody: 'json', jsonBody: '{"a":1,"n":{"b":[1,2]},"s":"Zoë"}' }),
	c('body', 'b-json-array', 'a JSON array body', { method: 'POST', url: '@BASE@/echo', sendBody: true, contentType: 'json', specifyBody: 'json', jsonBody: '[1,{"a":2}]' }),
	c('body', 'b-json-invalid', 'JSON body that is not JSON', { method: 'POST', url: '@BASE@/echo', sendBody: true, contentType: 'json', specifyBody: 'json', jsonBody: '{not json' }),
	c('body', 'b-json-empty-row', 'JSON fields with the editor\'s empty row', { method: 'POST', url: '@BASE@/echo', sendBody: true, contentType: 'json', specifyBody: 'keypair', bodyParameters: pairs([['', ''], ['a', '1']]) }),
	c('body', 'b-form-empty-row', 'form fields with the editor\'s empty row', { method: 'POST', url: '@BASE@/echo', sendBody: true, contentType: 'form-urlencoded', specifyBody: 'keypair', bodyParameters: pairs([['', ''], ['a', '1']]) }),
	c('body', 'b-form', 'form-urlencoded fields', { method: 'POST', url: '@BASE@/echo', sendBody: true, contentType: 'form-urlencoded', specifyBody: 'keypair', bodyParameters: pairs([['a', '1'], ['b', 'two words & more']]) }),
	c('body', 'b-form-repeat', 'form-urlencoded, the same name twice', { method: 'POST', url: '@BASE@/echo', sendBody: true, contentType: 'form-urlencoded', specifyBody: 'keypair', bodyParameters: pairs([['tag', 'a'], ['tag', 'b']]) }),
	c('body', 'b-form-string', 'form-urlencoded as a single field', { method: 'POST', url: '@BASE@/echo', sendBody: true, contentType: 'form-urlencoded', specifyBody: 'string', body: 'a=1&b=two%20words&c=x+y' }),
	c('body', 'b-multipart-text', 'Form-Data with text fields', { method: 'POST', url: '@BASE@/echo', sendBody: true, contentType: 'multipart-form-data', bodyParameters: { parameters: [{ parameterType: 'formData', name: 'reference', value: 'INV-1' }, { parameterType: 'formData', name: 'note', value: 'Zoë' }] } }),
	c('body', 'b-multipart-file', 'Form-Data with a file', { method: 'POST', url: '@BASE@/echo', sendBody: true, contentType: 'multipart-form-data', bodyParameters: { parameters: [{ parameterType: 'formData', name: 'reference', value: 'INV-1' }, { parameterType: 'formBinaryData', name: 'file', inputDataFieldName: 'data' }] } }, { input: FILE }),
	c('body', 'b-multipart-repeat', 'Form-Data, the same name twice', { method: 'POST', url: '@BASE@/echo', sendBody: true, contentType: 'multipart-form-data', bodyParameters: { parameters: [{ parameterType: 'formData', name: 'tag', value: 'a' }, { parameterType: 'formData', name: 'tag', value: 'b' }] } }),
	c('body', 'b-binary', 'n8n Binary File', { method: 'POST', url: '@BASE@/echo', sendBody: true, contentType: 'binaryData', inputDataFieldName: 'data' }, { input: FILE }),
	c('body', 'b-binary-missing', 'n8n Binary File, the field does not exist', { method: 'POST', url: '@BASE@/echo', sendBody: true, contentType: 'binaryData', inputDataFieldName: 'nope' }, { input: FILE }),
	c('body', 'b-raw-xml', 'Raw body with its content type', { method: 'POST', url: '@BASE@/echo', sendBody: true, contentType: 'raw', rawContentType: 'text/xml', body: '<a><b>1</b></a>' }),
	c('body', 'b-raw-json', 'Raw JSON text', { method: 'POST', url: '@BASE@/echo', sendBody: true, contentType: 'raw', rawContentType: 'application/json', body: '{"x":1}' }),
	c('body', 'b-put', 'PUT with a JSON body', { method: 'PUT', url: '@BASE@/echo', sendBody: true, contentType: 'json', specifyBody: 'json', jsonBody: '{"a":1}' }),
	c('body', 'b-patch', 'PATCH with a JSON body', { method: 'PATCH', url: '@BASE@/echo', sendBody: true, contentType: 'json', specifyBody: 'json', jsonBody: '{"a":1}' }),
	c('body', 'b-delete', 'DELETE with a JSON body', { method: 'DELETE', url: '@BASE@/echo', sendBody: true, contentType: 'json', specifyBody: 'json', jsonBody: '{"a":1}' }),
	c('body', 'b-get-body', 'GET with a JSON body', { method: 'GET', url: '@BASE@/echo', sendBody: true, contentType: 'json', specifyBody: 'json', jsonBody: '{"a":1}' }),
	c('body', 'b-post-empty', 'POST without a body', { method: 'POST', url: '@BASE@/echo' }),
	c('body', 'b-json-expression', 'JSON body from an expression', { method: 'POST', url: '@BASE@/echo', sendBody: true, contentType: 'json', specifyBody: 'json', jsonBody: '={{ { n: $json.n, name: $json.name } }}' }, { input: ITEMS }),

	// Response formats and content types
	c('response', 'r-json', 'autodetect: JSON object', get('/json')),
	c('response', 'r-array', 'autodetect: JSON array, one item each', get('/array')),
	c('response', 'r-scalars', 'autodetect: array of scalars', get('/scalars')),
	c('response', 'r-wrapped', 'an array under "data" (Split Out hint)', get('/wrapped')),
	c('response', 'r-problem', 'application/problem+json', get('/problem')),
	c('response', 'r-vnd', 'application/vnd.api+json', get('/vnd')),
	c('response', 'r-not-json', 'application/json that is not JSON', get('/notjson')),
	c('response', 'r-not-json-never', 'invalid JSON with Never Error', get('/notjson', { options: response({ neverError: true }) })),
	c('response', 'r-text', 'text/plain; charset=utf-8', get('/text')),
	c('response', 'r-latin1', 'text/plain in Latin-1 without a charset', get('/latin1')),
	c('response', 'r-latin1-charset', 'text/plain; charset=iso-8859-1', get('/latin1-charset')),
	c('response', 'r-html', 'text/html', get('/html')),
	c('response', 'r-xml', 'application/xml', get('/xml')),
	c('response', 'r-no-type', 'no content type', get('/notype')),
	c('response', 'r-pdf', 'autodetect: a PDF with a file name', get('/pdf')),
	c('response', 'r-octet', 'autodetect: octet-stream without a name', get('/octet')),
	c('response', 'r-image', 'autodetect: image/png', get('/image.png')),
	c('response', 'r-font', 'autodetect: font/woff2', get('/font')),
	c('response', 'r-x-gzip', 'autodetect: application/x-gzip', get('/gzip-file')),
	c('response', 'r-format-text-pretty', 'Response Format Text on indented JSON', get('/json-pretty', { options: response({ responseFormat: 'text', outputPropertyName: 'data' }) })),
	c('response', 'r-csv', 'autodetect: text/csv with Content-Disposition', get('/csv')),
	c('response', 'r-empty-json', 'empty body, application/json', get('/empty-json')),
	c('response', 'r-empty', 'empty body, no content type', get('/empty')),
	c('response', 'r-empty-text', 'empty body, text/plain', get('/empty-text')),
	c('response', 'r-204', '204 No Content', get('/no-content')),
	c('response', 'r-201', '201 Created', { method: 'POST', url: '@BASE@/created' }),
	c('response', 'r-format-json', 'Response Format JSON on JSON', get('/json', { options: response({ responseFormat: 'json' }) })),
	c('response', 'r-format-json-text', 'Response Format JSON on text', get('/text', { options: response({ responseFormat: 'json' }) })),
	c('response', 'r-format-json-204', 'Response Format JSON on 204', get('/no-content', { options: response({ responseFormat: 'json' }) })),
	c('response', 'r-format-text', 'Response Format Text on JSON', get('/json', { options: response({ responseFormat: 'text', outputPropertyName: 'body' }) })),
	c('response', 'r-format-text-empty', 'Response Format Text on an empty body', get('/empty', { options: response({ responseFormat: 'text', outputPropertyName: 'data' }) })),
	c('response', 'r-format-text-latin1', 'Response Format Text on Latin-1', get('/latin1', { options: response({ responseFormat: 'text', outputPropertyName: 'data' }) })),
	c('response', 'r-format-file', 'Response Format File on JSON', get('/json', { options: response({ responseFormat: 'file', outputPropertyName: 'report' }) })),
	c('response', 'r-file-keeps-input', 'a file response keeps the input item', get('/pdf'), { input: FILE }),
	c('response', 'r-file-other-field', 'a file response beside the input file', get('/pdf', { options: response({ responseFormat: 'file', outputPropertyName: 'download' }) }), { input: FILE }),
	c('response', 'r-full-json', 'full response, JSON', get('/json', { options: response({ fullResponse: true }) })),
	c('response', 'r-full-array', 'full response, JSON array', get('/array', { options: response({ fullResponse: true }) })),
	c('response', 'r-full-text', 'full response, text', get('/text', { options: response({ fullResponse: true }) })),
	c('response', 'r-full-file', 'full response, file', get('/pdf', { options: response({ fullResponse: true }) })),
	c('response', 'r-full-204', 'full response, 204', get('/no-content', { options: response({ fullResponse: true }) })),
	c('response', 'r-full-format-json', 'full response, Response Format JSON', get('/json', { options: response({ fullResponse: true, responseFormat: 'json' }) })),

	// Status errors
	c('status', 's-404', '404 with a JSON message', get('/not-found')),
	c('status', 's-404-never', '404 with Never Error', get('/not-found', { options: response({ neverError: true }) })),
	c('status', 's-404-cof', '404 with continue-on-fail', get('/not-found'), { continueOnFail: true }),
	c('status', 's-404-text', '404 with a text body', get('/not-found-text')),
	c('status', 's-404-text-cof', '404 with a text body, continue-on-fail', get('/not-found-text'), { continueOnFail: true }),
	c('status', 's-400-cof', '400 with a nested message, continue-on-fail', get('/bad-request'), { continueOnFail: true }),
	c('status', 's-401', '401', get('/unauthorized')),
	c('status', 's-429', '429: the batching hint', get('/rate-limited')),
	c('status', 's-429-cof', '429 with continue-on-fail', get('/rate-limited'), { continueOnFail: true }),
	c('status', 's-500', '500 with an HTML page', get('/server-error')),
	c('status', 's-500-never', '500 with Never Error', get('/server-error', { options: response({ neverError: true }) })),
	c('status', 's-503-cof', '503 without a body, continue-on-fail', get('/unavailable'), { continueOnFail: true }),
	c('status', 's-404-full-never', '404, full response and Never Error', get('/not-found', { options: response({ neverError: true, fullResponse: true }) })),
	c('status', 's-404-text-never', '404 text, Response Format Text and Never Error', get('/not-found-text', { options: response({ neverError: true, responseFormat: 'text', outputPropertyName: 'data' }) })),

	// Redirects
	c('redirect', 'rd-follow', '302 on the same origin', get('/redirect')),
	c('redirect', 'rd-relative', '301 to a relative Location', get('/redirect-relative')),
	c('redirect', 'rd-off', 'Follow Redirects off', get('/redirect', { options: redirect({ followRedirects: false }) })),
	c('redirect', 'rd-off-never', 'Follow Redirects off with Never Error', get('/redirect', { options: { ...redirect({ followRedirects: false }), ...response({ neverError: true, fullResponse: true }) } })),
	c('redirect', 'rd-chain', 'a chain of 3 redirects', get('/redirect-chain')),
	c('redirect', 'rd-chain-max', 'more redirects than Max Redirects', get('/redirect-chain?left=5', { options: redirect({ followRedirects: true, maxRedirects: 2 }) })),
	c('redirect', 'rd-303-post', 'POST answered by 303', { method: 'POST', url: '@BASE@/redirect-303', sendBody: true, contentType: 'json', specifyBody: 'json', jsonBody: '{"a":1}' }),
	c('redirect', 'rd-307-post', 'POST answered by 307', { method: 'POST', url: '@BASE@/redirect-307', sendBody: true, contentType: 'json', specifyBody: 'json', jsonBody: '{"a":1}' }),
	c('redirect', 'rd-302-post', 'POST answered by 302', { method: 'POST', url: '@BASE@/redirect', sendBody: true, contentType: 'json', specifyBody: 'json', jsonBody: '{"a":1}' }),
	c('redirect', 'rd-cross-origin', 'a redirect to another origin', get('/redirect-other')),
	c('redirect', 'rd-http', 'a redirect to http://', get('/redirect-http')),

	// Pagination
	c('pagination', 'p-param-empty', 'page parameter, complete when the response is empty', get('/pages-array', { options: paramPages(PAGE_PARAM, { paginationCompleteWhen: 'responseIsEmpty' }) })),
	c('pagination', 'p-param-status', 'page parameter, complete on status 404', get('/pages-status', { options: paramPages(PAGE_PARAM, { paginationCompleteWhen: 'receiveSpecificStatusCodes', statusCodesWhenComplete: '404' }) })),
	c('pagination', 'p-param-other', 'page parameter, complete expression', get('/pages', { options: paramPages(PAGE_PARAM, { paginationCompleteWhen: 'other', completeExpression: '={{ $response.body.hasMore === false }}' }) })),
	c('pagination', 'p-next-url', 'Next URL from the body', get('/pages-next', { options: pagination({ paginationMode: 'responseContainsNextURL', nextURL: '={{ $response.body.next }}', paginationCompleteWhen: 'other', completeExpression: '={{ !$response.body.next }}' }) })),
	c('pagination', 'p-next-relative', 'a relative Next URL', get('/pages-next-relative', { options: pagination({ paginationMode: 'responseContainsNextURL', nextURL: '={{ $response.body.next }}', paginationCompleteWhen: 'other', completeExpression: '={{ !$response.body.next }}' }) })),
	c('pagination', 'p-cursor', 'a cursor from the body', get('/pages-cursor', { options: paramPages([{ type: 'qs', name: 'cursor', value: '={{ $response.body.cursor }}' }], { paginationCompleteWhen: 'other', completeExpression: '={{ !$response.body.cursor }}' }) })),
	c('pagination', 'p-header', 'the page in a header', get('/pages-header', { options: paramPages([{ type: 'headers', name: 'x-page', value: '={{ $pageCount + 1 }}' }], { paginationCompleteWhen: 'responseIsEmpty' }) })),
	c('pagination', 'p-body', 'the page in the body', { method: 'POST', url: '@BASE@/pages-body', sendBody: true, contentType: 'json', specifyBody: 'json', jsonBody: '{"page":1}', options: paramPages([{ type: 'body', name: 'page', value: '={{ $pageCount + 1 }}' }], { paginationCompleteWhen: 'responseIsEmpty' }) }),
	c('pagination', 'p-limit', 'Limit Pages Fetched: 2', get('/pages-array', { options: paramPages(PAGE_PARAM, { paginationCompleteWhen: 'responseIsEmpty', limitPagesFetched: true, maxRequests: 2 }) })),
	c('pagination', 'p-interval', 'an interval between requests', get('/pages-array', { options: paramPages(PAGE_PARAM, { paginationCompleteWhen: 'responseIsEmpty', requestInterval: 50 }) })),
	c('pagination', 'p-full', 'pagination with full responses', get('/pages-array', { options: { ...paramPages(PAGE_PARAM, { paginationCompleteWhen: 'responseIsEmpty' }), ...response({ fullResponse: true }) } })),
	c('pagination', 'p-status-error', 'a 404 page ends pagination with "Response Is Empty"', get('/pages-status', { options: paramPages(PAGE_PARAM, { paginationCompleteWhen: 'responseIsEmpty' }) })),

	// Batching
	c('batching', 'bt-size-1', 'batches of 1', get('/echo?n={{ $json.n }}', { url: '=@BASE@/echo?n={{ $json.n }}', options: { batching: { batch: { batchSize: 1, batchInterval: 0 } } } }), { input: ITEMS }),
	c('batching', 'bt-size-2-interval', 'batches of 2 with an interval', { method: 'GET', url: '=@BASE@/echo?n={{ $json.n }}', options: { batching: { batch: { batchSize: 2, batchInterval: 100 } } } }, { input: ITEMS }),
	c('batching', 'bt-stop', 'batches of 1, the second item fails', { method: 'GET', url: '=@BASE@/{{ $json.path }}?n={{ $json.n }}', options: { batching: { batch: { batchSize: 1, batchInterval: 0 } } } }, { input: ITEMS }),
	c('batching', 'bt-stop-cof', 'batches of 1, the second item fails, continue-on-fail', { method: 'GET', url: '=@BASE@/{{ $json.path }}?n={{ $json.n }}', options: { batching: { batch: { batchSize: 1, batchInterval: 0 } } } }, { input: ITEMS, continueOnFail: true }),

	// Timeout
	c('timeout', 't-slow', 'Timeout 1000 ms on a server answering after 2.5 s', get('/slow', { options: { timeout: 1000 } })),
	c('timeout', 't-slow-cof', 'the same with continue-on-fail', get('/slow', { options: { timeout: 1000 } }), { continueOnFail: true }),
	c('timeout', 't-enough', 'Timeout 5000 ms on the same server', get('/slow', { options: { timeout: 5000 } })),

	// Methods
	c('method', 'm-head', 'HEAD', { method: 'HEAD', url: '@BASE@/json' }),
	c('method', 'm-head-full', 'HEAD with the full response', { method: 'HEAD', url: '@BASE@/json', options: response({ fullResponse: true }) }),
	c('method', 'm-options', 'OPTIONS', { method: 'OPTIONS', url: '@BASE@/echo' }),
	c('method', 'm-delete', 'DELETE without a body', { method: 'DELETE', url: '@BASE@/echo' }),
	c('method', 'm-head-body', 'HEAD with Send Body on', { method: 'HEAD', url: '@BASE@/json', sendBody: true, contentType: 'json', specifyBody: 'json', jsonBody: '{"a":1}' }),

	// Several items with expressions
	c('items', 'i-url', 'the URL from each item', { method: 'GET', url: '=@BASE@/echo?n={{ $json.n }}&name={{ $json.name }}' }, { input: ITEMS }),
	c('items', 'i-query', 'query values from each item', { method: 'GET', url: '@BASE@/echo', sendQuery: true, specifyQuery: 'keypair', queryParameters: { parameters: [{ name: 'n', value: '={{ $json.n }}' }] } }, { input: ITEMS }),
	c('items', 'i-headers', 'a header from each item', { method: 'GET', url: '@BASE@/echo', sendHeaders: true, specifyHeaders: 'keypair', headerParameters: { parameters: [{ name: 'x-name', value: '={{ $json.name }}' }] } }, { input: ITEMS }),
	c('items', 'i-body', 'body fields from each item', { method: 'POST', url: '@BASE@/echo', sendBody: true, contentType: 'json', specifyBody: 'keypair', bodyParameters: { parameters: [{ name: 'n', value: '={{ $json.n }}' }, { name: 'name', value: '={{ $json.name }}' }] } }, { input: ITEMS }),
	c('items', 'i-array', 'each item gets an array: pairedItem', get('/array'), { input: ITEMS }),
	c('items', 'i-fail', 'the second item fails', { method: 'GET', url: '=@BASE@/{{ $json.path }}' }, { input: ITEMS }),
	c('items', 'i-fail-cof', 'the second item fails, continue-on-fail', { method: 'GET', url: '=@BASE@/{{ $json.path }}' }, { input: ITEMS, continueOnFail: true }),
	c('items', 'i-file', 'each item downloads a file', get('/pdf'), { input: ITEMS }),
	c('items', 'i-text', 'each item gets text', get('/text'), { input: ITEMS }),

	// URLs
	c('url', 'u-http', 'an http:// URL', { method: 'GET', url: '@HTTPBASE@/json' }),
	c('url', 'u-invalid', 'a URL that is not one', { method: 'GET', url: 'not a url' }),
	c('url', 'u-empty-expression', 'a URL expression that yields nothing', { method: 'GET', url: '={{ $json.missing }}' }),
	c('url', 'u-unicode-path', 'a non-ASCII path', get('/echo/Zoë 東京')),
	c('url', 'u-spaces-query', 'spaces in the typed query', get('/echo?q=a b')),
	c('url', 'u-trailing-space', 'a URL with spaces around it', { method: 'GET', url: '  @BASE@/json  ' }),
	c('url', 'u-unknown-route', 'a 404 of the server itself', get('/nowhere', { options: response({ neverError: true, responseFormat: 'text', outputPropertyName: 'data' }) })),
];
