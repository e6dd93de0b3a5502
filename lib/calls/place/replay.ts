import type { StoredCall } from '../../store/calls';
import { NOT_SENT_RETRY_AFTER_SEC, storedReasonCode, type PlaceCallOutcome } from '../outcome';
import { toCallResource } from '../resource';
import type { PlaceContext, ReplayBasis } from './context';
import { retryNotSent, retryTeamNotSent } from './retry';

/** A second delivery of a key: answer from the ledger; dial again only after `not_sent`. */
export async function replay(ctx: PlaceContext, existing: StoredCall, basis: ReplayBasis): Promise<PlaceCallOutcome> {
  if (existing.requestHash !== basis.hash) {
    return { kind: 'refused', code: 'idempotency_key_reused', detail: 'This idempotency key was used for a different request.' };
  }
  const { tenant, agent, number } = basis;
  if (existing.state === 'not_sent' && number && existing.team) return retryTeamNotSent(ctx, existing, tenant, number);
  if (existing.state === 'not_sent' && agent && number) return retryNotSent(ctx, existing, tenant, agent, number);
  return replayAnswer(existing);
}

/**
 * The answer to a replay of the same request, from the call as the ledger holds it: a refusal replays as one (with
 * the code the call was kept with), a waiting or unsettled call as pending, any other as replayed. Nothing is sent.
 */
export function replayAnswer(existing: StoredCall): PlaceCallOutcome {
  const call = toCallResource(existing, true);
  switch (existing.state) {
    case 'rejected':
      return {
        kind: 'refused',
        code: storedReasonCode(existing.reason, ['refused'], 'rejected'),
        detail: 'This request was refused before.',
        call,
      };
    case 'not_sent':
      return {
        kind: 'refused',
        code: storedReasonCode(existing.reason, ['rate_limited', 'unavailable'], 'pbx_unreachable'),
        detail: 'The call has not been sent yet.',
        retryAfterSec: NOT_SENT_RETRY_AFTER_SEC,
        call,
      };
    case 'accepted':
    case 'scheduled':
    case 'queued':
    case 'dispatching':
    case 'unknown':
      return { kind: 'call', progress: 'pending', call };
    default:
      return { kind: 'call', progress: 'replayed', call };
  }
}
