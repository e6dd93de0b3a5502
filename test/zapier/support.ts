import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createAppTester } from 'zapier-platform-core';
import { buildApp } from '../../integrations/zapier/src/app';

export const ZAPIER_DIR = path.resolve(__dirname, '../../integrations/zapier');
export const APP_VERSION = (JSON.parse(readFileSync(path.join(ZAPIER_DIR, 'package.json'), 'utf8')) as { version: string }).version;

export const app = buildApp(APP_VERSION);
/** The platform's own runner: each call goes through the app's middlewares, its checks and Zapier's request client. */
export const appTester = createAppTester(app);

/** What `zapier validate` checks offline: the platform core's compile and schema validation of the definition. */
export function validateDefinition(definition: object): unknown[] {
  // The core exposes its schema tools under ./src/* for require only.
  const schemaTools = createRequire(path.join(ZAPIER_DIR, 'package.json'))('zapier-platform-core/src/tools/schema') as {
    compileApp(app: object): object;
    validateApp(compiled: object): unknown[];
  };
  return schemaTools.validateApp(schemaTools.compileApp(definition));
}

/** A Zapier error's own fields: the core serialises `z.errors.Error(message, code, status)` as JSON in `message`. */
export function appErrorOf(error: unknown): { name: string; message: string; code?: string; status?: number } {
  const e = error as Error;
  try {
    const parsed = JSON.parse(e.message) as { message: string; code?: string; status?: number };
    return { name: e.name, ...parsed };
  } catch {
    return { name: e.name, message: e.message };
  }
}

export async function rejectionOf(promise: Promise<unknown>): Promise<ReturnType<typeof appErrorOf>> {
  try {
    await promise;
  } catch (error) {
    return appErrorOf(error);
  }
  throw new Error('expected a rejection');
}
