import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { LOG_DIR } from './run-dir';

/** This worker's service log lines (test/support/capture-logs.ts) written while `fn` ran. */
export async function logLinesDuring<T>(fn: () => Promise<T>): Promise<{ result: T; lines: Array<{ level?: string; message?: string }> }> {
  const file = path.join(LOG_DIR, `worker-${process.pid}.jsonl`);
  const before = existsSync(file) ? statSync(file).size : 0;
  const result = await fn();
  const text = existsSync(file) ? readFileSync(file).subarray(before).toString('utf8') : '';
  return {
    result,
    lines: text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { level?: string; message?: string }),
  };
}
