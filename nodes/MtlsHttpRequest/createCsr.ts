import type { X509Certificate } from 'node:crypto';

import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { MaterialError, RequestSpecError } from '../../lib/errors';
import { AltName, AltNameType, encodeAltNames } from '../../lib/tls/altNames';
import { sharedMaterials } from '../../lib/tls/cache';
import { createKeyAndCsr, CSR_KEY_TYPES, CsrKeyType, isCsrKeyType, requirePassphrase } from '../../lib/tls/csr';
import { commonName } from '../../lib/tls/inspect';
import { buildName, SubjectFields, subjectAltNamesOf, subjectNameOf } from '../../lib/tls/names';
import { loadCandidates, RotatingInput, selectMaterial } from '../../lib/tls/rotation';
import { CREDENTIAL_TYPE } from './credential';
import { toErrorJson, toNodeError } from './errors';

/**
 * The "Create Key and CSR" operation: per item, a new key pair and a certificate signing request
 * for the partner, the key encrypted with the credential's Next Passphrase. Nothing is sent.
 */
export async function executeCreateCsr(ctx: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const output: INodeExecutionData[] = [];
	const items = ctx.getInputData();
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			output.push({ ...(await createItem(ctx, itemIndex)), pairedItem: { item: itemIndex } });
		} catch (error) {
			const nodeError = toNodeError(ctx.getNode(), error, itemIndex);
			if (!ctx.continueOnFail()) throw nodeError;
			output.push({ json: toErrorJson(nodeError, error), pairedItem: { item: itemIndex } });
		}
	}
	return [output];
}

interface Identity {
	subject: Buffer;
	altNames?: Buffer;
	/** As shown in the output, e.g. "DNS:client.example". */
	altNamesShown: string[];
	/** Base of the file names. */
	name: string;
}

async function createItem(ctx: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData> {
	const keyType = readKeyType(ctx.getNodeParameter('keyType', itemIndex, 'ec-p256'));
	const input = (await ctx.getCredentials(CREDENTIAL_TYPE)) as unknown as RotatingInput;
	// Before anything else: an empty Next Passphrase must not cost a key generation or hide behind another error.
	requirePassphrase(input.nextPassphrase);
	const identity = readIdentity(ctx, itemIndex, input);
	const result = await createKeyAndCsr({ keyType, subject: identity.subject, altNames: identity.altNames, passphrase: input.nextPassphrase });
	const json: IDataObject = { ...result, subjectAltNames: identity.altNamesShown };
	const base = fileBaseOf(identity.name);
	const binary = {
		csr: await ctx.helpers.prepareBinaryData(Buffer.from(result.csrPem, 'ascii'), `${base}.csr`, 'application/pkcs10'),
		privateKey: await ctx.helpers.prepareBinaryData(Buffer.from(result.encryptedPrivateKeyPem, 'ascii'), `${base}.key.pem`, 'application/x-pem-file'),
	};
	return { json, binary };
}

/** @throws RequestSpecError KEY_TYPE_INVALID for a value set by an expression */
function readKeyType(value: unknown): CsrKeyType {
	if (isCsrKeyType(value)) return value;
	throw new RequestSpecError('KEY_TYPE_INVALID', `The "Key Type" "${String(value)}" is not one this node creates`, {
		field: 'keyType',
		description: `Use one of ${CSR_KEY_TYPES.join(', ')}.`,
	});
}

/**
 * @throws MaterialError when the subject is copied and the credential's certificate cannot be read
 * @throws RequestSpecError for a subject field or alternative name that cannot be used
 */
function readIdentity(ctx: IExecuteFunctions, itemIndex: number, input: RotatingInput): Identity {
	const entries = (ctx.getNodeParameter('subjectAltNames.altNames', itemIndex, []) as Array<Partial<AltName>>) ?? [];
	const given = entries.length ? encodeAltNames(entries.map(toAltName)) : undefined;
	if (ctx.getNodeParameter('subjectSource', itemIndex, 'currentCertificate') === 'fields') {
		const fields = (ctx.getNodeParameter('subjectFields', itemIndex, {}) ?? {}) as SubjectFields;
		return { subject: buildName(fields), altNames: given?.der, altNamesShown: given?.display ?? [], name: String(fields.commonName ?? '') };
	}
	const certificate = activeCertificate(input);
	const copied = subjectAltNamesOf(certificate);
	return {
		subject: subjectNameOf(certificate),
		altNames: given?.der ?? copied,
		altNamesShown: given?.display ?? (copied && certificate.subjectAltName ? certificate.subjectAltName.split(', ') : []),
		name: commonName(certificate),
	};
}

/** An unknown type set by an expression is reported by encodeAltNames with its position. */
function toAltName(entry: Partial<AltName>): AltName {
	return { type: String(entry.type ?? 'dns') as AltNameType, value: String(entry.value ?? '') };
}

const OUT_OF_DATE = new Set(['NO_VALID_CERTIFICATE', 'CERTIFICATE_EXPIRED', 'CERTIFICATE_NOT_YET_VALID']);

/**
 * The certificate connections present now, or the current one when none is valid: a late renewal
 * still asks for the same identity.
 *
 * @throws MaterialError when a bundle of the credential cannot be read
 */
function activeCertificate(input: RotatingInput): X509Certificate {
	try {
		return selectMaterial(input, sharedMaterials).material.leaf;
	} catch (error) {
		if (!(error instanceof MaterialError && OUT_OF_DATE.has(error.code))) throw error;
		return loadCandidates(input, sharedMaterials).current.leaf;
	}
}

/** A file name from the common name: letters, digits, dot, dash and underscore. */
function fileBaseOf(name: string): string {
	return name.replace(/^\*\./, 'wildcard.').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+|_+$/g, '').slice(0, 64) || 'certificate-request';
}
