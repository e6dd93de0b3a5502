/**
 * The markdown of the project's docs, as HTML: the subset docs/api.md is written in (headings, paragraphs, lists with
 * continuation lines, tables, fenced code, block quotes, inline code, links, bold and italic, and the `<a id="..."></a>`
 * anchors of the problem codes). Run at build time only (scripts/build-docs.ts): nothing of it ships in a Lambda.
 *
 * Everything is escaped except the anchors, whose ids are checked. Headings get GitHub's ids (lower case, punctuation
 * dropped, spaces as hyphens, `-1`, `-2` for repeats), so the document's own `#...` links land where they do on GitHub.
 * A link to another file of the repository is rendered as its text: the service serves this one document only.
 */

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const ANCHOR = /^<a id="([A-Za-z0-9_-]+)"><\/a>$/;
const HEADING = /^(#{1,6}) (.*)$/;
const FENCE = /^```(\w*)\s*$/;
const LIST_ITEM = /^(\s*)([-*]|\d+\.) (.*)$/;
const TABLE_SEPARATOR = /^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;

/** GitHub's heading ids: lower case, anything but letters, digits, `_`, `-` and spaces dropped, spaces as hyphens. */
export function slugOf(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}_\- ]/gu, '')
    .replace(/ /g, '-');
}

/**
 * Inline markup of one run of text: code spans are set aside first (nothing inside them is markup, and a link or bold
 * run may hold them), then links, bold and italic, then the code spans come back.
 */
export function renderInline(text: string): string {
  const spans: string[] = [];
  let html = escapeHtml(
    text.replace(/`([^`]+)`/g, (_m, code: string) => {
      spans.push(`<code>${escapeHtml(code)}</code>`);
      return `\u0000${spans.length - 1}\u0000`;
    }),
  );
  html = html.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_m, label: string, href: string) =>
    href.startsWith('#') || /^https?:\/\//.test(href) ? `<a href="${href}">${label}</a>` : label,
  );
  html = html.replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
  html = html.replace(/(^|[\s(])\*([^*\s][^*]*)\*(?=[\s).,:;]|$)/g, '$1<em>$2</em>');
  return html.replace(/\u0000(\d+)\u0000/g, (_m, n: string) => spans[Number(n)]!);
}

/** Code spans may hold `|`: split a table row on the pipes outside them. */
function cellsOf(row: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let inCode = false;
  for (const ch of row.trim().replace(/^\|/, '').replace(/\|$/, '')) {
    if (ch === '`') inCode = !inCode;
    if (ch === '|' && !inCode) {
      cells.push(cell.trim());
      cell = '';
    } else cell += ch;
  }
  cells.push(cell.trim());
  return cells;
}

/** The body of the document, as HTML. */
export function renderMarkdown(markdown: string): string {
  const lines = markdown.replace(/\r\n/g, '\n').split('\n');
  const out: string[] = [];
  const slugs = new Map<string, number>();
  const idFor = (text: string) => {
    const base = slugOf(text);
    const seen = slugs.get(base) ?? 0;
    slugs.set(base, seen + 1);
    return seen === 0 ? base : `${base}-${seen}`;
  };
  let i = 0;
  const isBlank = (line: string | undefined) => line === undefined || line.trim() === '';
  const startsBlock = (line: string) =>
    HEADING.test(line) ||
    FENCE.test(line) ||
    ANCHOR.test(line.trim()) ||
    LIST_ITEM.test(line) ||
    line.startsWith('|') ||
    line.startsWith('>');

  while (i < lines.length) {
    const line = lines[i]!;
    if (isBlank(line)) {
      i++;
      continue;
    }
    const anchor = ANCHOR.exec(line.trim());
    if (anchor) {
      out.push(`<a id="${anchor[1]}"></a>`);
      i++;
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      const level = heading[1]!.length;
      const text = heading[2]!.trim();
      out.push(
        `<h${level} id="${escapeHtml(idFor(text.replace(/`/g, '').replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')))}">${renderInline(text)}</h${level}>`,
      );
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const code: string[] = [];
      i++;
      while (i < lines.length && !/^```\s*$/.test(lines[i]!)) code.push(lines[i++]!);
      i++;
      out.push(`<pre><code${fence[1] ? ` class="language-${fence[1]}"` : ''}>${escapeHtml(code.join('\n'))}</code></pre>`);
      continue;
    }
    if (line.startsWith('|') && TABLE_SEPARATOR.test(lines[i + 1] ?? '')) {
      const head = cellsOf(line);
      i += 2;
      const rows: string[][] = [];
      while (i < lines.length && lines[i]!.startsWith('|')) rows.push(cellsOf(lines[i++]!));
      out.push(
        `<table><thead><tr>${head.map((c) => `<th>${renderInline(c)}</th>`).join('')}</tr></thead><tbody>` +
          rows.map((r) => `<tr>${r.map((c) => `<td>${renderInline(c)}</td>`).join('')}</tr>`).join('') +
          '</tbody></table>',
      );
      continue;
    }
    if (line.startsWith('>')) {
      const quoted: string[] = [];
      while (i < lines.length && lines[i]!.startsWith('>')) quoted.push(lines[i++]!.replace(/^> ?/, ''));
      out.push(`<blockquote>${renderMarkdown(quoted.join('\n'))}</blockquote>`);
      continue;
    }
    const item = LIST_ITEM.exec(line);
    if (item) {
      const ordered = /\d/.test(item[2]!);
      const items: string[] = [];
      while (i < lines.length) {
        const current = LIST_ITEM.exec(lines[i]!);
        if (!current) break;
        const body = [current[3]!];
        i++;
        // Continuation lines (indented, or a fenced block indented under the item) belong to the item.
        while (i < lines.length && !isBlank(lines[i]) && /^\s+/.test(lines[i]!) && !LIST_ITEM.test(lines[i]!))
          body.push(lines[i++]!.trim());
        items.push(`<li>${renderMarkdown(body.join('\n')).replace(/^<p>([\s\S]*)<\/p>$/, '$1')}</li>`);
        if (isBlank(lines[i]) && LIST_ITEM.test(lines[i + 1] ?? '') && /^\s/.test(lines[i + 1]!) === /^\s/.test(line)) i++;
      }
      const tag = ordered ? 'ol' : 'ul';
      out.push(`<${tag}>${items.join('')}</${tag}>`);
      continue;
    }
    const paragraph: string[] = [];
    while (i < lines.length && !isBlank(lines[i]) && (paragraph.length === 0 || !startsBlock(lines[i]!)))
      paragraph.push(lines[i++]!.trim());
    out.push(`<p>${renderInline(paragraph.join(' '))}</p>`);
  }
  return out.join('\n');
}
