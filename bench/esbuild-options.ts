import { readFileSync } from 'node:fs';
import type { BuildOptions } from 'esbuild';
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
