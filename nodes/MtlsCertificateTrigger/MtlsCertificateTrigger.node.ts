import type { IDataObject, INodeExecutionData, INodeType, INodeTypeDescription, IPollFunctions } from 'n8n-workflow';

import { resolveProxy } from '../../lib/http/proxy';
import { ssrfFilterFromEnv } from '../../lib/http/ssrf';
import { describeCredential } from '../MtlsHttpRequest/certificateInfo';
import { egressFilterOf } from '../MtlsHttpRequest/context';
import { CREDENTIAL_TYPE, DEFAULT_EXPIRY_WARNING_DAYS } from '../MtlsHttpRequest/credential';
import { CredentialData, fileAccessOf, materialInputOf, relabelForFiles } from '../MtlsHttpRequest/credentialSource';
import { mtlsCertificateTest } from '../MtlsHttpRequest/credentialTest';
import { toNodeError } from '../MtlsHttpRequest/errors';
import { detectEvents, toItem, TriggerState } from './events';

const STATE_KEY = 'certificates';

export class MtlsCertificateTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'mTLS Certificate Expiry Trigger',
		name: 'mtlsCertificateTrigger',
		icon: { light: 'file:mtlsCertificateTrigger.svg', dark: 'file:mtlsCertificateTrigger.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{"within " + $parameter["expiryWarningDays"] + " days"}}',
		description: 'Starts the workflow when a client or server certificate nears expiry, the server key changes, or the certificate switched',
		defaults: { name: 'mTLS Certificate Expiry Trigger' },
		polling: true,
		inputs: [],
		// The string, not NodeConnectionTypes.Main: older n8n-workflow versions have no NodeConnectionTypes.
		// eslint-disable-next-line @n8n/community-nodes/node-connection-type-literal
		outputs: ['main'],
		credentials: [{ name: 'mtlsCertificateApi', required: true, testedBy: 'mtlsCertificateTest' }],
		properties: [
			{
				displayName:
					'Emits one item per event, once: event is clientCertificateExpiring, nextCertificateExpiring, serverCertificateExpiring, serverKeyChanged or rotated. "Fetch Test Event" shows every certificate now, with event empty.',
				name: 'notice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Expiry Warning (Days)',
				name: 'expiryWarningDays',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: DEFAULT_EXPIRY_WARNING_DAYS,
				description: 'A certificate that expires within this many days starts the workflow (once per certificate)',
			},
			{
				displayName: 'Server URL',
				name: 'serverUrl',
				type: 'string',
				default: '',
				placeholder: 'https://api.partner.example',
				description:
					"Optional. The partner's https:// address: its server certificate's expiry and public key are watched too (a changed key is reported, so pinned workflows can be updated before they fail). Nothing is sent after the handshake.",
			},
		],
	};

	methods = { credentialTest: { mtlsCertificateTest } };

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const threshold = this.getNodeParameter('expiryWarningDays', DEFAULT_EXPIRY_WARNING_DAYS) as number;
		const serverUrl = String(this.getNodeParameter('serverUrl', '') ?? '').trim();
		const manual = this.getMode() === 'manual';
		let rows: IDataObject[];
		let serverReached = Boolean(serverUrl);
		const data = (await this.getCredentials(CREDENTIAL_TYPE)) as unknown as CredentialData;
		try {
			// A poll context has no file helper of n8n's: the running n8n's settings decide, as for executions.
			const input = await materialInputOf(data, fileAccessOf(this));
			const probe = { egress: egressFilterOf(this) ?? ssrfFilterFromEnv(), proxy: resolveProxy(undefined) };
			try {
				rows = await describeCredential(input, { threshold, serverUrl, probe });
			} catch (error) {
				// A partner server that is down must not hide the client certificate's expiry; it is retried next poll.
				if (!serverUrl || manual) throw error;
				rows = await describeCredential(input, { threshold });
				serverReached = false;
				this.logger.warn(`mTLS Certificate Expiry Trigger: the server ${serverUrl} could not be checked: ${(error as Error).message}`);
			}
		} catch (error) {
			throw toNodeError(this.getNode(), relabelForFiles(data, error));
		}
		const staticData = this.getWorkflowStaticData('node');
		const { items, state } = detectEvents(rows, staticData[STATE_KEY] as TriggerState | undefined, serverReached);
		// "Fetch Test Event" shows the current state and leaves the events to the active workflow.
		if (manual) return [(items.length ? items : rows.map((row) => toItem(row, null))).map((json) => ({ json }))];
		staticData[STATE_KEY] = state as unknown as IDataObject;
		return items.length ? [items.map((json) => ({ json }))] : null;
	}
}
