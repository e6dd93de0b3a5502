/**
 * The last step of `npm test`: reads every log line the service wrote during the run (kept by
 * test/support/capture-logs.ts and by the local stack under C2C_LOG_DIR) and fails if any carries a
 * whole phone number or any kind of secret the service issues or stores: by shape where it has one
 * (test/support/log-rules.ts), by value where it has none (the secrets the run used, recorded by
 * test/support/record-secrets.ts).
 *
 * `log-scan.ts [log dir] [secrets dir]`: the test run's folders by default (test/support/run-dir.ts, named by C2C_TEST_RUN).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { KnownSecrets, leaksIn } from '../test/support/log-rules';
import { LOG_DIR as RUN_LOG_DIR, SECRETS_DIR } from '../test/support/run-dir';
import { knownSecrets } from '../test/support/secret-ledger';

const LOG_DIR = path.resolve(process.argv[2] ?? RUN_LOG_DIR);
const secrets = knownSecrets(path.resolve(process.argv[3] ?? SECRETS_DIR));
const known = new KnownSecrets(secrets);

function main() {
  if (!existsSync(LOG_DIR)) {
    console.error(`log scan: no logs in ${LOG_DIR}: did the tests run?`);
    process.exit(1);
  }
  const files = readdirSync(LOG_DIR);
  let lines = 0;
  const leaks: string[] = [];
  for (const file of files) {
    for (const [index, line] of readFileSync(path.join(LOG_DIR, file), 'utf8').split('\n').entries()) {
      if (!line) continue;
      const n = index + 1;
      lines++;
      // The line is not shown: it holds the secret. The file and line number find it.
      for (const what of leaksIn(line, known)) leaks.push(`${file}:${n}: ${what}`);
    }
  }
  if (lines === 0) {
    console.error('log scan: the logs are empty: the capture is broken');
    process.exit(1);
  }
  console.log(
    `log scan: ${lines} log lines in ${files.length} files, ${secrets.length} secrets of the run looked for: ${leaks.length} leaks`,
  );
  if (leaks.length > 0) {
    for (const leak of leaks.slice(0, 50)) console.error(`  ${leak}`);
    process.exit(1);
  }
}

main();
