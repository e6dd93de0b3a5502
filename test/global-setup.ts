import { rmSync } from 'node:fs';
import path from 'node:path';

/** Each run starts with empty log and secret folders, so the log scan judges this run only. */
export default function setup() {
  rmSync(path.resolve(__dirname, 'artifacts/logs'), { recursive: true, force: true });
  rmSync(path.resolve(__dirname, 'artifacts/secrets'), { recursive: true, force: true });
}
