import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Writes a generated module only when its text changed; true when it wrote. An unchanged source leaves the file
 * untouched: no needless reload in watchers, no new modification time for the build steps of `npm test`.
 */
export function writeIfChanged(file: string, text: string): boolean {
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    // first build
  }
  if (current === text) return false;
  writeFileSync(file, text);
  return true;
}
