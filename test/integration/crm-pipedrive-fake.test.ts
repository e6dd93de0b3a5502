import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipedriveFake, type PipedriveFake } from '../../local/crm-fakes/pipedrive';

/**
 * The stand-in Pipedrive refuses what the reference says Pipedrive refuses, with Pipedrive's status and error body:
 * a fake that accepted anything would let the transport's tests pass on requests the real API turns down.
 */

const LEAD = '0f5d2b8e-3c1a-4e6b-9d7f-2a4c6e8b0d13';
let fake: PipedriveFake;

beforeAll(async () => {
  fake = await startPipedriveFake({ burstLimit: 1000 });
  fake.seed.user({ id: 17, name: 'Ann', accountSettings: false }, 'ann-token');
  fake.seed.person(301);
  fake.seed.organization(501);
  fake.seed.deal(601);
  fake.seed.lead(LEAD);
});
afterAll(() => fake.close());

const valid = {
  outcome: 'connected',
  to_phone_number: '+447766889900',
  start_time: '2025-03-04 10:00:01',
  end_time: '2025-03-04 10:01:05',
  duration: '60',
  person_id: 301,
  note: '<p>hi</p>',
};

async function post(body: unknown, token = fake.token): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${fake.url}/api/v1/callLogs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-token': token },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

const refusal = (error: string) => ({
  success: false,
  error,
  error_info: 'Please check developers.pipedrive.com for more information about Pipedrive API.',
  data: null,
  additional_data: null,
});

describe('the Pipedrive fake', () => {
  it('accepts a valid call log: 200, {success, data: {id}}', async () => {
    const answer = await post(valid);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      success: true,
      data: { id: expect.stringMatching(/^CA[0-9a-f]+$/) as string, user_id: 1, person_id: 301 },
    });
  });

  it.each([
    ['a missing required field', { ...valid, to_phone_number: undefined }, '"to_phone_number" is required.'],
    ['a missing outcome', { ...valid, outcome: undefined }, '"outcome" is required.'],
    [
      'an outcome outside the enum',
      { ...valid, outcome: 'failed' },
      '"outcome" must be one of [connected, no_answer, left_message, left_voicemail, wrong_number, busy]',
    ],
    ['an ISO start time', { ...valid, start_time: '2025-03-04T10:00:01Z' }, '"start_time" must be in format YYYY-MM-DD HH:MM:SS'],
    ['an impossible end time', { ...valid, end_time: '2025-02-30 10:00:00' }, '"end_time" must be in format YYYY-MM-DD HH:MM:SS'],
    ['a duration as a number', { ...valid, duration: 60 }, '"duration" must be a string'],
    ['a duration not in seconds', { ...valid, duration: '1m' }, '"duration" must be the duration of the call in seconds'],
    ['a person id as a string', { ...valid, person_id: '301' }, '"person_id" must be a positive integer'],
    ['a lead id that is not a UUID', { ...valid, person_id: undefined, lead_id: '42' }, '"lead_id" must be a valid GUID'],
    [
      'a deal and a lead at once',
      { ...valid, deal_id: 601, lead_id: LEAD },
      'A call log can be associated with either a deal or a lead, but not both at once.',
    ],
    ['an unknown field', { ...valid, direction: 'outbound' }, '"direction" is not allowed'],
    ['an empty number', { ...valid, to_phone_number: '' }, '"to_phone_number" is not allowed to be empty'],
  ])('refuses %s: 400', async (_what, body, error) => {
    const before = fake.records.length;
    const answer = await post(body);
    expect(answer).toMatchObject({ status: 400, body: refusal(error) });
    expect(fake.records.length).toBe(before);
  });

  it.each([
    ['person', { person_id: 999 }],
    ['organization', { person_id: undefined, org_id: 999 }],
    ['deal', { person_id: undefined, deal_id: 999 }],
    ['lead', { person_id: undefined, lead_id: '11111111-2222-4333-8444-555555555555' }],
    ['activity', { activity_id: 1 }],
  ])('refuses a %s that does not exist: 404', async (_what, fields) => {
    const answer = await post({ ...valid, ...fields });
    expect(answer).toMatchObject({ status: 404, body: refusal('A resource required for this operation was not found.') });
  });

  it('refuses an owner that is not a user (404), and another user’s log from a token without account settings access (403)', async () => {
    expect(await post({ ...valid, user_id: 99 })).toMatchObject({ status: 404, body: refusal('User not found') });
    expect(await post({ ...valid, user_id: 1 }, 'ann-token')).toMatchObject({
      status: 403,
      body: refusal("You don't have permission to change this resource."),
    });
    expect(await post({ ...valid, user_id: 17 }, 'ann-token')).toMatchObject({ status: 200 });
  });

  it('refuses a bad token, in the header or the api_token query: 401 with Pipedrive’s body', async () => {
    const expected = { status: 401, body: { success: false, error: 'unauthorized access', errorCode: 401 } };
    expect(await post(valid, 'wrong')).toMatchObject(expected);
    const query = await fetch(`${fake.url}/api/v1/users/me?api_token=wrong`);
    expect({ status: query.status, body: await query.json() }).toMatchObject(expected);
    const none = await fetch(`${fake.url}/api/v1/users/me`);
    expect(none.status).toBe(401);
    fake.seed.user({ id: 18, name: 'Bo', accountSettings: false }, 'bo-token');
    fake.seed.revoke('bo-token');
    expect(await post(valid, 'bo-token')).toMatchObject(expected);
  });

  it('accepts the token in the api_token query (the older documented way) and never keeps it', async () => {
    const answer = await fetch(`${fake.url}/api/v1/users/me?api_token=${fake.token}`);
    expect(answer.status).toBe(200);
    expect(fake.requests.at(-1)).toEqual({ method: 'GET', path: '/api/v1/users/me', status: 200, auth: 'query' });
  });

  it('lists only the token user’s call logs, newest first, 50 at most per page', async () => {
    for (let i = 0; i < 3; i++) expect((await post({ ...valid, user_id: 17, subject: `ann ${i}` }, 'ann-token')).status).toBe(200);
    const page = await fetch(`${fake.url}/api/v1/callLogs?start=0&limit=2`, { headers: { 'x-api-token': 'ann-token' } });
    const body = (await page.json()) as { data: Array<{ user_id: number; subject?: string }>; additional_data: unknown };
    expect(body.data.map((l) => l.subject)).toEqual(['ann 2', 'ann 1']);
    expect(body.data.every((l) => l.user_id === 17)).toBe(true);
    expect(body.additional_data).toEqual({ pagination: { start: 0, limit: 2, more_items_in_collection: true } });
    const big = await fetch(`${fake.url}/api/v1/callLogs?limit=500`, { headers: { 'x-api-token': 'ann-token' } });
    expect(((await big.json()) as { additional_data: { pagination: { limit: number } } }).additional_data.pagination.limit).toBe(50);
  });
});

describe('the Pipedrive fake’s limits and faults', () => {
  it('enforces the burst limit per token over a rolling 2 seconds: 429, Retry-After and x-ratelimit headers', async () => {
    const limited = await startPipedriveFake({ burstLimit: 2 });
    try {
      const me = () => fetch(`${limited.url}/api/v1/users/me`, { headers: { 'x-api-token': limited.token } });
      const first = await me();
      expect(first.headers.get('x-ratelimit-limit')).toBe('2');
      expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
      expect((await me()).status).toBe(200);
      const third = await me();
      expect(third.status).toBe(429);
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(third.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(await third.json()).toEqual(refusal('Request over limit'));
    } finally {
      await limited.close();
    }
  });

  it('injects 500, 429 and 401 for the next N matching requests only', async () => {
    fake.faults.inject({ kind: '500' }, 2);
    fake.faults.inject({ kind: '429', retryAfterSec: 9 }, 1, { method: 'GET', path: '/api/v1/users/me' });
    expect((await post(valid)).status).toBe(500);
    expect((await post(valid)).status).toBe(500);
    expect((await post(valid)).status).toBe(200);
    const limited = await fetch(`${fake.url}/api/v1/users/me`, { headers: { 'x-api-token': fake.token } });
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '9']);
    fake.faults.inject({ kind: '401' });
    expect((await post(valid)).status).toBe(401);
    expect((await post(valid)).status).toBe(200);
  });

  it('drop-after-create keeps the call log and answers nothing', async () => {
    const before = fake.records.length;
    fake.faults.inject({ kind: 'drop-after-create' });
    await expect(post({ ...valid, subject: 'dropped' })).rejects.toThrow();
    expect(fake.records.slice(before)).toEqual([expect.objectContaining({ subject: 'dropped' })]);
  });

  it('timeout-after-create keeps the call log and does not answer within a client’s timeout', async () => {
    const before = fake.records.length;
    fake.faults.inject({ kind: 'timeout-after-create', delayMs: 5000 });
    const late = fetch(`${fake.url}/api/v1/callLogs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-token': fake.token },
      body: JSON.stringify({ ...valid, subject: 'late' }),
      signal: AbortSignal.timeout(200),
    });
    await expect(late).rejects.toThrow();
    expect(fake.records.slice(before)).toEqual([expect.objectContaining({ subject: 'late' })]);
  });
});
