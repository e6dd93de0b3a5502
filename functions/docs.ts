import { docsPage } from '../lib/compose/docs';
import { httpHandler } from '../lib/http/handler';

const page = docsPage();

/** GET /docs/api.md: the contract (docs/api.md) as HTML, where every problem's `type` points (`#problem-<code>`). */
export const handler = httpHandler({}, () => Promise.resolve({ status: 200, text: page.html, headers: page.headers }));
