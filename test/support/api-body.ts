/**
 * A JSON body of the API as the tests read it (docs/API.md): the fields of the call resource, of the lists and
 * figures, and of problem+json, all in one type. Each answer carries only some of them, so each is optional: a test
 * reads the one it asserts on, and the assertion checks that it is there.
 */
export interface ApiBody {
  // the call resource (POST /v1/calls, GET /v1/calls/{callId}, the hooks)
  callId?: string;
  state?: string;
  duplicate?: boolean;
  to?: string;
  legB?: string;
  reason?: string;
  agent?: { crmUserId: string; extension: string };
  lead?: { id: string; type?: string | null };
  pbx?: { uniqueId?: string; message?: string };
  events?: Array<{ state: string; at: string; detail?: string }>;
  team?: string | null;
  routing?: { team: string; chosen: string | null; decidedAt: string | null; passedOver: Array<{ crmUserId: string; reason: string }> };
  schedule?: { notBefore: string; reason: string } | null;
  queue?: { maxWaitSec: number; since: string | null; until: string | null } | null;
  // lists and figures
  calls?: ApiBody[];
  nextCursor?: string | null;
  agents?: Array<{ crmUserId: string; extension?: string; name?: string; email?: string }>;
  days?: unknown[];
  // problem+json (lib/http/errors.ts)
  type?: string;
  title?: string;
  status?: number | string;
  code?: string;
  detail?: string;
  errors?: Array<{ path: string; message: string }>;
  call?: ApiBody;
  // the PBX probe (POST /v1/pbx/probe)
  verdict?: string;
  answer?: { detail?: string };
}

/** The value, or the test stops here naming what the answer lacked (rather than carrying `undefined` on). */
export function present<T>(value: T | null | undefined, what: string): T {
  if (value === undefined || value === null) throw new Error(`expected ${what} in the answer`);
  return value;
}

/** The id of the call an answer is about: its own `callId`, or the rejected call's in a problem. */
export const callIdOf = (res: { body: ApiBody }): string => present(res.body.callId ?? res.body.call?.callId, 'a callId');
