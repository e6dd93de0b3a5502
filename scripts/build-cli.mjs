// Builds the operator CLI (bin/c2c.ts and what it imports) into one CommonJS file, dist/cli.cjs, which bin/c2c.cjs
// runs: `npx c2c` needs no TypeScript loader. Run by `npm run build:cli`, by npm's `prepare` (so `npm ci` builds it)
// and by the test suite's global setup (so the tests run the CLI as it is now). Plain JavaScript: it runs before
// anything else is built.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The bundle's path. */
export const CLI_BUNDLE = path.join(root, 'dist', 'cli.cjs');

/** Bundles the CLI, its dependencies included, with a linked source map (bin/c2c.cjs turns source maps on). */
export async function buildCli() {
  await build({
    absWorkingDir: root,
    entryPoints: ['bin/c2c.ts'],
    outfile: CLI_BUNDLE,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildCli();
