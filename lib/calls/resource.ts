import type { Call } from '../model/call';
import type { StoredCall } from '../store/calls';

/** The public call resource of docs/api.md: the stored call without the ledger's own fields. */
export function toCallResource(call: StoredCall, duplicate = false): Call {
  const {
    requestHash: _h,
    attempt: _a,
    crmUserId: _c,
    reconcile: _r,
    notified: _n,
    notify: _o,
    expiry: _x,
    reservedBy: _t,
    ...resource
  } = call;
  return { ...resource, duplicate };
}
