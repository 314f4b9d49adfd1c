import type { IDataObject } from 'n8n-workflow';

export type CertificateEvent = 'clientCertificateExpiring' | 'nextCertificateExpiring' | 'serverCertificateExpiring' | 'serverKeyChanged' | 'rotated';

/** What the trigger remembers between polls, in the workflow's static data (no secrets: public facts only). */
export interface TriggerState {
	/** `event:fingerprint256` of every expiry already reported, so each is reported once. */
	reported: string[];
	/** The partner server's public key pin at the last poll that reached it. */
	serverPin?: string;
	/** The fingerprint of the client certificate connections presented at the last poll. */
	inUse?: string;
}

export interface Detection {
	items: IDataObject[];
	state: TriggerState;
}

const CLIENT = 'client certificate';
const NEXT_CLIENT = 'next client certificate';
const SERVER = 'server certificate';

/**
 * Compares the Certificate Info rows of this poll with what the last poll saw. An expiry is
 * reported once per certificate (a renewed certificate has a new fingerprint, so its own expiry is
 * reported again in its time); a changed server key and a switched certificate once per change. The
 * current certificate's expiry is not reported while a successor that outlives it is staged: that
 * alert has done its job.
 */
export function detectEvents(rows: IDataObject[], previous: TriggerState | undefined, serverReached: boolean): Detection {
	const items: IDataObject[] = [];
	const reported = new Set(previous?.reported ?? []);
	const stillThere = new Set<string>();
	const client = rows.find((row) => row.source === 'certificateBundle' && row.role === CLIENT);
	const next = rows.find((row) => row.source === 'nextCertificateBundle' && row.role === NEXT_CLIENT);
	const server = rows.find((row) => row.source === 'server' && row.role === SERVER);
	const expiring = (event: CertificateEvent, row: IDataObject | undefined) => {
		if (!row || row.expiresSoon !== true) return;
		const key = `${event}:${String(row.fingerprint256)}`;
		stillThere.add(key);
		if (reported.has(key)) return;
		reported.add(key);
		items.push(toItem(row, event));
	};
	const covered = next !== undefined && next.expired !== true && String(next.notAfter) > String(client?.notAfter);
	if (!covered) expiring('clientCertificateExpiring', client);
	expiring('nextCertificateExpiring', next);
	expiring('serverCertificateExpiring', server);
	const pin = server?.publicKeyPin ? String(server.publicKeyPin) : undefined;
	if (server && pin && previous?.serverPin && pin !== previous.serverPin) items.push(toItem(server, 'serverKeyChanged', { previousPublicKeyPin: previous.serverPin }));
	const active = rows.find((row) => (row.role === CLIENT || row.role === NEXT_CLIENT) && row.inUse === true);
	const inUse = active ? String(active.fingerprint256) : undefined;
	if (active && inUse && previous?.inUse && inUse !== previous.inUse) items.push(toItem(active, 'rotated', { previousFingerprint256: previous.inUse }));
	// Forget expiries of certificates no longer there or no longer expiring, so the set stays small.
	const state: TriggerState = {
		reported: [...reported].filter((key) => stillThere.has(key) || (!serverReached && key.startsWith('serverCertificateExpiring:'))),
		serverPin: serverReached ? pin ?? previous?.serverPin : previous?.serverPin,
		inUse: inUse ?? previous?.inUse,
	};
	return { items, state };
}

/** A Certificate Info row with the event first, and the same keys on every item. */
export function toItem(row: IDataObject, event: CertificateEvent | null, previous: { previousPublicKeyPin?: string; previousFingerprint256?: string } = {}): IDataObject {
	return { event, ...row, previousPublicKeyPin: previous.previousPublicKeyPin ?? null, previousFingerprint256: previous.previousFingerprint256 ?? null };
}
