import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HUBSPOT_FAKE_TOKEN, READ_SCOPE, startHubSpotFake, type HubSpotFake } from '../../local/crm-fakes/hubspot';

/**
 * The fake HubSpot must not accept what HubSpot refuses: each refusal with HubSpot's status and error body shape
 * (`{status: 'error', message, correlationId, category}`), its burst limit with 429 and Retry-After, and its faults.
 */

let fake: HubSpotFake;
beforeAll(async () => {
  fake = await startHubSpotFake();
});
afterAll(() => fake.close());

const GOOD = {
  hs_timestamp: '2026-03-02T10:00:00.000Z',
  hs_call_direction: 'OUTBOUND',
  hs_call_status: 'COMPLETED',
  hs_call_disposition: 'f240bbac-87c9-4f6e-bf70-924b57d47db7',
  hubspot_owner_id: '501',
};
const toContact = (id: string, typeId = 194) => [
  { to: { id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: typeId }] },
];

async function send(method: string, path: string, body?: unknown, token: string | null = HUBSPOT_FAKE_TOKEN, base = fake.url) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
}
const create = (properties: Record<string, unknown>, associations: unknown = toContact('101'), token?: string | null) =>
  send('POST', '/crm/v3/objects/calls', { properties, associations }, token);

describe('the fake HubSpot refuses what HubSpot refuses', () => {
  it('accepts a well-formed call: 201 with the id', async () => {
    const answer = await create(GOOD);
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ id: expect.any(String) as string, archived: false });
  });

  it.each([
    ['an unknown property', { ...GOOD, c2c_call_id: 'x' }, 'PROPERTY_DOESNT_EXIST'],
    ['no hs_timestamp', { ...GOOD, hs_timestamp: undefined }, 'REQUIRED_PROPERTY'],
    ['a timestamp in neither epoch ms nor ISO 8601', { ...GOOD, hs_timestamp: '02/03/2026 10:00' }, 'INVALID_DATE'],
    ['a date-time without a zone', { ...GOOD, hs_timestamp: '2026-03-02T10:00:00' }, 'INVALID_DATE'],
    ['a direction outside the enum', { ...GOOD, hs_call_direction: 'OUTGOING' }, 'INVALID_OPTION'],
    ['a status outside the enum', { ...GOOD, hs_call_status: 'ANSWERED' }, 'INVALID_OPTION'],
    ['a disposition that is a label, not a GUID', { ...GOOD, hs_call_disposition: 'Connected' }, 'INVALID_OPTION'],
    ['an owner that does not exist', { ...GOOD, hubspot_owner_id: '999' }, 'INVALID_OWNER_ID'],
    ['a recording URL that is not HTTPS', { ...GOOD, hs_call_recording_url: 'http://rec.example/a.mp3' }, 'INVALID_URL'],
    ['a read-only property', { ...GOOD, hs_object_id: '5' }, 'READ_ONLY_VALUE'],
  ])('%s: 400 VALIDATION_ERROR, "Property values were not valid" naming it', async (_label, properties, error) => {
    const before = fake.records.length;
    const answer = await create(JSON.parse(JSON.stringify(properties)) as Record<string, unknown>);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR', correlationId: expect.any(String) as string });
    expect(answer.body.message).toMatch(/^Property values were not valid: \[/);
    expect(answer.body.message).toContain(`"error":"${error}"`);
    expect(fake.records.length).toBe(before);
  });

  it.each([
    ['epoch milliseconds', '1772445600000'],
    ['ISO 8601 with an offset', '2026-03-02T11:00:00+01:00'],
  ])('takes hs_timestamp as %s', async (_label, value) => {
    expect((await create({ ...GOOD, hs_timestamp: value })).status).toBe(201);
  });

  it.each([
    ['a contact id that does not exist', toContact('999'), 'No contact with id 999'],
    ['a deal id under the call → contact type', toContact('301'), 'No contact with id 301'],
    ['a contact id under the call → deal type', toContact('101', 206), 'No deal with id 101'],
    ['an association type that is not a call type', toContact('101', 279), 'crm.associations.INVALID_ASSOCIATION_TYPE'],
  ])('refuses %s: 400, nothing created', async (_label, associations, words) => {
    const before = fake.records.length;
    const answer = await create(GOOD, associations);
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toContain(words);
    expect(fake.records.length).toBe(before);
  });

  it('a missing or unknown token: 401 INVALID_AUTHENTICATION', async () => {
    for (const token of [null, 'pat-na1-nobody']) {
      const answer = await create(GOOD, toContact('101'), token);
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({
        status: 'error',
        category: 'INVALID_AUTHENTICATION',
        correlationId: expect.any(String) as string,
      });
    }
  });

  it('a revoked token is refused from then on', async () => {
    fake.grant('pat-na1-rotated', [READ_SCOPE]);
    expect((await send('GET', '/crm/v3/objects/calls?limit=1', undefined, 'pat-na1-rotated')).status).toBe(200);
    fake.revoke('pat-na1-rotated');
    expect((await send('GET', '/crm/v3/objects/calls?limit=1', undefined, 'pat-na1-rotated')).status).toBe(401);
  });

  it('a token without the scope: 403 MISSING_SCOPES naming it', async () => {
    fake.grant('pat-na1-reader', [READ_SCOPE]);
    const answer = await create(GOOD, toContact('101'), 'pat-na1-reader');
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({
      category: 'MISSING_SCOPES',
      errors: [{ context: { requiredGranularScopes: ['crm.objects.contacts.write'] } }],
    });
  });

  it('an update of a call that does not exist: 404', async () => {
    expect((await send('PATCH', '/crm/v3/objects/calls/123', { properties: { hs_call_title: 'x' } })).status).toBe(404);
  });

  it('search: an unknown property or operator is refused; CONTAINS_TOKEN finds a word of the body', async () => {
    const made = await create({ ...GOOD, hs_call_body: '<p>Click2Call call id: ABCDEF123</p>' });
    const search = (filter: Record<string, string>) =>
      send('POST', '/crm/v3/objects/calls/search', { filterGroups: [{ filters: [filter] }] });
    expect((await search({ propertyName: 'c2c_id', operator: 'EQ', value: 'x' })).status).toBe(400);
    expect((await search({ propertyName: 'hs_call_body', operator: 'LIKE', value: 'x' })).status).toBe(400);
    const found = await search({ propertyName: 'hs_call_body', operator: 'CONTAINS_TOKEN', value: 'abcdef123' });
    expect(found.body).toMatchObject({ total: 1, results: [{ id: made.body.id }] });
  });
});

describe('the fake HubSpot enforces its limits and plays faults', () => {
  it('over the burst: 429 with Retry-After and the X-HubSpot-RateLimit headers', async () => {
    const limited = await startHubSpotFake({ burstPer10s: 3 });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++)
        statuses.push(await send('GET', '/crm/v3/objects/calls?limit=1', undefined, HUBSPOT_FAKE_TOKEN, limited.url));
      expect(statuses.map((s) => s.status)).toEqual([200, 200, 200, 429]);
      expect(statuses[0]!.headers.get('x-hubspot-ratelimit-max')).toBe('3');
      expect(Number(statuses[3]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(statuses[3]!.body).toMatchObject({ status: 'error', errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING' });
    } finally {
      await limited.close();
    }
  });

  it('search has its own limit, 4 a second per token', async () => {
    const limited = await startHubSpotFake({ now: () => 1_000_000 });
    try {
      const statuses = [];
      for (let i = 0; i < 5; i++)
        statuses.push((await send('POST', '/crm/v3/objects/calls/search', { filterGroups: [] }, HUBSPOT_FAKE_TOKEN, limited.url)).status);
      expect(statuses).toEqual([200, 200, 200, 200, 429]);
    } finally {
      await limited.close();
    }
  });

  it('faults apply to the next N matching requests, then stop', async () => {
    fake.faults.add('500', { count: 2 });
    fake.faults.add('401', { on: 'search' });
    expect((await create(GOOD)).status).toBe(500);
    expect((await create(GOOD)).status).toBe(500);
    expect((await send('POST', '/crm/v3/objects/calls/search', { filterGroups: [] })).status).toBe(401);
    expect((await create(GOOD)).status).toBe(201);
  });

  it('drop-after-create keeps the call and destroys the socket', async () => {
    const before = fake.records.length;
    fake.faults.add('drop-after-create');
    await expect(create(GOOD)).rejects.toThrow();
    expect(fake.records.length).toBe(before + 1);
  });
});
