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
