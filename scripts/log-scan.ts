/**
 * The last step of `npm test`: reads every log line the service wrote during the run (kept by
 * test/support/capture-logs.ts and by the local stack under C2C_LOG_DIR) and fails if any carries a
 * whole phone number, an API key, a webhook secret or a credential header.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { leaksIn } from '../test/support/log-rules';

const LOG_DIR = path.resolve(__dirname, '../test/artifacts/logs');

function main() {
  if (!existsSync(LOG_DIR)) {
    console.error(`log scan: no logs in ${LOG_DIR}: did the tests run?`);
    process.exit(1);
  }
  const files = readdirSync(LOG_DIR);
  let lines = 0;
  const leaks: string[] = [];
  for (const file of files) {
    for (const line of readFileSync(path.join(LOG_DIR, file), 'utf8').split('\n')) {
      if (!line) continue;
      lines++;
      for (const what of leaksIn(line)) leaks.push(`${file}: ${what}: ${line.slice(0, 200)}`);
    }
  }
  if (lines === 0) {
    console.error('log scan: the logs are empty: the capture is broken');
    process.exit(1);
  }
  console.log(`log scan: ${lines} log lines in ${files.length} files: ${leaks.length} leaks`);
  if (leaks.length > 0) {
    for (const leak of leaks.slice(0, 50)) console.error(`  ${leak}`);
    process.exit(1);
  }
}

main();
