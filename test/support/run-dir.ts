/**
 * The folder of this test run's artifacts that the log scan reads (logs, the secrets the run used). Named by
 * C2C_TEST_RUN, which `npm test` sets once for its vitest run and its log scan, so two runs side by side on one
 * checkout neither empty nor read each other's folders; a vitest run started by hand uses `default`.
 */
import path from 'node:path';

export const ARTIFACTS_DIR = path.resolve(__dirname, '../artifacts');
export const RUN_NAME = (process.env.C2C_TEST_RUN ?? 'default').replace(/[^\w.-]/g, '_');
export const RUN_DIR = path.join(ARTIFACTS_DIR, `run-${RUN_NAME}`);
export const LOG_DIR = path.join(RUN_DIR, 'logs');
export const SECRETS_DIR = path.join(RUN_DIR, 'secrets');
