import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';
import * as jsoncParser from 'jsonc-eslint-parser';
import tseslint from 'typescript-eslint';

const packageFiles = ['nodes/**/*.ts', 'credentials/**/*.ts', 'lib/**/*.ts', 'package.json'];

export default [
	{ ignores: ['dist/**', '.test-build*/**', 'node_modules/**', '.n8n-demo/**', 'gulpfile.js'] },
	...tseslint.configs.recommended.map((config) => ({ ...config, files: ['**/*.ts'] })),
	{ ...n8nCommunityNodesPlugin.configs.recommended, files: packageFiles },
	{ files: ['package.json'], languageOptions: { parser: jsoncParser } },
	{
		files: packageFiles,
		rules: {
			// A self-hosted mTLS node needs its own HTTP client (undici) and a pure-JS PKCS#12 reader
			// (node-forge) for what OpenSSL 3 refuses; n8n Cloud's verified-node limits cannot hold.
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
			// Client certificates are a TLS concern: node:tls and node:crypto are the point of the package.
			'@n8n/community-nodes/no-restricted-imports': 'off',
			// lib/ knows nothing of n8n and throws typed errors with stable codes; they become
			// NodeApiError/NodeOperationError exactly once, in nodes/MtlsHttpRequest/errors.ts.
			'@n8n/community-nodes/require-node-api-error': 'off',
		},
	},
];
