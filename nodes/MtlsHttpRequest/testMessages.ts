import { MtlsError } from '../../lib/errors';
import type { ProbeResult } from '../../lib/http/probe';
import { describeCertificate } from '../../lib/tls/inspect';
import type { TlsMaterial } from '../../lib/tls/material';
import type { Selection } from '../../lib/tls/rotation';
import { credentialNotices, DEFAULT_EXPIRY_WARNING_DAYS } from './credential';

/**
 * The texts of the credential test. n8n shows a failed test's message under "More details" as one
 * paragraph (line breaks collapse, Markdown shows literally) and drops a passed test's message, so a
 * failure leads with what probably happened in the user's words, then what to do, then the details;
 * each part is a sentence of its own with a label, and the certificate summary comes last.
 */

interface Headline {
	/** What probably happened, in the user's words. */
	what: string;
	/** What to do about it. */
	fix: string;
}

const NOT_ACCEPTED: Headline = {
	what: "The partner's server did not accept your client certificate.",
	fix: 'Ask the partner whether this certificate is registered for this environment '
		+ '(test and production often use different CAs) and which CA they accept.',
};

/** Failures the Test URL meets most, by error code; other errors speak for themselves (message, then description). */
const HEADLINES: Record<string, Headline> = {
	CLIENT_CERT_REJECTED: NOT_ACCEPTED,
	CLIENT_CERT_REQUIRED: {
		what: "The partner's server did not receive your client certificate.",
		fix: 'Something between n8n and the partner (a load balancer or proxy that ends TLS, or another virtual host for this name) '
			+ 'took it off: ask the partner where TLS ends, and check "TLS: Server Name (SNI)".',
	},
	// Under TLS 1.3 the client sends its certificate in its last flight and considers the handshake
	// done, so the server's rejection (RFC 8446 §4.4.2.4) arrives on the first read, often as a closed connection.
	CONNECTION_CLOSED: {
		what: "The partner's server closed the connection: most likely it did not accept your client certificate.",
		fix: `${NOT_ACCEPTED.fix} If they confirm it is registered, a firewall or proxy may be dropping the connection.`,
	},
	TLS_HANDSHAKE_FAILED: {
		what: "The partner's server broke off the TLS handshake: most likely it did not accept your client certificate.",
		fix: `${NOT_ACCEPTED.fix} Old servers may also speak no TLS version this node does (1.2 and 1.3).`,
	},
	SERVER_CERT_UNTRUSTED: {
		what: "The partner's server certificate is not trusted by this credential.",
		fix: 'Paste the CA certificate that signed it into "CA Certificates" (ask the partner for it).',
	},
};

const UNKNOWN: Headline = { what: 'The credential could not be checked.', fix: 'Try again; if it keeps failing, check n8n\'s log.' };

/** The message of a passed test. n8n 1.x and 2.x do not show it (the REST API returns it). */
export function passedMessage(selection: Selection, probe?: ProbeResult): string {
	return [probe && plain(probe.message), summarize(selection)].filter(Boolean).join('\n');
}

/** The message of a test whose Test URL answered but did not take the certificate. */
export function rejectedMessage(selection: Selection, probe: ProbeResult): string {
	return lines((probe.code && HEADLINES[probe.code]) || NOT_ACCEPTED, probe.message, selection);
}

/** The message of a test that failed with `error`; `selection` when the certificate itself was fine. */
export function failedMessage(error: unknown, selection?: Selection): string {
	if (!(error instanceof MtlsError)) return lines(UNKNOWN, undefined, selection);
	const headline = HEADLINES[error.code];
	if (!headline) {
		// Our own errors already lead with the field or the cause and say the fix in their description.
		return lines({ what: sentence(error.message), fix: sentence(error.description ?? '') }, `Error code ${error.code}.`, selection);
	}
	return lines(headline, `${error.message.trim()} (${error.code}). ${sentence(error.description ?? '')}`.trim(), selection);
}

function lines(headline: Headline, details: string | undefined, selection?: Selection): string {
	return [
		headline.what,
		headline.fix && `What to do: ${plain(headline.fix)}`,
		details && `Details: ${plain(details)}`,
		selection && summarize(selection),
	].filter(Boolean).join('\n');
}

function summarize(selection: Selection): string {
	const notices = credentialNotices(selection, DEFAULT_EXPIRY_WARNING_DAYS);
	const other = selection.standby && `${selection.active === 'next' ? 'Previous' : 'Next'} certificate: ${describe(selection.standby)}`;
	const using = selection.standby ? ` (in use${selection.active === 'next' ? ', the next one' : ''})` : '';
	return [
		`Your certificate${using}: ${describe(selection.material)}`,
		...notices.map((notice) => `Warning: ${plain(notice)}`),
		other,
	].filter(Boolean).join('\n');
}

function describe(material: TlsMaterial): string {
	const leaf = describeCertificate(material.leaf);
	const key = material.key;
	const keyText = key.curve ? `${key.type.toUpperCase()} ${key.curve}` : `${key.type.toUpperCase()}${key.size ? ` ${key.size} bit` : ''}`;
	const validity = leaf.daysUntilExpiry >= 0 && new Date(leaf.notBefore) <= new Date()
		? `valid until ${leaf.notAfter.slice(0, 10)} (${leaf.daysUntilExpiry} days left)`
		: `valid from ${leaf.notBefore.slice(0, 10)} to ${leaf.notAfter.slice(0, 10)}`;
	return `"${leaf.subject}" issued by "${leaf.issuer}", ${validity}, key ${keyText}.`;
}

/** n8n shows the text as is: Markdown code spans become quotes. */
function plain(text: string): string {
	return text.replace(/`([^`]*)`/g, '"$1"');
}

function sentence(text: string): string {
	const trimmed = text.trim();
	return !trimmed || /[.!?)]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}
