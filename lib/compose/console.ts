import { pbxSimulatorUrl } from '../config';
import { renderConsolePage, simulatorOriginOf } from '../console/page';
import { logger } from '../observability/logger';
import { once } from './root';

/**
 * GET /console: static per container, so rendered (and its CSP hashes computed) once. PBX_SIMULATOR_URL is set by
 * the local stack only: its console also shows the PBX simulator's calls. Ignored unless a loopback URL.
 */
export const consolePage = once(() => {
  const url = pbxSimulatorUrl();
  const simulatorOrigin = simulatorOriginOf(url);
  if (url && !simulatorOrigin) logger.warn('PBX_SIMULATOR_URL ignored: not a loopback http URL');
  return renderConsolePage({ simulatorOrigin });
});
