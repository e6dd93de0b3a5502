import { DeleteCommand, GetCommand, type BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billWrite, itemSize, tableDef } from '../../bench/dynamo-meter';
import { emptyOutcome, type CallState } from '../../lib/model/call';
import { CALL_INDEX, LEGACY_CALL_INDEX_ATTRS, type CallIndexMode } from '../../lib/store/call-index-keys';
import { CallRepository, type StoredCall } from '../../lib/store/calls';
import { MAX_STORED_HOST, MAX_STORED_TEXT } from '../../lib/store/calls/stored-call';
import type { ListCallsFilter } from '../../lib/store/calls';
import type { Table } from '../../lib/store/client';
import { callSk, tenantPk } from '../../lib/store/keys';
import { TenantInspector } from '../../lib/store/inspect';
import { createTable, startDynalite, type LocalDynamo } from '../../local/dynamo';
import { storedCall } from '../support/calls';
import { createStagedTable } from '../support/staged-call-indexes';

/**
 * The narrow call indexes (issue 22, "Cost per call"; lib/store/call-index-keys.ts): what each mode writes on a call,
 * that the listings answer the same calls through the keys-only indexes as through the whole-item ones, that an update
 * of a placed call writes no index copy, and that a call erased between a key page and its read is passed over.
 */

let dynamo: LocalDynamo;
/** The migration's middle: the final table with gsi3 still beside the keys-only indexes. */
let staged: Table;
/** The final table (lib/store/table-schema.json). */
let final: Table;

beforeAll(async () => {
  dynamo = await startDynalite();
  staged = await createStagedTable(dynamo.endpoint);
  final = { ...staged, name: 'c2c-final-indexes' };
  await createTable(dynamo.endpoint, final.name);
});

afterAll(async () => {
  staged?.doc.destroy();
  await dynamo?.close();
});

const LISTING_ATTRS = ['ct', 'ca', 'cl', 'cs', ...LEGACY_CALL_INDEX_ATTRS];
const listingKeysOf = (item: Record<string, unknown> | undefined) => LISTING_ATTRS.filter((a) => item?.[a] !== undefined).sort();

async function rawItem(table: Table, tenantId: string, callId: string) {
  return (await table.doc.send(new GetCommand({ TableName: table.name, Key: { pk: tenantPk(tenantId), sk: callSk(callId) } }))).Item;
}

const ROUTING = { team: 'sales', chosen: 'u-17', decidedAt: '2026-07-01T10:00:01.000Z', passedOver: [], attempts: 1 };

describe('a call write carries exactly the listing keys of its mode', () => {
  it.each<[CallIndexMode, string[], string[]]>([
    ['narrow', ['ca', 'cl', 'cs', 'ct'], ['cs', 'ct']],
    ['migrating', ['ca', 'cl', 'cs', 'ct', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk'], ['cs', 'ct', 'gsi3pk', 'gsi3sk']],
    ['switched', ['ca', 'cl', 'cs', 'ct', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk'], ['cs', 'ct', 'gsi3pk', 'gsi3sk']],
  ])('%s: the reservation, and a team call given its agent by the scheduler and by a redispatch', async (mode, placed, teamCall) => {
    const calls = new CallRepository(staged, undefined, undefined, mode);
    const tenantId = `keys-${mode}`;
    const withAgent = storedCall({ callId: 'c_agent', tenantId, lead: { id: 'L-1' } });
    expect((await calls.reserve(withAgent)).reserved).toBe(true);
    expect(listingKeysOf(await rawItem(staged, tenantId, 'c_agent'))).toEqual(placed);

    // A team call waits with no agent: only the tenant's keys; the agent's come with the claim, or with a redispatch.
    const team = (callId: string, state: CallState) =>
      storedCall({ callId, tenantId, state, agent: {}, crmUserId: undefined, team: 'sales', routing: { ...ROUTING, chosen: null } });
    await calls.reserve(team('c_queued', 'queued'));
    await calls.reserve(team('c_retry', 'not_sent'));
    expect(listingKeysOf(await rawItem(staged, tenantId, 'c_queued'))).toEqual(teamCall);
    const agent = { crmUserId: 'u-17', extension: '1000' };
    const createdAt = withAgent.createdAt;
    const claimed = await calls.waiting.claimWaiting(tenantId, 'c_queued', {
      from: 'queued',
      attempt: 1,
      reservedBy: 'run-1',
      agent,
      crmUserId: 'u-17',
      routing: ROUTING,
      createdAt,
    });
    expect(claimed?.crmUserId).toBe('u-17');
    expect(await calls.redispatch(tenantId, 'c_retry', 'hash', 1, { agent, crmUserId: 'u-17', routing: ROUTING, createdAt })).toBeDefined();
    const withAgentKeys = [...teamCall, 'ca', ...(mode === 'narrow' ? [] : ['gsi2pk', 'gsi2sk'])].sort();
    for (const callId of ['c_queued', 'c_retry']) {
      const item = await rawItem(staged, tenantId, callId);
      expect(listingKeysOf(item), callId).toEqual(withAgentKeys);
      expect(item?.ca).toBe(`${tenantId}#u-17`);
      if (mode !== 'narrow') expect(item?.gsi2pk).toBe(`TENANT#${tenantId}#AGENTCALLS#u-17`);
    }
  });
});

describe('the listings answer the same through the keys-only indexes as through the whole-item ones', () => {
  const tenantId = 'same-lists';
  const STATES: CallState[] = ['completed', 'no_answer', 'dialing', 'completed', 'failed'];
  const base = Date.parse('2026-07-01T08:00:00.000Z');

  beforeAll(async () => {
    // Written in `switched` mode: both key sets on every call.
    const writer = new CallRepository(staged, undefined, undefined, 'switched');
    for (let i = 0; i < 45; i++) {
      const call: StoredCall = storedCall({
        callId: `c_${String(i).padStart(26, '0')}`,
        tenantId,
        state: STATES[i % STATES.length]!,
        agent: { crmUserId: `u-${i % 3}` },
        crmUserId: `u-${i % 3}`,
        lead: i % 4 === 0 ? null : { id: `L-${i % 2}` },
        outcome: emptyOutcome(),
        idempotencyKey: `k-${i}`,
        // Two calls of one instant: the order between them must not depend on the index either.
        createdAt: new Date(base + (i === 20 ? 19 : i) * 60_000).toISOString(),
      });
      expect((await writer.reserve(call)).reserved).toBe(true);
    }
  });

  async function pages(mode: CallIndexMode, filter: ListCallsFilter, limit: number): Promise<string[][]> {
    const calls = new CallRepository(staged, undefined, undefined, mode);
    const out: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await calls.queries.list(tenantId, filter, { limit, ...(cursor ? { cursor } : {}) });
      out.push(page.items.map((c) => c.callId));
      cursor = page.nextCursor;
    } while (cursor && out.length < 100);
    return out;
  }

  it.each<[string, ListCallsFilter, number]>([
    ['the tenant', {}, 50],
    ['an agent', { crmUserId: 'u-1' }, 50],
    ['a lead', { leadId: 'L-1' }, 50],
    ['a lead and an agent', { leadId: 'L-1', crmUserId: 'u-2' }, 50],
    ['a state', { state: 'completed' }, 50],
    ['a time range', { from: '2026-07-01T08:10:00.000Z', to: '2026-07-01T08:30:00.000Z' }, 50],
    ['a state, 4 a page: many key pages, most items skipped', { state: 'failed' }, 4],
    ['an agent in a state in a range, 2 a page', { crmUserId: 'u-0', state: 'completed', from: '2026-07-01T08:05:00.000Z' }, 2],
    ['the tenant, 7 a page', {}, 7],
  ])('%s', async (_, filter, limit) => {
    const narrow = await pages('narrow', filter, limit);
    const legacy = await pages('migrating', filter, limit);
    expect(narrow.flat().length).toBeGreaterThan(0);
    expect(narrow).toEqual(legacy);
    // Newest first, each call once.
    expect(new Set(narrow.flat()).size).toBe(narrow.flat().length);
  });

  it('the report, the erasure search and the doctor find the same calls', async () => {
    const narrow = new CallRepository(staged, undefined, undefined, 'narrow').queries;
    const legacy = new CallRepository(staged, undefined, undefined, 'migrating').queries;
    const report = async (q: typeof narrow, crmUserId?: string) => {
      const seen: string[] = [];
      const complete = await q.forEachCreatedBetween(
        tenantId,
        { fromIso: '2026-07-01T08:10:00.000Z', toIso: '2026-07-01T08:40:00.000Z', maxItems: 100, ...(crmUserId ? { crmUserId } : {}) },
        (page) => seen.push(...page.map((c) => `${c.createdAt} ${c.state} ${c.crmUserId}`)),
      );
      return { complete, seen: seen.sort() };
    };
    const all = await report(narrow);
    // [from, to): the call at 08:40 is left out, the one at 08:10 is in.
    expect(all.seen).toHaveLength(30);
    expect(all).toEqual(await report(legacy));
    expect(await report(narrow, 'u-1')).toEqual(await report(legacy, 'u-1'));
    const found = await narrow.findCallsTo(tenantId, { e164: '+447766889900', digits: '447766889900' });
    expect(found).toHaveLength(45);
    expect(found.sort((a, b) => a.callId.localeCompare(b.callId))).toEqual(
      (await legacy.findCallsTo(tenantId, { e164: '+447766889900', digits: '447766889900' })).sort((a, b) =>
        a.callId.localeCompare(b.callId),
      ),
    );
    const doctor = (mode: CallIndexMode) => new TenantInspector(staged, mode);
    const from = '2026-07-01T08:00:00.000Z';
    const to = '2026-07-01T08:44:00.000Z';
    expect(await doctor('narrow').countCallsInStates(tenantId, ['dialing', 'failed'], from, to)).toBe(18);
    expect(await doctor('migrating').countCallsInStates(tenantId, ['dialing', 'failed'], from, to)).toBe(18);
  });
});

describe('an update of a placed call writes no copy to the listing indexes', () => {
  it('the dial answer, a PBX event and a notification slot: the table alone (and the work lists that move)', async () => {
    const calls = new CallRepository(final);
    const tenantId = 'no-copies';
    const call = storedCall({ callId: 'c_bill', tenantId, state: 'dispatching', lead: { id: 'L-1' } });
    await calls.reserve(call);
    const updates: Array<[string, () => Promise<unknown>]> = [
      [
        'dial answer',
        () =>
          calls.transition(tenantId, 'c_bill', {
            from: ['dispatching'],
            to: 'dialing',
            changes: { pbx: { uniqueId: '1764.1', message: 'Originate successfully queued', host: 'pbx.example' } },
          }),
      ],
      [
        'PBX event',
        () => calls.transition(tenantId, 'c_bill', { from: ['dialing'], to: 'answered', outcome: { answeredAt: call.createdAt } }),
      ],
      ['notification slot', () => calls.advanceNotified(tenantId, 'c_bill', 0, false)],
    ];
    const schema = tableDef();
    for (const [name, update] of updates) {
      const before = await rawItem(final, tenantId, 'c_bill');
      await update();
      const after = await rawItem(final, tenantId, 'c_bill');
      expect(after, name).not.toEqual(before);
      const key = marshall({ pk: tenantPk(tenantId), sk: callSk('c_bill') });
      const billed = billWrite(schema, {
        command: 'UpdateItem',
        key,
        before: marshall(before!),
        after: marshall(after!),
        refused: false,
        transactional: false,
      });
      const touched = billed.indexes.map((i) => i.index);
      expect(
        touched.filter((i) => Object.values(CALL_INDEX).includes(i as never)),
        name,
      ).toEqual([]);
      // No whole-item index takes a call item in narrow mode (gsi1, gsi2 are the agents' and API keys').
      expect(
        touched.filter((i) => i === 'gsi1' || i === 'gsi2'),
        name,
      ).toEqual([]);
    }
  });
});

describe('a call erased between its key page and its read', () => {
  it('is passed over, and the listing pages on', async () => {
    const tenantId = 'erased-meanwhile';
    const writer = new CallRepository(final);
    const base = Date.parse('2026-07-02T08:00:00.000Z');
    for (let i = 0; i < 6; i++)
      await writer.reserve(
        storedCall({ callId: `c_${i}`, tenantId, idempotencyKey: `k-${i}`, createdAt: new Date(base + i * 1000).toISOString() }),
      );
    // The batch read that asks for c_3 finds it erased just before it runs (a real delete, as an erasure's).
    let erased = false;
    final.doc.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as BatchGetCommand['input'];
        const asked = Object.values(input.RequestItems ?? {}).flatMap((r) => r.Keys ?? []);
        if (context.commandName === 'BatchGetItemCommand' && !erased && asked.some((k) => JSON.stringify(k).includes('c_3'))) {
          erased = true;
          await final.doc.send(new DeleteCommand({ TableName: final.name, Key: { pk: tenantPk(tenantId), sk: callSk('c_3') } }));
        }
        return next(args);
      },
      { step: 'initialize', name: 'eraseMeanwhile' },
    );
    try {
      const calls = new CallRepository(final);
      const ids: string[][] = [];
      let cursor: string | undefined;
      do {
        const page = await calls.queries.list(tenantId, {}, { limit: 2, ...(cursor ? { cursor } : {}) });
        ids.push(page.items.map((c) => c.callId));
        cursor = page.nextCursor;
      } while (cursor);
      expect(erased).toBe(true);
      expect(ids.flat()).toEqual(['c_5', 'c_4', 'c_2', 'c_1', 'c_0']);
    } finally {
      final.doc.middlewareStack.remove('eraseMeanwhile');
    }
  });
});

describe("the PBX's answer on the call item", () => {
  it('keeps the call item under 1 KB after the dial answer: one write unit for the update', async () => {
    const calls = new CallRepository(final);
    const tenantId = 'small-answer';
    const call = storedCall({
      callId: 'c_01KBQZ8Y6W4F3M2N7P5R9T1V3X',
      tenantId,
      state: 'dispatching',
      lead: { id: 'lead-1799', type: 'contact' },
      customData: { ticket: 'T-12345' },
      idempotencyKey: 'crm-7f3c2a91-6b1e-4d0a-9c55-2f8e1b7d4a60',
    });
    await calls.reserve(call);
    await calls.transition(tenantId, call.callId, {
      from: ['dispatching'],
      to: 'dialing',
      changes: { pbx: { uniqueId: '1764428675.1234', message: 'Originate successfully queued', host: 'subdomain.pbx.commpeak.com' } },
    });
    const item = await rawItem(final, tenantId, call.callId);
    expect(itemSize(marshall(item!))).toBeLessThan(1024);
  });

  it('bounds the text and host the PBX sends, keeps its id whole, and the answer read back is the one stored', async () => {
    const calls = new CallRepository(final);
    const tenantId = 'long-answer';
    await calls.reserve(storedCall({ callId: 'c_long', tenantId, state: 'dispatching' }));
    const uniqueId = `1764428675.${'9'.repeat(40)}`;
    const message = `Refused: ${'🙂'.repeat(5_000)}`;
    const moved = await calls.transition(tenantId, 'c_long', {
      from: ['dispatching'],
      to: 'rejected',
      changes: { pbx: { uniqueId, message, host: `${'h'.repeat(400)}.example` } },
      detail: message,
    });
    const stored = (await calls.get(tenantId, 'c_long'))!;
    expect(moved?.pbx).toEqual(stored.pbx);
    expect(stored.pbx?.uniqueId).toBe(uniqueId);
    expect(Array.from(stored.pbx!.message!)).toHaveLength(MAX_STORED_TEXT);
    expect(stored.pbx!.message!.startsWith('Refused: 🙂')).toBe(true);
    expect(stored.pbx!.message!.endsWith('…')).toBe(true);
    expect(stored.pbx!.host).toHaveLength(MAX_STORED_HOST);
    expect(Array.from(stored.events.at(-1)!.detail!)).toHaveLength(MAX_STORED_TEXT);
    // A patch (the answer recorded after a webhook moved the call on) is bounded alike.
    await calls.patch(tenantId, 'c_long', { pbx: { uniqueId, message: 'x'.repeat(1_000), host: null } });
    expect((await calls.get(tenantId, 'c_long'))!.pbx).toEqual({ uniqueId, message: `${'x'.repeat(MAX_STORED_TEXT - 1)}…`, host: null });
  });
});
