import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const SKIP = new Set(['node_modules', '.git', '.esbuild', '.serverless', '.local', 'artifacts', 'coverage']);

function markdownFiles(dir = ''): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) return SKIP.has(entry.name) ? [] : markdownFiles(rel);
    return entry.name.endsWith('.md') ? [rel] : [];
  });
}

/** The anchors a renderer such as GitHub's gives a Markdown file: heading slugs, and explicit `id`s. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of text.replace(/```[\s\S]*?```/g, '').split('\n')) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) {
      const slug = heading[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-');
      const n = seen.get(slug) ?? 0;
      seen.set(slug, n + 1);
      anchors.add(n === 0 ? slug : `${slug}-${n}`);
    }
    for (const m of line.matchAll(/\bid="([^"]+)"/g)) anchors.add(m[1]!);
  }
  return anchors;
}

/** Relative links of a Markdown file (inline `[text](target)`), outside code blocks and code spans. */
function relativeLinks(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

describe('the repository documentation', () => {
  const files = markdownFiles();

  it('finds the docs it checks', () => {
    expect(files).toEqual(
      expect.arrayContaining(['README.md', path.join('docs', 'api.md'), path.join('docs', 'pbx.md'), path.join('docs', 'design.md')]),
    );
  });

  it('links only to files inside the repository that exist, and to anchors they have', () => {
    const broken: string[] = [];
    for (const file of files) {
      for (const link of relativeLinks(readFileSync(path.join(ROOT, file), 'utf8'))) {
        const [target = '', fragment] = link.split('#');
        const resolved = target === '' ? path.join(ROOT, file) : path.resolve(ROOT, path.dirname(file), decodeURIComponent(target));
        if (path.relative(ROOT, resolved).startsWith('..')) broken.push(`${file}: ${link} leaves the repository`);
        else if (!existsSync(resolved)) broken.push(`${file}: ${link} does not exist`);
        else if (
          fragment &&
          resolved.endsWith('.md') &&
          statSync(resolved).isFile() &&
          !anchorsOf(readFileSync(resolved, 'utf8')).has(fragment)
        ) {
          broken.push(`${file}: ${link} has no such anchor`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('names only source files that exist (README.md and docs/)', () => {
    const stale = files
      .filter((file) => file === 'README.md' || file.startsWith(`docs${path.sep}`))
      .flatMap((file) =>
        [...readFileSync(path.join(ROOT, file), 'utf8').matchAll(/`((?:lib|functions|resources|local|scripts|bin)\/[\w./-]+)`/g)]
          .map((m) => m[1]!)
          .filter((named) => !existsSync(path.join(ROOT, named)))
          .map((named) => `${file}: ${named}`),
      );
    expect(stale).toEqual([]);
  });

  it("covers every top-level folder and every folder of lib/ in the README's layout", () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('\n## Layout\n');
    expect(start).toBeGreaterThanOrEqual(0);
    const next = readme.indexOf('\n## ', start + 1);
    const layout = readme.slice(start, next === -1 ? undefined : next);
    const folders = (dir: string) =>
      readdirSync(path.join(ROOT, dir), { withFileTypes: true })
        .filter((e) => e.isDirectory() && !SKIP.has(e.name) && !(dir === '' && e.name.startsWith('.') && e.name !== '.ci'))
        .map((e) => `${dir ? `${dir}/` : ''}${e.name}/`);
    const missing = [...folders(''), ...folders('lib')].filter((folder) => !layout.includes(`\`${folder}\``));
    expect(missing).toEqual([]);
  });
});
