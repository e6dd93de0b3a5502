import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallRepository } from '../../lib/store/calls';
import { agentsListing, callsListing, teamMembersListing } from '../../lib/store/listings';
import { callListingIndex } from '../../lib/store/call-index-keys';
import type { Listing as StoreListing } from '../../lib/store/pagination';
import { storedCall } from '../support/calls';
import { bearer, invoke, seedTenant, startTestEnv, useEnvForHandlers, type InvokeResult, type TestEnv } from '../support/env';
import { logLinesDuring } from '../support/log-lines';

/**
 * Every listing that takes a cursor, through its real handler on dynalite: a real cursor of each, mutated every way a
 * client could (bytes flipped, cut, grown, re-encoded, its key reshaped, another tenant's or another listing's) is a
 * 400 `invalid_cursor` naming `query.cursor`: never a 5xx, never an ERROR line, never another listing's page.
 */

let env: TestEnv;
let listCalls: typeof import('../../functions/calls-list').handler;
let agents: typeof import('../../functions/agents').handler;
const keys: Record<string, string> = {};
const TENANTS = ['fuzz-a', 'fuzz-b'] as const;

interface Listing {
  name: string;
  route: '/v1/calls' | '/v1/agents';
  query: Record<string, string>;
}

/** The secret the handlers sign with here: the tests sign keys of their own with it, as a thief of the secret would. */
const SECRET = 'cursor-fuzz-secret-0123456789abcdefghijklmnop';

/** The store's listing behind an API listing (for the identity a cursor of it is signed over). */
function storeListing(listing: Listing, tenantId: string, key: Record<string, string>): StoreListing {
  const q = listing.query;
  if (listing.route === '/v1/agents') {
    const filters = [q.available === undefined ? null : q.available === 'true'];
    return q.team === undefined ? agentsListing(tenantId, filters) : teamMembersListing(tenantId, q.team, filters);
  }
  const filter = { leadId: q.leadId, crmUserId: q.agent, state: q.state, from: q.from, to: q.to };
  // The listing reads the whole-item indexes (gsi1-gsi3) only on a table being moved to the keys-only ones.
  const mode = Object.keys(key).some((n) => /^gsi\dpk$/.test(n)) ? 'migrating' : 'narrow';
  return callsListing({ tenantId, index: callListingIndex(mode, tenantId, filter), filter });
}

const tagOf = (listing: StoreListing, payload: string) =>
  createHmac('sha256', SECRET)
    .update(JSON.stringify(['c2c-cursor-1', listing.identity]))
    .update('\n')
    .update(payload)
    .digest('base64url');

const LISTINGS: Listing[] = [
  { name: 'calls', route: '/v1/calls', query: {} },
  { name: 'calls by agent', route: '/v1/calls', query: { agent: 'u-17' } },
  { name: 'calls by lead', route: '/v1/calls', query: { leadId: 'L1' } },
  { name: 'calls by lead and agent', route: '/v1/calls', query: { leadId: 'L1', agent: 'u-17' } },
  { name: 'calls in a state', route: '/v1/calls', query: { state: 'completed' } },
  {
    name: 'calls in a time range',
    route: '/v1/calls',
    query: { from: '2026-07-01T00:00:00.000Z', to: '2026-07-02T23:59:59.999Z' },
  },
  { name: 'agents', route: '/v1/agents', query: {} },
  { name: 'agents of a team', route: '/v1/agents', query: { team: 'sales' } },
  { name: 'available agents', route: '/v1/agents', query: { available: 'true' } },
];

const list = (listing: Listing, tenant: string, cursor?: string): Promise<InvokeResult> =>
  invoke(listing.route === '/v1/calls' ? listCalls : agents, {
    method: 'GET',
    route: listing.route,
    query: { ...listing.query, limit: '1', ...(cursor === undefined ? {} : { cursor }) },
    headers: bearer(keys[tenant]!),
  });

/** Real cursors: `cursors[tenant][listing name]`, the first page's. */
const cursors: Record<string, Record<string, string>> = {};

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env, { CURSOR_SECRET: SECRET });
  ({ handler: listCalls } = await import('../../functions/calls-list'));
  ({ handler: agents } = await import('../../functions/agents'));
  const calls = new CallRepository(env.table);
  for (const tenantId of TENANTS) {
    ({ key: keys[tenantId] } = await seedTenant(env, { tenantId }, { agents: [] }));
    for (const [i, id] of ['u-17', 'u-18', 'u-19', 'u-20'].entries()) {
      await env.agents.put(tenantId, id, { extension: `100${i}`, teams: i < 3 ? ['sales'] : ['vip'] });
    }
    for (let i = 0; i < 8; i++) {
      const crmUserId = i % 2 === 0 ? 'u-17' : 'u-18';
      await calls.reserve(
        storedCall({
          callId: `c_${String(i + 1).padStart(26, '0')}`,
          tenantId,
          agent: { crmUserId },
          crmUserId,
          state: i % 3 === 0 ? 'completed' : 'no_answer',
          lead: { id: i < 6 ? 'L1' : 'L2' },
          createdAt: `2026-07-0${1 + (i % 3)}T1${i}:00:00.000Z`,
        }),
      );
    }
    cursors[tenantId] = {};
    for (const listing of LISTINGS) {
      const first = await list(listing, tenantId);
      expect(first.status, `${listing.name}: ${JSON.stringify(first.body)}`).toBe(200);
      expect(typeof first.body.nextCursor, listing.name).toBe('string');
      cursors[tenantId][listing.name] = first.body.nextCursor as string;
    }
  }
});

afterAll(async () => {
  await env?.stop();
});

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
/** The part of a cursor that carries the key (all of an unsigned one). */
const payloadOf = (cursor: string) => cursor.split('.')[0]!;
/** The DynamoDB key a cursor carries: the tests know the format, an attacker would learn it from any cursor. */
const keyOf = (cursor: string) => JSON.parse(Buffer.from(payloadOf(cursor), 'base64url').toString('utf8')) as Record<string, string>;
/** `key` put where the real cursor's key was: unsigned, with the real cursor's tag kept, and signed with the secret. */
const reencoded = (real: string, key: unknown, listing: StoreListing): Array<[string, string]> => {
  const payload = b64(JSON.stringify(key));
  return [
    ['unsigned', payload],
    ['real tag kept', `${payload}${real.slice(payloadOf(real).length)}`],
    ['signed with the secret', `${payload}.${tagOf(listing, payload)}`],
  ];
};

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const flip = (s: string, at: number) => {
  const i = Math.max(0, Math.min(s.length - 1, at));
  const other = BASE64URL[(BASE64URL.indexOf(s[i]!) + 1) % BASE64URL.length] ?? 'A';
  return `${s.slice(0, i)}${other}${s.slice(i + 1)}`;
};

/** Every way of spoiling a real cursor `real` of `listing` of tenant `tenant`. */
function mutationsOf(listing: Listing, tenant: string, real: string): Array<[string, string]> {
  const key = keyOf(real);
  const names = Object.keys(key);
  const sortNames = names.filter((n) => n.endsWith('sk'));
  const partitionNames = names.filter((n) => n.endsWith('pk'));
  const other = TENANTS.find((t) => t !== tenant)!;
  const out: Array<[string, string]> = [
    ['empty', ''],
    ['one character', 'A'],
    ['huge', 'A'.repeat(2048)],
    ['over the length limit', 'A'.repeat(4096)],
    ['not base64', '!!!not base64!!!'],
    ['spaces and unicode', 'é ü \u0000 \u202e'],
    ['a dot alone', '.'],
    ['truncated by one', real.slice(0, -1)],
    ['truncated by half', real.slice(0, Math.floor(real.length / 2))],
    ['first character dropped', real.slice(1)],
    ['grown by one', `${real}A`],
    ['padded', `${real}==`],
    ['doubled', `${real}${real}`],
    ['first byte flipped', flip(real, 0)],
    ['middle byte flipped', flip(real, Math.floor(real.length / 2))],
    ['last byte flipped', flip(real, real.length - 1)],
    ['standard base64 spelling', Buffer.from(payloadOf(real), 'base64url').toString('base64') + real.slice(payloadOf(real).length)],
    ['JSON array', b64('[1]')],
    ['JSON number', b64('1')],
    ['JSON string', b64('"x"')],
    ['JSON null', b64('null')],
    ['JSON empty object', b64('{}')],
    ["another tenant's cursor of the same listing", cursors[other]![listing.name]!],
  ];
  for (const [name, cursor] of Object.entries(cursors[tenant]!)) {
    if (name !== listing.name && cursor !== real) out.push([`the cursor of "${name}"`, cursor]);
  }
  const reshaped: Array<[string, unknown]> = [
    ['the key as issued', key],
    ['an extra attribute', { ...key, extra: 'x' }],
    ['numbers for strings', Object.fromEntries(names.map((n) => [n, 1]))],
    ['a key inside an array', [key]],
    ...names.map((n): [string, unknown] => [`${n} missing`, Object.fromEntries(names.filter((m) => m !== n).map((m) => [m, key[m]]))]),
    ...sortNames.flatMap((n): Array<[string, unknown]> => [
      [`${n} above the range`, { ...key, [n]: '~~~~' }],
      [`${n} below the range`, { ...key, [n]: '!' }],
      [`${n} empty`, { ...key, [n]: '' }],
      [`${n} a number`, { ...key, [n]: 5 }],
    ]),
    ...partitionNames.map((n): [string, unknown] => [`${n} of another tenant`, { ...key, [n]: key[n]!.replace(tenant, other) }]),
  ];
  const signedFor = storeListing(listing, tenant, key);
  for (const [what, value] of reshaped) {
    for (const [how, cursor] of reencoded(real, value, signedFor)) {
      // The key as issued, signed, is the real cursor: the one spelling that must work.
      if (!(what.startsWith('the key as issued') && how !== 'unsigned')) out.push([`${what} (${how})`, cursor]);
    }
  }
  // A spelling that happens to be the cursor itself (standard base64 of a payload with no - or _ and no padding) is no mutation.
  return out.filter(([, cursor]) => cursor !== real);
}

const expectInvalidCursor = (res: InvokeResult, what: string) => {
  expect({ what, status: res.status, code: res.body.code, paths: res.body.errors?.map((e) => e.path) }).toEqual({
    what,
    status: 400,
    code: 'invalid_cursor',
    paths: ['query.cursor'],
  });
};

describe('the cursor of every listing', () => {
  for (const listing of LISTINGS) {
    it(`${listing.name}: a real cursor continues; every mutation of it is 400 invalid_cursor, with no ERROR line`, async () => {
      const real = cursors['fuzz-a']![listing.name]!;
      const next = await list(listing, 'fuzz-a', real);
      expect(next.status, JSON.stringify(next.body)).toBe(200);
      const mutations = mutationsOf(listing, 'fuzz-a', real);
      const { result, lines } = await logLinesDuring(async () => {
        const answers: Array<[string, InvokeResult]> = [];
        for (const [what, cursor] of mutations) answers.push([what, await list(listing, 'fuzz-a', cursor)]);
        return answers;
      });
      const wrong = result.filter(([, res]) => res.status !== 400 || res.body.code !== 'invalid_cursor');
      expect(
        wrong.map(([what, res]) => `${what}: ${res.status} ${res.body.code}`),
        `${wrong.length} of ${result.length} mutations`,
      ).toEqual([]);
      for (const [what, res] of result) expectInvalidCursor(res, what);
      expect(lines.filter((line) => line.level === 'ERROR')).toEqual([]);
    });
  }
});

describe('random cursors (fast-check)', () => {
  for (const listing of LISTINGS) {
    it(`${listing.name}: any string that is not a cursor it issued is 400 invalid_cursor, never a 5xx or an ERROR line`, async () => {
      const real = cursors['fuzz-a']![listing.name]!;
      const key = keyOf(real);
      const names = Object.keys(key);
      const value = fc.oneof(
        fc.constantFrom(...Object.values(key)),
        fc.string({ maxLength: 40 }),
        fc.constantFrom(...Object.values(key)).chain((v) => fc.string({ maxLength: 8 }).map((s) => v + s)),
      );
      const shaped = fc.dictionary(fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 6 })), value, { maxKeys: 6 });
      const cursor = fc.oneof(
        fc.string({ maxLength: 300 }),
        fc.string({ unit: 'binary', maxLength: 100 }),
        fc.base64String({ maxLength: 300 }),
        fc.jsonValue().map((v) => b64(JSON.stringify(v))),
        shaped.map((k) => b64(JSON.stringify(k))),
        shaped.map((k) => `${b64(JSON.stringify(k))}${real.includes('.') ? real.slice(real.indexOf('.')) : ''}`),
        fc.nat(real.length - 1).map((at) => flip(real, at)),
        fc.nat(real.length - 1).map((at) => real.slice(0, at)),
      );
      const { lines } = await logLinesDuring(() =>
        fc.assert(
          fc.asyncProperty(cursor, async (c) => {
            fc.pre(c !== real);
            const res = await list(listing, 'fuzz-a', c);
            expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'invalid_cursor' });
          }),
          { numRuns: 60, seed: 17 },
        ),
      );
      expect(lines.filter((line) => line.level === 'ERROR')).toEqual([]);
    });
  }
});
