import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', '.esbuild/**', '.serverless/**', '.local/**', 'coverage/**', 'bin/*.cjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    // Typed rules: each file is checked with the types of its own tsconfig (lib/console/browser/ has the DOM's).
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      // `import { z }` pulls every zod locale into each Lambda bundle (about 370 KB); the namespace import tree-shakes.
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[source.value='zod'] > ImportSpecifier[imported.name='z']",
          message: "Use `import * as z from 'zod'`: it keeps unused locales out of the bundles.",
        },
      ],
    },
  },
  {
    // Plain JavaScript (this file, bin/*.cjs) is in no tsconfig: no type information to lint it with.
    files: ['**/*.{js,mjs,cjs}'],
    ...tseslint.configs.disableTypeChecked,
  },
);
