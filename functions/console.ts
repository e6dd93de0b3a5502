import { consolePage } from '../lib/compose/console';
import { httpHandler } from '../lib/http/handler';

const page = consolePage();

/** GET /console: the operator console, one self-contained page; its data comes from the API with the operator's key. */
export const handler = httpHandler({}, () => Promise.resolve({ status: 200, text: page.html, headers: page.headers }));
