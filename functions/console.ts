import { renderConsolePage, simulatorOriginOf } from '../lib/console/page';
import { httpHandler } from '../lib/http/handler';
import { logger } from '../lib/http/logger';

// Set by the local stack only: its console also shows the PBX simulator's calls. Ignored unless a loopback URL.
const simulatorOrigin = simulatorOriginOf(process.env.PBX_SIMULATOR_URL);
if (process.env.PBX_SIMULATOR_URL && !simulatorOrigin) logger.warn('PBX_SIMULATOR_URL ignored: not a loopback http URL');

// The page is static per container: rendered (and its CSP hashes computed) once, at cold start.
const page = renderConsolePage({ simulatorOrigin });

/** GET /console: the operator console, one self-contained page; its data comes from the API with the operator's key. */
export const handler = httpHandler({}, async () => ({ status: 200, text: page.html, headers: page.headers }));
