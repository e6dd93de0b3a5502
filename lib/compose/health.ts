import { perRoot } from './root';

/** GET /v1/health: liveness, and the egress IP that each PBX customer must allowlist. */
export const healthReport = perRoot((r) => () => ({
  status: 'ok',
  stage: r.config.STAGE,
  egressIp: r.config.EGRESS_IP ?? null,
  time: r.clock().toISOString(),
}));
