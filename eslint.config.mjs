// ESLint, type-aware: what the compiler does not catch (promises nobody awaits, switches that miss a case,
// type-only imports written as values). Formatting is Prettier's job and import cycles madge's: `npm run lint`
// runs all three.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: ['node_modules/', 'dist/', 'out/', 'test-results/', '.dropout-lens/', 'test/fixtures/', 'examples/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      // Modules that load on demand are `require()`d with a `typeof import()` annotation: that works in the
      // webpack bundles and from sources under tsx alike, and keeps activation and the CLI's start cheap.
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-require-imports': 'off',
      // An async method that implements a Promise-returning interface need not await anything.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowArray: true, allowNever: true },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // node:test's test() and describe() return promises that the runner itself awaits.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it'] }] },
      ],
      // Tests and benches read parsed JSON and poke at results: `any` there is the point.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // Stubs replace methods and compare them by reference.
      '@typescript-eslint/unbound-method': 'off',
      // Lezer's Tree prints its structure (toString exists at run time, though its types leave it out).
      '@typescript-eslint/no-base-to-string': ['error', { ignoredTypeNames: ['Tree'] }],
    },
  },
  {
    // Plain JavaScript (build scripts, the CLI launcher, test harnesses) is not type-checked.
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { ...globals.node }, parserOptions: { projectService: false, project: null } },
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Code that runs in a page, or hands functions to one to run there.
    files: ['test/webview/**', 'bench/ui/**', 'webview/**', 'test/vscode/workbenchScreenshots.mjs'],
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
  },
  {
    // The file's text is one expression, sent to the page and evaluated there.
    files: ['bench/ui/inPage.js'],
    rules: { '@typescript-eslint/no-unused-expressions': 'off' },
  },
);
