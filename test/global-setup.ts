import { rmSync } from 'node:fs';
import path from 'node:path';

/** Each run starts with an empty log folder, so the log scan judges this run only. */
export default function setup() {
  rmSync(path.resolve(__dirname, 'artifacts/logs'), { recursive: true, force: true });
}
