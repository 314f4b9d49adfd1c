/**
 * Every way our node is allowed to differ from n8n's HTTP Request node 4.2, each with its reason.
 * The differential suite (parity.e2e.test.ts) fails on a difference no entry explains, and on an
 * entry that explains nothing, so the list cannot go stale. `readme` names the rows of the README's
 * parameter table (by their first parameter) whose column "differs from HTTP Request" lists the
 * entry; readme.test.ts checks the README against this list.
 *
 * Paths are those of compare.ts's observation: `status`, `error` (n8n's one-line summary of a
 * failed execution), `items[i].json…`, `items[i].binary.<field>…`, `items[i].pairedItem`,
 * `hints`, `requests[i].method|target|headers.<name>|body|parts`.
 */
export interface Intended {
	id: string;
	/** `intended`: a deliberate choice. `defect`: known and still to be fixed. */
	kind: 'intended' | 'defect';
	/** One line for the README column. */
	summary: string;
	/** Why, for whoever reads the diff next. */
	reason: string;
	/** Case ids it applies to. */
	cases: RegExp;
	/** Paths of the observation it explains. */
	paths: RegExp;
	readme: string[];
	/**
	 * A property of every request (connection handling), not of a case: a case whose only
	 * differences are of this kind counts as the same behaviour in the summary.
	 */
	connection?: true;
}

const ALL = /./;

export const INTENDED: Intended[] = [
	{
		id: 'keep-alive',
		kind: 'intended',
		summary: 'connections are kept open within an execution (HTTP Request sends `Connection: close`)',
		reason: 'HTTP Request 4.2 opens a new TLS connection, with a full handshake and the client certificate, for every request. '
			+ 'Ours reuses the connections of one execution (one handshake per origin and connection, closed at the end); '
			+ 'the server therefore sees `Connection: keep-alive` and answers with `keep-alive` headers, visible under Include Response Headers.',
		cases: ALL,
		paths: /^requests\[\d+\]\.headers\.connection$|^items\[\d+\]\.json\.headers\.(connection|keep-alive)$/,
		readme: ['batchSize'],
		connection: true,
	},
	{
		id: 'accept-encoding',
		kind: 'intended',
		summary: '`Accept-Encoding: gzip, deflate, br` (HTTP Request also lists `compress`)',
		reason: 'n8n\'s HTTP client (axios) advertises `compress` (LZW), which no Node.js client can decode; ours offers only the encodings it decodes.',
		cases: ALL,
		paths: /^requests\[\d+\]\.headers\.accept-encoding$/,
		readme: ['sendHeaders'],
		connection: true,
	},
	{
		id: 'https-only',
		kind: 'intended',
		summary: 'an `http://` URL or a redirect to `http://` is refused with `URL_NOT_HTTPS` / `REDIRECT_NOT_HTTPS`',
		reason: 'The client certificate is only ever used over TLS; over plain http the request would leave without it (HTTP Request sends the plain '
			+ 'request to the TLS port and fails with "connection closed unexpectedly"). Ours refuses before connecting and says so.',
		cases: /^(u-http|rd-http)$/,
		paths: /^error$/,
		readme: ['method'],
	},
	{
		id: 'cross-origin-redirect',
		kind: 'intended',
		summary: 'a redirect to another origin fails unless *Allow Cross-Origin* is on',
		reason: 'Following it would present the client certificate to another host. HTTP Request follows it (and drops credentials headers only).',
		cases: /^rd-cross-origin$/,
		paths: ALL,
		readme: ['followRedirects'],
	},
	{
		id: 'error-texts',
		kind: 'intended',
		summary: 'transport and validation errors use our messages, each naming the field and the fix, with a stable `code`',
		reason: 'HTTP Request passes on the HTTP client\'s texts ("The connection was aborted, perhaps the server is offline" for a timeout, '
			+ 'the JSON parser\'s position for an invalid JSON Body). Ours says which field and what to do, and the code is stable for branching.',
		cases: /^(t-slow|t-slow-cof|rd-chain-max|u-invalid|u-empty-expression|b-json-invalid|r-not-json|r-format-json-text)$/,
		paths: /^error$|^items\[\d+\]\.json\.error(\.|$)/,
		readme: ['method', 'timeout', 'fullResponse'],
	},
	{
		id: 'plus-json',
		kind: 'intended',
		summary: '`application/*+json` (problem+json, vnd.api+json) is parsed as JSON under Autodetect',
		reason: 'RFC 6839 structured syntax suffix: these bodies are JSON. HTTP Request 4.2 only recognises `application/json` and returns them as a string in `data`.',
		cases: /^(r-problem|r-vnd)$/,
		paths: /^items\[\d+\]\.json/,
		readme: ['fullResponse'],
	},
	{
		id: 'scalar-array',
		kind: 'intended',
		summary: 'a JSON array of scalars gives one item `{ data: value }` per element',
		reason: 'HTTP Request 4.2 outputs the bare scalar as the item\'s json (`json: 1`), which is not a valid n8n item: later nodes see `{}` or fail.',
		cases: /^r-scalars$/,
		paths: /^items\[\d+\]\.json/,
		readme: ['fullResponse'],
	},
	{
		id: 'json-format-no-body',
		kind: 'intended',
		summary: 'Response Format JSON on a 204 gives `{}`',
		reason: 'HTTP Request 4.2 fails with "Cannot read properties of undefined (reading \'data\')" there; an empty body is `{}` as under Autodetect.',
		cases: /^r-format-json-204$/,
		paths: ALL,
		readme: ['fullResponse'],
	},
	{
		id: 'relative-next-url',
		kind: 'intended',
		summary: 'a relative Next URL is resolved against the page\'s URL',
		reason: 'Servers often return `next` as a path or `?page=2`; resolving it as a browser does (WHATWG URL) works where HTTP Request fails with '
			+ '"Make sure the Next URL parameter evaluates to a valid URL". Absolute URLs behave the same.',
		cases: /^p-next-relative$/,
		paths: ALL,
		readme: ['paginationMode'],
	},
	{
		id: 'repeated-names',
		kind: 'intended',
		summary: 'a name given twice in Query Parameters or Form URL Encoded fields sends both values (as HTTP Request 4.5), not the last',
		reason: 'HTTP Request 4.2 silently keeps only the last value (`tag=b`); 4.3+ keeps all of them, 4.5 writes `tag[0]=a&tag[1]=b`. Dropping '
			+ 'data silently is the worse choice, so ours follows 4.5, with the Array Format option as in 4.5 for the query.',
		cases: /^(q-keypair-repeat|q-keypair-repeat-repeat|q-keypair-repeat-indices|b-form-repeat)$/,
		paths: /^requests\[\d+\]\.(target|body|headers\.content-length)$|^items\[\d+\]\.json\.(target|body)$/,
		readme: ['sendQuery', 'queryParameterArrays', 'sendBody'],
	},
	{
		id: 'form-string-as-typed',
		kind: 'intended',
		summary: 'Form URL Encoded "Using Single Field" is sent exactly as typed',
		reason: 'HTTP Request parses the text and re-encodes it (`x+y` becomes `x%20y`); the decoded values are the same, but a signed body must stay byte for byte.',
		cases: /^b-form-string$/,
		paths: /^requests\[\d+\]\.(body|headers\.content-length)$|^items\[\d+\]\.json\.body$/,
		readme: ['sendBody'],
	},
	{
		id: 'empty-rows',
		kind: 'intended',
		summary: 'a query or body row without a name is left out, as headers are (HTTP Request sends it as `=` or `"": ""`)',
		reason: 'The editor adds an empty row to each list; HTTP Request sends it as an empty name (`?=&a=1`, `{"":""}`, `=&a=1`), which servers '
			+ 'reject or misread. Ours leaves out a row without a name, as HTTP Request itself does for headers.',
		cases: /^(q-empty-row|b-json-empty-row|b-form-empty-row)$/,
		paths: /^requests\[\d+\]\.(target|body|headers\.content-length)$|^items\[\d+\]\.json\.(target|body)$/,
		readme: ['sendQuery', 'sendBody'],
	},
	{
		id: 'header-over-raw-type',
		kind: 'intended',
		summary: 'a `Content-Type` header the user sets wins over a Raw body\'s *Content Type*',
		reason: 'HTTP Request lets the Raw body\'s Content Type overwrite the header silently. A header typed for this request is the more '
			+ 'specific choice (e.g. `application/soap+xml; action=…` with the body typed as XML).',
		cases: /^h-raw-content-type$/,
		paths: /^requests\[\d+\]\.headers\.content-type$/,
		readme: ['sendBody'],
	},
	{
		id: 'more-file-types',
		kind: 'intended',
		summary: 'autodetect makes a file of `font/*`, `application/x-gzip` and other binary types HTTP Request 4.2 does not list',
		reason: 'HTTP Request 4.2\'s list of binary types misses `font/*`, `x-gzip`, `java-archive`, `x-rar-compressed`, `vnd.ms-*` and OpenDocument; '
			+ 'it decodes those bodies as text, which destroys the bytes. Ours stores them as binary data.',
		cases: /^(r-font|r-x-gzip)$/,
		paths: /^items\[\d+\]\.(json|binary)/,
		readme: ['fullResponse'],
	},
	{
		id: 'text-as-received',
		kind: 'intended',
		summary: 'Response Format Text gives a JSON body as received (HTTP Request re-serialises it compactly)',
		reason: 'HTTP Request parses a JSON body and writes it out again under Text, so whitespace and key order can change; '
			+ 'Text means the text the server sent (a signature over the body stays checkable).',
		cases: /^r-format-text-pretty$/,
		paths: /^items\[\d+\]\.json\.data$/,
		readme: ['fullResponse'],
	},
	{
		id: 'batch-stops',
		kind: 'intended',
		summary: 'with batches of 1, the items after a failure (without continue-on-fail) are not sent',
		reason: 'HTTP Request 4.2 sends every item\'s request and then fails the execution, so the later requests\' effects happen but their results are '
			+ 'thrown away. Sending one at a time is a request to stop at the first failure.',
		cases: /^bt-stop$/,
		paths: /^requests\[\d+\]/,
		readme: ['batchSize'],
	},
	{
		id: 'text-format-charset',
		kind: 'intended',
		summary: 'Response Format Text detects the encoding of a body without a charset too (HTTP Request only under Autodetect)',
		reason: 'HTTP Request 4.2 detects the encoding (Latin-1, windows-1252…) only under Autodetect; with Response Format "Text" it decodes every '
			+ 'body as UTF-8 and a Latin-1 body comes out with U+FFFD. Ours decodes both the same way, so choosing "Text" does not garble the text.',
		cases: /^r-format-text-latin1$/,
		paths: /^items\[0\]\.json\.data$/,
		readme: ['fullResponse'],
	},
	{
		id: 'error-item-fields',
		kind: 'intended',
		summary: 'a continue-on-fail item of a status error has `message`, `status` and `code` as HTTP Request\'s, plus `description` and `httpCode`, and no `name`/`stack`',
		reason: 'HTTP Request 4.2 puts its HTTP client\'s error object on the item: `name: "AxiosError"` and a stack trace with n8n\'s install paths, '
			+ 'internals nobody can branch on. Ours keeps what users branch on under the same names (`message`, `status`, `code`) and adds the '
			+ 'server\'s message as `description` and the status as `httpCode`, as the error shown in the editor has them.',
		cases: /^(s-\d+.*-cof|i-fail-cof|bt-stop-cof)$/,
		paths: /^items\[\d+\]\.json\.error\.(name|stack|description|httpCode)$/,
		readme: ['fullResponse'],
	},
	{
		id: 'redirect-off-text',
		kind: 'intended',
		summary: 'with Follow Redirects off, the failing 3xx says why and which option to change (HTTP Request: `302 - ""`)',
		reason: 'Both fail the item on a redirect that is not followed; HTTP Request\'s message is the status and the empty body. Ours names '
			+ '"Follow Redirects" and "Never Error", the two ways to get the response instead.',
		cases: /^rd-off$/,
		paths: /^error$/,
		readme: ['followRedirects'],
	},
];
