/**
 * PEM text as users paste it into n8n: every variant must give the same blocks as the file did.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { findPemBlocks, normalizePemText, toPem } from '../lib/tls/pem';
import { encryptKey, generateKey, openssl, Pki } from './fixtures/pki';

/** The canonical text: an encrypted PKCS#8 key, then a certificate, LF line ends, 64 columns. */
interface Reference {
	text: string;
	keyDer: Buffer;
	certificateDer: Buffer;
}

function bodyOf(pem: string): Buffer {
	return Buffer.from(pem.split('\n').filter((line) => line && !line.startsWith('-----')).join(''), 'base64');
}

/** Puts every line of the text through `change`, keeping the blank structure. */
function eachLine(text: string, change: (line: string) => string): string {
	return text.split('\n').map((line) => (line ? change(line) : line)).join('\n');
}

const BAG_ATTRIBUTES = [
	'Bag Attributes',
	'    localKeyID: 6F 1A 22 90 C4 0B 7E 3D 51 02 88 AA 01 5C 9E 4F 20 11 73 D2 ',
	'    friendlyName: partner-client',
	'Key Attributes: <No Attributes>',
].join('\n');

const variants: Array<{ name: string; paste: (text: string) => string }> = [
	{ name: 'as written by openssl (LF)', paste: (text) => text },
	{ name: 'CRLF line ends (Windows)', paste: (text) => text.replace(/\n/g, '\r\n') },
	{ name: 'CR line ends (old Mac)', paste: (text) => text.replace(/\n/g, '\r') },
	{ name: 'a byte-order mark in front', paste: (text) => `\uFEFF${text}` },
	{ name: 'Bag Attributes and subject lines of `openssl pkcs12 -nodes`', paste: (text) => {
		const [key, certificate] = text.split(/(?=-----BEGIN CERTIFICATE-----)/);
		return `${BAG_ATTRIBUTES}\n${key}Bag Attributes\n    friendlyName: partner-client\nsubject=CN = client\nissuer=CN = CA\n${certificate}`;
	} },
	{ name: 'text before and after (an e-mail)', paste: (text) => `Hello,\n\nhere is your certificate:\n\n${text}\nKind regards,\nThe partner\n` },
	{ name: 'every line indented with spaces', paste: (text) => eachLine(text, (line) => `    ${line}`) },
	{ name: 'every line indented with tabs, trailing blanks', paste: (text) => eachLine(text, (line) => `\t\t${line} \t`) },
	{ name: 'one line, line breaks turned into spaces', paste: (text) => text.replace(/\n/g, ' ') },
	{ name: 'one line, no separator between blocks', paste: (text) => text.replace(/\n(?!-----BEGIN)/g, ' ').replace(/\n/g, '') },
	{ name: 'literal "\\n" sequences (copied out of JSON)', paste: (text) => text.replace(/\n/g, '\\n') },
	{ name: 'literal "\\r\\n" sequences', paste: (text) => text.replace(/\n/g, '\\r\\n') },
	{ name: 'literal "\\n" with a real line break after each', paste: (text) => text.replace(/\n/g, '\\n\n') },
	{ name: 'body re-wrapped at 76 columns (MIME)', paste: (text) => text.replace(/(-----BEGIN [A-Z ]+-----\n)([\s\S]*?)(\n-----END)/g,
		(_all, begin: string, body: string, end: string) => `${begin}${body.replace(/\n/g, '').replace(/.{76}/g, '$&\n')}${end}`) },
	{ name: 'blank lines between body lines', paste: (text) => eachLine(text, (line) => (line.startsWith('-----') ? line : `${line}\n`)) },
	{ name: 'CRLF, BOM, indentation and surrounding text at once', paste: (text) => `\uFEFFkey + cert:\r\n${eachLine(text, (line) => `  ${line}`).replace(/\n/g, '\r\n')}\r\n-- \r\n` },
];

describe('findPemBlocks reads pasted PEM', () => {
	let pki: Pki;
	let reference: Reference;

	before(() => {
		pki = new Pki();
		const root = pki.createRoot('PEM Test CA');
		const keyPem = encryptKey(root.keyPem, 'pem test');
		reference = { text: keyPem + root.certPem, keyDer: bodyOf(keyPem), certificateDer: new X509Certificate(root.certPem).raw };
	});
	after(() => pki.cleanup());

	for (const variant of variants) {
		test(variant.name, () => {
			const blocks = findPemBlocks(variant.paste(reference.text));
			assert.deepEqual(blocks.map((block) => [block.index, block.label]), [[1, 'ENCRYPTED PRIVATE KEY'], [2, 'CERTIFICATE']]);
			assert.ok(blocks[0].der.equals(reference.keyDer), 'key DER');
			assert.ok(blocks[1].der.equals(reference.certificateDer), 'certificate DER');
			assert.deepEqual(blocks[0].headers, {});
			assert.deepEqual(blocks[1].headers, {});
		});
	}

	test('RFC 1421 headers of a traditional encrypted key are kept apart from the body, on one line too', () => {
		const keyPem = openssl(['rsa', '-traditional', '-aes256', '-passout', 'pass:pem test'], generateKey('rsa'));
		const pasted = [keyPem, keyPem.replace(/\n/g, '\r\n'), eachLine(keyPem, (line) => `   ${line}`), keyPem.replace(/\n/g, ' '), keyPem.replace(/\n/g, '\\n')];
		for (const text of pasted) {
			const [block] = findPemBlocks(text);
			assert.equal(block.label, 'RSA PRIVATE KEY');
			assert.equal(block.headers['Proc-Type'], '4,ENCRYPTED');
			assert.match(block.headers['DEK-Info'], /^AES-256-CBC,[0-9A-F]{32}$/);
			assert.ok(block.der.equals(Buffer.from(keyPem.split('\n').filter((line) => /^[A-Za-z0-9+/=]+$/.test(line)).join(''), 'base64')));
		}
	});

	test('toPem writes what findPemBlocks reads back, headers included', () => {
		const keyPem = openssl(['rsa', '-traditional', '-aes128', '-passout', 'pass:pem test'], generateKey('rsa'));
		for (const block of findPemBlocks(`${keyPem}${reference.text}`.replace(/\n/g, '\r\n  '))) {
			const pem = toPem(block);
			assert.match(pem, /^-----BEGIN [A-Z ]+-----\n/);
			assert.ok(pem.split('\n').every((line) => line.length <= 64), '64 columns');
			const [again] = findPemBlocks(pem);
			assert.deepEqual({ ...again, index: block.index }, block);
		}
	});

	const damaged: Array<{ name: string; damage: (body: string) => string }> = [
		{ name: 'a character that is not base64', damage: (body) => body.replace(/^(.{10})./, '$1*') },
		{ name: 'a character missing', damage: (body) => body.replace(/^(.{10})./, '$1') },
		{ name: 'padding in the middle', damage: (body) => body.replace(/^(.{10})./, '$1=') },
		{ name: 'an empty body', damage: () => '' },
		{ name: 'a body cut off (lost lines, padding gone)', damage: (body) => body.slice(0, 4 * 30 + 1) },
	];
	for (const { name, damage } of damaged) {
		test(`a damaged body gives an empty der (${name}); the next block is still read`, () => {
			const [, certificate] = reference.text.split(/(?=-----BEGIN CERTIFICATE-----)/);
			const body = certificate.split('\n').filter((line) => line && !line.startsWith('-----')).join('');
			const broken = `-----BEGIN CERTIFICATE-----\n${damage(body).replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;
			const blocks = findPemBlocks(broken + certificate);
			assert.equal(blocks.length, 2);
			assert.equal(blocks[0].der.length, 0);
			assert.ok(blocks[1].der.equals(reference.certificateDer));
			assert.equal(blocks[1].index, 2);
		});
	}

	const notBlocks: Array<{ name: string; text: string }> = [
		{ name: 'no PEM at all', text: 'MIIBszCCAVmgAwIBAgIU' },
		{ name: 'BEGIN without END', text: '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n' },
		{ name: 'END label that does not match BEGIN', text: '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END PRIVATE KEY-----\n' },
		{ name: 'an empty string', text: '' },
	];
	for (const { name, text } of notBlocks) {
		test(`finds no block in ${name}`, () => {
			assert.deepEqual(findPemBlocks(text), []);
		});
	}

	test('normalizePemText turns escaped and Windows line breaks into LF and drops the BOM', () => {
		assert.equal(normalizePemText('\uFEFFa\\r\\nb\\nc\\rd\r\ne\rf'), 'a\nb\nc\nd\ne\nf');
	});
});
