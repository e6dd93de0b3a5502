/**
 * Runs in every test worker (vitest setupFiles): keeps every structured log line the service writes
 * (Powertools JSON logs, EMF metrics) in this run's test/artifacts/run-<name>/logs/ (./run-dir.ts), for the log scan that closes `npm test`
 * (scripts/log-scan.ts). The lines are kept out of the terminal: the files hold them for whoever needs them.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { LOG_DIR } from './run-dir';

export { LOG_DIR };

mkdirSync(LOG_DIR, { recursive: true });
process.env.C2C_LOG_DIR = LOG_DIR;
const file = path.join(LOG_DIR, `worker-${process.pid}.jsonl`);
const isServiceLog = (line: string) => line.startsWith('{"level"') || line.startsWith('{"_aws"') || line.startsWith('{"cold_start"');

for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = (chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const lines = text.split('\n').filter(Boolean);
    if (lines.length > 0 && lines.every(isServiceLog)) {
      appendFileSync(file, text.endsWith('\n') ? text : `${text}\n`);
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }
    return write(chunk, ...rest);
  };
}
