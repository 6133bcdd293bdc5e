// ESLint: Next.js's rules (core web vitals, react, react-hooks, import, jsx-a11y) and typescript-eslint's
// recommended set; formatting is Prettier's (`npm run format`), so the rules that would fight it are off.
import nextVitals from 'eslint-config-next/core-web-vitals';
import nextTypescript from 'eslint-config-next/typescript';
import prettier from 'eslint-config-prettier/flat';

const config = [
  ...nextVitals,
  ...nextTypescript,
  prettier,
  {
    rules: {
      // Prettier wraps code at 160 columns; comments and long strings it cannot wrap are checked here.
      'max-len': ['error', { code: 160, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  // React's rules are for components: the tests' `useTestDb()` / `useLocalCloud()` are set-up helpers.
  { files: ['**/*.test.ts', 'src/testing/**', 'bench/**', 'e2e/**'], rules: { 'react-hooks/rules-of-hooks': 'off' } },
  // Tests read platforms' JSON answers loosely and assert their shape with toMatchObject.
  { files: ['**/*.test.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  // The scan corpus is sites as built (test data), not our code.
  {
    ignores: ['test-fixtures/', '.next/', 'node_modules/', 'bench/results/', 'test-results/', 'playwright-report/', 'next-env.d.ts', 'drizzle/meta/'],
  },
];

export default config;
