import { readFileSync } from 'node:fs';
import path from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { load as loadYaml } from 'js-yaml';

/** serverless.yml's `custom.esbuild` as esbuild options: the keys that only serverless-esbuild reads are left out. */
export function esbuildOptionsOf(serverlessYml: string): BuildOptions {
  const doc = loadYaml(readFileSync(serverlessYml, 'utf8')) as { custom?: { esbuild?: Record<string, unknown> } };
  const settings = { ...doc.custom?.esbuild };
  for (const key of [
    'exclude',
    'packager',
    'packagerOptions',
    'plugins',
    'zipConcurrency',
    'nativeZip',
    'installExtraArgs',
    'outputWorkFolder',
    'outputBuildFolder',
  ]) {
    delete settings[key];
  }
  return settings;
}

/**
 * Bundles a bench's own entry file (written to a temporary directory) with the service's esbuild settings, resolving
 * packages from the repository's node_modules.
 */
export async function bundleBenchEntry(options: BuildOptions, entry: string, outfile: string): Promise<void> {
  const root = path.resolve(__dirname, '..');
  await build({
    ...options,
    entryPoints: [entry],
    outfile,
    absWorkingDir: root,
    nodePaths: [path.join(root, 'node_modules')],
    logLevel: 'silent',
  });
}
