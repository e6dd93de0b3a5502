import { emptyOutcome } from '../../lib/model/call';
import type { StoredCall } from '../../lib/store/calls';

/**
 * A stored call as the ledger would write it, for tests that put calls in the table directly:
 * dialled by agent u-17 to +447766889900, created `createdAt` (now by default); override what matters.
 */
export function storedCall(overrides: Partial<StoredCall> & Pick<StoredCall, 'callId' | 'tenantId'>): StoredCall {
  const at = overrides.createdAt ?? new Date().toISOString();
  return {
    state: 'dialing',
    reason: null,
    agent: { crmUserId: 'u-17', extension: '1000' },
    crmUserId: 'u-17',
    to: '+447766889900',
    legB: '447766889900',
    prefix: null,
    lead: null,
    customData: {},
    pbx: null,
    outcome: emptyOutcome(),
    events: [{ at, state: 'accepted' }],
    source: 'api',
    idempotencyKey: `key-${overrides.callId}`,
    duplicate: false,
    createdAt: at,
    updatedAt: at,
    requestHash: 'hash',
    attempt: 1,
    ...overrides,
  };
}
