import { base } from '../api';
import { $ } from '../dom';
import type { Health } from '../types';

/** The header's egress IP and stage, from `GET /v1/health` (no key needed). */
export function loadHealth() {
  return fetch(base + '/v1/health', { cache: 'no-store', credentials: 'omit' })
    .then((res) => res.json() as Promise<Health>)
    .then((health) => {
      $('egress-ip').textContent = health.egressIp || 'not known';
      $('stage').textContent = health.stage || '';
    })
    .catch(() => {
      $('egress-ip').textContent = 'unreachable';
    });
}
