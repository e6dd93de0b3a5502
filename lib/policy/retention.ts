import type { CallPolicy } from '../model/call-policy';

/**
 * When a call expires (DynamoDB TTL, epoch seconds), for both fates it may still have: `full` once it reached
 * the PBX, `refused` while it is `rejected` or `not_sent`. Both count from the call's creation, so a call that
 * goes `not_sent` → `dispatching` → `dialing` ends up exactly where a call that dialled at once does. The call
 * item carries both, so the ledger can switch between them in the same conditional write that changes the state.
 */
export interface CallExpiry {
  full: number;
  refused: number;
}

const DAY_SEC = 86_400;

export function callExpiry(policy: Pick<CallPolicy, 'retentionDays' | 'refusedRetentionDays'>, createdAt: Date): CallExpiry {
  const created = Math.floor(createdAt.getTime() / 1000);
  const full = created + policy.retentionDays * DAY_SEC;
  // A refused call is never kept longer than a dialled one, whatever the two settings say.
  return { full, refused: Math.min(full, created + policy.refusedRetentionDays * DAY_SEC) };
}
