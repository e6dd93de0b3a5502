/**
 * The secrets a test run handed the service, for the log scan (scripts/log-scan.ts). Most secrets the service
 * issues have a shape the scan knows (`c2c_…` keys, `whsec_…`, `c2ct_…`); the ones a customer chooses (a PBX
 * password, a CDR key, a HubSpot client secret, a Pipedrive password, a token of their own) have none, so the
 * scan looks for the very values this run used. test/support/record-secrets.ts records each one at the point
 * where the service takes it in (sealed, or hashed); each worker writes its own file, one JSON string a line.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SECRETS_DIR } from './run-dir';

export { SECRETS_DIR };

/**
 * Shorter values cannot be told from words and ids in a log line ("secret", "acme-1"); the model's own secrets
 * are far longer (whsec_ keys 24+ bytes, tokens 24+ characters), and a test's PBX passwords are chosen to be.
 */
export const MIN_KNOWN_SECRET = 10;

const recorded = new Set<string>();

/** The parts of a secret worth looking for: the value, and the password of a `user:password` pair. */
export function secretParts(value: string): string[] {
  const colon = value.indexOf(':');
  const parts = colon > 0 ? [value, value.slice(colon + 1)] : [value];
  return parts.filter((p) => p.length >= MIN_KNOWN_SECRET);
}

/** Records a secret the service took in (in this worker's file under `dir`). */
export function recordSecret(value: string, dir = process.env.C2C_SECRETS_DIR ?? SECRETS_DIR): void {
  for (const part of secretParts(value)) {
    if (recorded.has(`${dir}\n${part}`)) continue;
    recorded.add(`${dir}\n${part}`);
    mkdirSync(dir, { recursive: true });
    appendFileSync(path.join(dir, `worker-${process.pid}.jsonl`), `${JSON.stringify(part)}\n`);
  }
}

/** Every secret recorded under `dir` by any worker of the run. */
export function knownSecrets(dir = SECRETS_DIR): string[] {
  if (!existsSync(dir)) return [];
  const all = new Set<string>();
  for (const file of readdirSync(dir)) {
    for (const line of readFileSync(path.join(dir, file), 'utf8').split('\n')) if (line) all.add(JSON.parse(line) as string);
  }
  return [...all];
}
