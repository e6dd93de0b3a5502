import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_DOC_HTML } from '../../../lib/docs/generated/api-html';
import { renderDocsPage } from '../../../lib/docs/page';
import { PROBLEM_TYPE_BASE } from '../../../lib/http/errors';
import { PROBLEM_KINDS } from '../../../lib/model/domain-error';
import { API_DOC, GENERATED_DOCS_MODULE, generatedDocsModule } from '../../../scripts/build-docs';
import { renderInline, renderMarkdown, slugOf } from '../../../scripts/markdown';

const markdown = readFileSync(API_DOC, 'utf8');
const documented = [...markdown.matchAll(/<a id="problem-([a-z0-9_]+)"><\/a>/g)].map((m) => m[1]!);

describe('the contract served as HTML (GET /docs/api.md, npm run build:docs)', () => {
  it('has rendered the current docs/api.md: lib/docs/generated/ is not stale', () => {
    const fresh = readFileSync(GENERATED_DOCS_MODULE, 'utf8') === generatedDocsModule(markdown);
    expect(fresh, 'lib/docs/generated/api-html.ts is stale: run `npm run build:docs` and commit it').toBe(true);
  });

  it("carries the element of every problem type's fragment: each documented code, every code a DomainError can carry", () => {
    expect(documented).toEqual(expect.arrayContaining(Object.keys(PROBLEM_KINDS)));
    for (const code of documented) {
      const fragment = new URL(`${PROBLEM_TYPE_BASE}${code}`, 'https://api.example/').hash.slice(1);
      expect(API_DOC_HTML, code).toContain(`<a id="${fragment}"></a>`);
    }
  });

  it('lands every link of the document on an element of its own', () => {
    const ids = new Set([...API_DOC_HTML.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]));
    const targets = [...API_DOC_HTML.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]!);
    expect(targets.length).toBeGreaterThan(50);
    expect(targets.filter((t) => !ids.has(t))).toEqual([]);
  });

  it('is served as HTML under a CSP that allows its one style by hash and nothing else', async () => {
    const page = renderDocsPage();
    const csp = page.headers['content-security-policy']!;
    expect(csp).toMatch(
      /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'$/,
    );
    const style = /<style>([\s\S]*?)<\/style>/.exec(page.html)![1]!;
    expect(csp).toContain(`'sha256-${createHash('sha256').update(style, 'utf8').digest('base64')}'`);
    expect(page.html).not.toMatch(/<script/i);
    const { handler } = await import('../../../functions/docs');
    const event = { version: '2.0', routeKey: 'GET /docs/api.md', rawPath: '/docs/api.md', rawQueryString: '', headers: {} };
    const res = (await handler(
      { ...event, requestContext: { http: { method: 'GET', path: '/docs/api.md' } } } as never,
      {
        awsRequestId: 'docs',
      } as never,
    )) as { statusCode: number; headers: Record<string, string>; body: string };
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe(csp);
    expect(res.body).toBe(page.html);
  });
});

describe('the markdown renderer (scripts/markdown.ts)', () => {
  it('escapes everything but the problem anchors, and keeps code spans verbatim inside links and bold runs', () => {
    expect(renderMarkdown('<script>alert(1)</script> & "x"')).toBe('<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;</p>');
    expect(renderMarkdown('<a id="problem-x"></a>\n#### `x`')).toBe('<a id="problem-x"></a>\n<h4 id="x"><code>x</code></h4>');
    expect(renderMarkdown('<a id="x" onclick="y"></a>')).toContain('&lt;a id=');
    expect(renderInline('**At most `n` calls** [`429 waiting_limit`](#problem-waiting_limit)')).toBe(
      '<strong>At most <code>n</code> calls</strong> <a href="#problem-waiting_limit"><code>429 waiting_limit</code></a>',
    );
  });

  it('renders a link to another file of the repository as its text: only this document is served', () => {
    expect(renderInline('see [design.md](design.md) and [RFC](https://www.rfc-editor.org/rfc/rfc9457)')).toBe(
      'see design.md and <a href="https://www.rfc-editor.org/rfc/rfc9457">RFC</a>',
    );
    expect(renderInline('[x](javascript:alert(1))')).toBe('x)');
  });

  it('gives headings GitHub ids, numbering repeats', () => {
    expect(slugOf('Place a call: `POST /v1/calls`')).toBe('place-a-call-post-v1calls');
    expect(renderMarkdown('## A\n\n## A')).toBe('<h2 id="a">A</h2>\n<h2 id="a-1">A</h2>');
  });

  it('renders tables (code spans may hold pipes), lists with continuation lines, and fenced code', () => {
    expect(renderMarkdown('| a | b |\n|---|---|\n| `x|y` | 2 |')).toBe(
      '<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td><code>x|y</code></td><td>2</td></tr></tbody></table>',
    );
    expect(renderMarkdown('1. one\n   more\n2. two')).toBe('<ol><li>one more</li><li>two</li></ol>');
    expect(renderMarkdown('```json\n{"a": "<b>"}\n```')).toBe(
      '<pre><code class="language-json">{&quot;a&quot;: &quot;&lt;b&gt;&quot;}</code></pre>',
    );
  });
});
