import { loadConfig } from '../lib/config';
import { httpHandler, json } from '../lib/http/handler';

const config = loadConfig();

/** GET /v1/health: liveness, and the egress IP that each PBX customer must allowlist. */
export const handler = httpHandler({}, async () =>
  json(200, { status: 'ok', stage: config.STAGE, egressIp: config.EGRESS_IP ?? null, time: new Date().toISOString() }),
);
