import tseslint from 'typescript-eslint';

// `import { z }` pulls every zod locale into each Lambda bundle (about 370 KB); the namespace import tree-shakes.
const ZOD_NAMESPACE = {
  selector: "ImportDeclaration[source.value='zod'] > ImportSpecifier[imported.name='z']",
  message: "Use `import * as z from 'zod'`: it keeps unused locales out of the bundles.",
};

const ENV_MESSAGE = 'Read the environment through lib/config.ts (loadConfig, processEnv or a named accessor).';
const PROCESS_ENV = [
  { selector: "MemberExpression[object.name='process'][property.name='env']", message: ENV_MESSAGE },
  { selector: "MemberExpression[object.name='process'][property.value='env']", message: ENV_MESSAGE },
  { selector: "VariableDeclarator[init.name='process'] > ObjectPattern > Property[key.name='env']", message: ENV_MESSAGE },
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      '.esbuild/**',
      '.serverless/**',
      '.local/**',
      'coverage/**',
      'bin/*.cjs',
      'dist/**',
      'integrations/*/dist/**',
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    // Typed rules: each file is checked with the types of its own tsconfig (lib/console/browser/ has the DOM's).
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      'no-restricted-syntax': ['error', ZOD_NAMESPACE],
    },
  },
  {
    // Every environment read goes through lib/config.ts, so one file lists every variable the service reads.
    files: ['lib/**/*.ts', 'functions/**/*.ts'],
    ignores: ['lib/config.ts'],
    rules: { 'no-restricted-syntax': ['error', ZOD_NAMESPACE, ...PROCESS_ENV] },
  },
  {
    // Plain JavaScript (this file, bin/*.cjs) is in no tsconfig: no type information to lint it with.
    files: ['**/*.{js,mjs,cjs}'],
    ...tseslint.configs.disableTypeChecked,
  },
);
