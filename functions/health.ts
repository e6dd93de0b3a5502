import { healthReport } from '../lib/compose/health';
import { httpHandler, json } from '../lib/http/handler';

const report = healthReport();

/** GET /v1/health: liveness, and the egress IP that each PBX customer must allowlist. */
export const handler = httpHandler({}, () => Promise.resolve(json(200, report())));
