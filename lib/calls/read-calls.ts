import type { Call } from '../model/call-resource';
import type { ListCallsQuery } from '../model/call-query';
import type { CallLedger, CallQueries } from '../store/calls';
import { toCallResource } from './resource';

const CALL_ID = /^c_[0-9A-Z]{26}$/;

/** The call resources of a tenant, as API.md shows them: one by id, or a page of a filtered list, newest first. */
export class ReadCalls {
  constructor(private readonly deps: { calls: { ledger: Pick<CallLedger, 'get'>; queries: Pick<CallQueries, 'list'> } }) {}

  /** Undefined for an id that cannot be a call's: no read is spent on it. */
  async get(tenantId: string, callId: string): Promise<Call | undefined> {
    const call = CALL_ID.test(callId) ? await this.deps.calls.ledger.get(tenantId, callId) : undefined;
    return call ? toCallResource(call) : undefined;
  }

  async list(tenantId: string, q: ListCallsQuery): Promise<{ calls: Call[]; nextCursor: string | null }> {
    const page = await this.deps.calls.queries.list(
      tenantId,
      { leadId: q.leadId, crmUserId: q.agent, state: q.state, from: q.from, to: q.to },
      { limit: q.limit, cursor: q.cursor },
    );
    return { calls: page.items.map((call) => toCallResource(call)), nextCursor: page.nextCursor ?? null };
  }
}
