import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const BENCHMARKS = path.resolve(__dirname, '../BENCHMARKS.md');

/**
 * Replaces one `## ` section of BENCHMARKS.md (from its heading up to the next `## ` heading), keeping the rest; a
 * section not there yet is added at the end.
 */
export function replaceSection(markdown: string, heading: string, section: string[]): string {
  const start = markdown.indexOf(`${heading}\n`);
  if (start < 0) return `${markdown.trimEnd()}\n\n${section.join('\n')}\n`;
  const next = markdown.indexOf('\n## ', start + heading.length);
  return `${markdown.slice(0, start)}${section.join('\n')}\n${next < 0 ? '' : markdown.slice(next + 1)}`;
}

/** Rewrites BENCHMARKS.md with `edit` applied to its text: a section's `--write` (one section replaced or placed). */
export function editBenchmarks(edit: (markdown: string) => string): void {
  writeFileSync(BENCHMARKS, edit(readFileSync(BENCHMARKS, 'utf8')));
}

/**
 * Runs a bench section's command line and ends the process when it is done: the compose root's clients and the
 * handlers' timers would keep it alive.
 */
export function runAndExit(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
