// Lint for every workspace: ESLint's and typescript-eslint's recommended rules, plus the
// boundaries DESIGN.md draws (the relay must not import anything that can open a ciphertext).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '.output/**',
      '**/.wxt/**',
      '**/dist/**',
      'artifacts/**',
      'bench/results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node, ...globals.browser },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
      // Services wired in a cycle are declared first and read by callbacks before assignment.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    files: ['backend/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // The sync service verifies request signatures with the one protocol module that
              // holds Ed25519 and SHA-256 only (backend/test/no-decryption-imports.test.ts).
              regex: '^(@sotto/protocol(?!/sync/request-signature$)(/.*)?|@noble/.*|@hpke/.*)$',
              message: 'the backend must not import anything that can open a ciphertext',
            },
          ],
        },
      ],
    },
  },
  {
    // The protocol core runs in a browser and an MV3 service worker (protocol/test/browser-bundle.test.ts proves it).
    // protocol/src/node/ is the Node-only platform code (the enclave and the CLI install it);
    // nothing in the core imports it.
    files: ['protocol/src/**/*.ts'],
    ignores: ['protocol/src/cli/**', 'protocol/src/node/**', 'protocol/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['node:*'], message: 'the protocol core must stay browser-safe' }] },
      ],
    },
  },
);
