// Lint rules: no `any`, and no Math.random anywhere in library code (secrets need the CSPRNG).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'dist.building-*/**',
      'dist.old-*/**',
      'node_modules/**',
      'bin/**',
      'web/dist/**',
      'test-artifacts/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'Math',
          property: 'random',
          message: 'Use the CSPRNG or a seeded PRG (src/random).',
        },
      ],
    },
  },
  {
    // The core must run in browsers: Node built-ins are allowed only in adapters, the party
    // node (a Node service at the top of the stack), the CLI, tests and benchmarks.
    files: ['src/**/*.ts'],
    ignores: ['src/adapters/node/**', 'src/node/**', 'src/cli/**', 'src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*'],
              message: 'Core code must not import Node built-ins; use an adapter.',
            },
          ],
        },
      ],
    },
  },
  {
    // The dashboard runs in browsers: no Node built-ins (it may import browser-safe core code).
    files: ['web/src/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*'],
              message: 'The dashboard runs in browsers: no Node built-ins.',
            },
          ],
        },
      ],
    },
  },
);
