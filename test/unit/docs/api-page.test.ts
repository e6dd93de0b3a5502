import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_DOC_HTML } from '../../../lib/docs/generated/api-html';
import { renderDocsPage } from '../../../lib/docs/page';
import { PROBLEM_TYPE_BASE } from '../../../lib/http/errors';
import { PROBLEM_KINDS } from '../../../lib/model/domain-error';
import { API_DOC, GENERATED_DOCS_MODULE, generatedDocsModule, renderApiDoc } from '../../../scripts/build-docs';

const markdown = readFileSync(API_DOC, 'utf8');
const HTTP_DIR = path.resolve(__dirname, '../../../lib/http');

/** The codes lib/http answers with of its own (not from a DomainError): the literal code of each `new X(...)` or `super(...)`. */
const httpCodes = () =>
  readdirSync(HTTP_DIR)
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) => [
      ...readFileSync(path.join(HTTP_DIR, file), 'utf8').matchAll(/(?:new [A-Z]\w*|super)\(\s*(?:\d{3}\s*,\s*)?'([a-z][a-z0-9_]*)'/g),
    ])
    .map((m) => m[1]!);

/** The ids of the rendered document: what a `#fragment` can land on. */
const renderedIds = new Set([...API_DOC_HTML.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]!));

describe('the contract served as HTML (GET /docs/api.md, npm run build:docs)', () => {
  it('has rendered the current docs/api.md: lib/docs/generated/ is not stale', () => {
    const checkedIn = readFileSync(GENERATED_DOCS_MODULE, 'utf8');
    expect(
      checkedIn === generatedDocsModule(markdown),
      'lib/docs/generated/api-html.ts is stale: run `npm run build:docs` and commit it',
    ).toBe(true);
    // The comparison sees an edit of the document: one more sentence makes the checked-in module stale.
    expect(generatedDocsModule(`${markdown}\nOne more sentence.\n`)).not.toBe(checkedIn);
  });

  it("carries the element of every problem type's fragment: every code a DomainError can carry, and lib/http's own", () => {
    const own = httpCodes();
    expect(own).toEqual(expect.arrayContaining(['invalid_request', 'unauthorized', 'not_found', 'internal_error']));
    for (const code of new Set([...Object.keys(PROBLEM_KINDS), ...own])) {
      const fragment = new URL(`${PROBLEM_TYPE_BASE}${code}`, 'https://api.example/').hash.slice(1);
      expect(API_DOC_HTML, code).toContain(`<a id="${fragment}"></a>`);
    }
  });

  it('lands every `#fragment` link of docs/api.md, and of the rendered page, on an element of the page', () => {
    // Links of the document's prose: fenced code and code spans hold none.
    const prose = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`]*`/g, '');
    const written = [...prose.matchAll(/\]\(#([^)\s]+)\)/g)].map((m) => m[1]!);
    expect(written.length).toBeGreaterThan(50);
    expect(written.filter((fragment) => !renderedIds.has(fragment))).toEqual([]);
    const rendered = [...API_DOC_HTML.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]!);
    expect(rendered.length).toBe(written.length);
    expect(rendered.filter((fragment) => !renderedIds.has(fragment))).toEqual([]);
  });

  it('is served as HTML under a CSP that allows its one style by hash and nothing else', async () => {
    const page = renderDocsPage();
    const csp = page.headers['content-security-policy']!;
    expect(csp).toMatch(
      /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'$/,
    );
    const style = /<style>([\s\S]*?)<\/style>/.exec(page.html)![1]!;
    expect(csp).toContain(`'sha256-${createHash('sha256').update(style, 'utf8').digest('base64')}'`);
    expect(page.html.match(/<style/gi)).toHaveLength(1);
    expect(page.html).not.toMatch(/<script/i);
    // What the policy would block, and the page therefore must not rely on: style attributes, handlers, other sources.
    expect(API_DOC_HTML).not.toMatch(/ (?:style|on\w+|src)=/i);
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

describe('the renderer of docs/api.md (marked, scripts/build-docs.ts)', () => {
  it('passes the problem anchors through and escapes any other raw HTML', () => {
    expect(renderApiDoc('<a id="problem-x"></a>\n### `x`')).toBe('<p><a id="problem-x"></a></p>\n<h3 id="x"><code>x</code></h3>\n');
    expect(renderApiDoc('<script>alert(1)</script>')).not.toContain('<script');
    expect(renderApiDoc('a <b onclick="y">z</b> <a id="q" href="https://x.example">w</a>')).toBe(
      '<p>a &lt;b onclick=&quot;y&quot;&gt;z&lt;/b&gt; &lt;a id=&quot;q&quot; href=&quot;https://x.example&quot;&gt;w</a></p>\n',
    );
  });

  it('renders a link to another file of the repository, or of another scheme, as its text: only this document is served', () => {
    expect(renderApiDoc('see [design.md](design.md#x), [RFC](https://www.rfc-editor.org/rfc/rfc9457), [x](javascript:alert(1))')).toBe(
      '<p>see design.md, <a href="https://www.rfc-editor.org/rfc/rfc9457">RFC</a>, x</p>\n',
    );
  });

  it('gives headings GitHub ids, numbering repeats', () => {
    expect(renderApiDoc('## Place a call: `POST /v1/calls`\n\n## A\n\n## A')).toBe(
      '<h2 id="place-a-call-post-v1calls">Place a call: <code>POST /v1/calls</code></h2>\n<h2 id="a">A</h2>\n<h2 id="a-1">A</h2>\n',
    );
  });

  it('renders GFM tables and escapes fenced code', () => {
    expect(renderApiDoc('| a | b |\n|---|---|\n| `x\\|y` | 2 |')).toBe(
      '<table>\n<thead>\n<tr>\n<th>a</th>\n<th>b</th>\n</tr>\n</thead>\n<tbody><tr>\n<td><code>x|y</code></td>\n<td>2</td>\n</tr>\n</tbody></table>\n',
    );
    expect(renderApiDoc('```json\n{"a": "<b>"}\n```')).toBe(
      '<pre><code class="language-json">{&quot;a&quot;: &quot;&lt;b&gt;&quot;}\n</code></pre>\n',
    );
  });
});
