import { createHash } from 'node:crypto';
import { API_DOC_HTML } from './generated/api-html';

/**
 * `GET /docs/api.md`: the contract, docs/api.md, as one HTML page (rendered at build time: scripts/build-docs.ts).
 * It is where every problem's `type` points (`/docs/api.md#problem-<code>`, lib/http/errors.ts): each code's section
 * carries the element with that id (an empty anchor in a paragraph of its own, marked's rendering of raw inline HTML: the
 * style lights up the heading after it). Static text only: no script may run, and the one inline style is allowed by
 * hash; the rendered body carries no style attribute (test/unit/docs/api-page.test.ts), which the policy would block.
 */
export interface DocsPage {
  html: string;
  headers: Record<string, string>;
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1c1c1c}
code,pre{font:13px/1.4 ui-monospace,monospace;background:#f4f4f4}pre{padding:.6rem;overflow-x:auto}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top;text-align:left}
h1,h2,h3,h4{line-height:1.2}:target,p:has(>a:target)+*{background:#fff3c4}`;

const hashSource = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

export function renderDocsPage(): DocsPage {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>c2c HTTP API, v1</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
${API_DOC_HTML}
</body>
</html>
`;
  return {
    html,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': [
        "default-src 'none'",
        `style-src ${hashSource(STYLE)}`,
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].join('; '),
      'cache-control': 'public, max-age=300',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-resource-policy': 'same-origin',
    },
  };
}
