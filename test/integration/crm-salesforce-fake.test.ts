import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSalesforceFake, type SalesforceFake } from '../../local/crm-fakes/salesforce';

/**
 * The stand-in Salesforce org refuses what the real one refuses, with its status and error array, and keeps nothing
 * of a refused request: a transport that passes against it has not been let off lightly.
 */

let fake: SalesforceFake;
let clock = Date.UTC(2026, 2, 2, 10);
let token: string;
let leadId: string;
let accountId: string;
let userId: string;
const V = '/services/data/v62.0';

beforeAll(async () => {
  fake = await startSalesforceFake({ now: () => clock, tokenTtlMs: 60_000 });
  leadId = fake.seed.lead();
  accountId = fake.seed.account();
  userId = fake.seed.user();
});
afterAll(() => fake.close());
beforeEach(async () => {
  fake.faults.clear();
  fake.org.apiRequestsPer24h = 15_000;
  token = await newToken();
});

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});
const credentials = { grant_type: 'client_credentials', client_id: 'fake-consumer-key', client_secret: 'fake-consumer-secret' };

async function newToken(): Promise<string> {
  const res = await fetch(`${fake.url}/services/oauth2/token`, form(credentials));
  return ((await res.json()) as { access_token: string }).access_token;
}

async function api(method: string, path: string, body?: unknown, bearer = token): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${fake.url}${V}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

const call = () => ({
  TaskSubtype: 'Call',
  CallType: 'Outbound',
  Status: 'Completed',
  Subject: 'Outbound call: Connected',
  ActivityDate: '2026-03-02',
  CallDurationInSeconds: 42,
  CallDisposition: 'Connected',
  CallObject: `c-${Math.random()}`,
  WhoId: leadId,
  OwnerId: userId,
});

describe('the stand-in Salesforce: the token endpoint', () => {
  it('grants a token to the connected app, with the instance and the run-as user', async () => {
    const res = await fetch(`${fake.url}/services/oauth2/token`, form(credentials));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      token_type: 'Bearer',
      instance_url: fake.url,
      id: expect.stringMatching(new RegExp(`/${fake.runAsUserId}$`)) as string,
    });
  });

  it.each([
    [{ ...credentials, grant_type: 'password' }, 'unsupported_grant_type'],
    [{ ...credentials, client_id: 'other' }, 'invalid_client_id'],
    [{ ...credentials, client_secret: 'wrong' }, 'invalid_client'],
  ])('refuses %o: 400 %s', async (fields, error) => {
    const res = await fetch(`${fake.url}/services/oauth2/token`, form(fields));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error });
  });

  it('refuses a connected app without a run-as user: 400 invalid_grant', async () => {
    fake.org.runAsUser = false;
    try {
      const res = await fetch(`${fake.url}/services/oauth2/token`, form(credentials));
      expect([res.status, await res.json()]).toEqual([
        400,
        { error: 'invalid_grant', error_description: 'no client credentials user enabled' },
      ]);
    } finally {
      fake.org.runAsUser = true;
    }
  });
});

describe('the stand-in Salesforce: sessions and limits', () => {
  const invalidSession = [{ errorCode: 'INVALID_SESSION_ID', message: 'Session expired or invalid', fields: [] }];

  it('refuses a request without a token, with an unknown one, and with one past its time: 401 INVALID_SESSION_ID', async () => {
    expect(await api('GET', '/sobjects/Task/describe', undefined, '')).toEqual({ status: 401, body: invalidSession });
    expect(await api('GET', '/sobjects/Task/describe', undefined, 'forged!token')).toEqual({ status: 401, body: invalidSession });
    clock += 60_000;
    try {
      expect(await api('GET', '/sobjects/Task/describe')).toEqual({ status: 401, body: invalidSession });
    } finally {
      clock -= 60_000;
    }
  });

  it('refuses past the 24-hour allocation: 403 REQUEST_LIMIT_EXCEEDED, until the window rolls on', async () => {
    expect((await api('GET', '/sobjects/Task/describe')).status).toBe(200);
    fake.org.apiRequestsPer24h = 1;
    expect(await api('POST', '/sobjects/Task', call())).toEqual({
      status: 403,
      body: [{ errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'TotalRequests Limit exceeded.', fields: [] }],
    });
    clock += 24 * 3600_000;
    try {
      token = await newToken();
      expect((await api('POST', '/sobjects/Task', call())).status).toBe(201);
    } finally {
      clock -= 24 * 3600_000;
    }
  });

  it('answers an API version it does not serve 404', async () => {
    const res = await fetch(`${fake.url}/services/data/v20.0/sobjects/Task/describe`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(404);
  });

  it('injects each fault for the next N matching requests only', async () => {
    fake.faults.add('500', { times: 2, on: 'create' });
    fake.faults.add('429', { on: 'query', retryAfterSec: 9 });
    expect((await api('POST', '/sobjects/Task', call())).status).toBe(500);
    expect((await api('GET', '/sobjects/Task/describe')).status).toBe(200);
    expect((await api('POST', '/sobjects/Task', call())).status).toBe(500);
    expect((await api('POST', '/sobjects/Task', call())).status).toBe(201);
    const res = await fetch(`${fake.url}${V}/query?q=${encodeURIComponent("SELECT Id FROM Task WHERE CallObject = 'x'")}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect([res.status, res.headers.get('retry-after')]).toEqual([429, '9']);
  });
});

describe('the stand-in Salesforce: a Task create', () => {
  it('creates a well-formed Task (201 {id, success, errors}) with the defaults Salesforce gives', async () => {
    const { OwnerId: _owner, ...noOwner } = call();
    const created = await api('POST', '/sobjects/Task', { ...noOwner, WhoId: leadId.slice(0, 15), Priority: undefined });
    expect(created).toEqual({ status: 201, body: { id: expect.stringMatching(/^00T/) as string, success: true, errors: [] } });
    const id = (created.body as { id: string }).id;
    expect(fake.records.get(id)).toMatchObject({ OwnerId: fake.runAsUserId, Priority: 'Normal', WhoId: leadId.slice(0, 15) });
  });

  const refusals: Array<[string, Record<string, unknown>, string, string[]]> = [
    ['an unknown field', { Outcome__c: 'x' }, 'INVALID_FIELD', []],
    ['a field set by Salesforce', { IsClosed: true }, 'INVALID_FIELD_FOR_INSERT_UPDATE', ['IsClosed']],
    ['a date not YYYY-MM-DD', { ActivityDate: '2026-03-02T10:00:00Z' }, 'JSON_PARSER_ERROR', []],
    ['an impossible date', { ActivityDate: '2026-02-30' }, 'JSON_PARSER_ERROR', []],
    ['a duration that is not an integer', { CallDurationInSeconds: 41.5 }, 'JSON_PARSER_ERROR', []],
    ['a duration as text', { CallDurationInSeconds: '42' }, 'JSON_PARSER_ERROR', []],
    ['a TaskSubtype outside its picklist', { TaskSubtype: 'Phone' }, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', ['TaskSubtype']],
    ["Sales Engagement's own TaskSubtype", { TaskSubtype: 'Cadence' }, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', ['TaskSubtype']],
    ['a CallType outside its picklist', { CallType: 'outbound' }, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', ['CallType']],
    ['a Status outside its picklist', { Status: 'Done' }, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', ['Status']],
    ['a required field emptied', { Status: null }, 'REQUIRED_FIELD_MISSING', ['Status']],
    ['a Subject past 255 characters', { Subject: 's'.repeat(256) }, 'STRING_TOO_LONG', ['Subject']],
    ['a CallObject past 255 characters', { CallObject: 'c'.repeat(256) }, 'STRING_TOO_LONG', ['CallObject']],
    ['a WhoId that is no id', { WhoId: 'lead-42' }, 'MALFORMED_ID', ['WhoId']],
    ['an 18-character id with a wrong suffix', { WhoId: `${'00QFk0000000001'}XXX` }, 'MALFORMED_ID', ['WhoId']],
    ['a WhoId of no record', { WhoId: '00QFk00000ZZZZZ' }, 'INVALID_CROSS_REFERENCE_KEY', ['WhoId']],
    ['an OwnerId of no user', { OwnerId: '005Fk00000ZZZZZ' }, 'INVALID_CROSS_REFERENCE_KEY', ['OwnerId']],
  ];

  it.each(refusals)('refuses %s: 400 %s, and keeps nothing', async (_what, change, errorCode, fields) => {
    const before = fake.records.size;
    const answer = await api('POST', '/sobjects/Task', { ...call(), ...change });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual([{ errorCode, message: expect.any(String) as string, fields }]);
    expect(fake.records.size).toBe(before);
  });

  it('refuses a record of the wrong kind in WhoId (an account) and a body that is not JSON', async () => {
    expect((await api('POST', '/sobjects/Task', { ...call(), WhoId: accountId })).body).toMatchObject([
      { errorCode: 'FIELD_INTEGRITY_EXCEPTION', fields: ['WhoId'] },
    ]);
    expect((await api('POST', '/sobjects/Task', '{"Subject":')).body).toMatchObject([{ errorCode: 'JSON_PARSER_ERROR' }]);
    expect((await api('POST', '/sobjects/Task', [call()])).body).toMatchObject([{ errorCode: 'JSON_PARSER_ERROR' }]);
  });

  it('hides the call-center fields from an org without them: INVALID_FIELD', async () => {
    fake.org.callCenterFields = false;
    try {
      expect((await api('POST', '/sobjects/Task', call())).body).toEqual(
        ['CallType', 'CallDurationInSeconds', 'CallDisposition', 'CallObject'].map((name) => ({
          errorCode: 'INVALID_FIELD',
          message: `No such column '${name}' on sobject of type Task`,
          fields: [],
        })),
      );
    } finally {
      fake.org.callCenterFields = true;
    }
  });
});

describe('the stand-in Salesforce: update and query', () => {
  it('updates a Task (204) but refuses TaskSubtype on update, and answers 404 for a Task that does not exist', async () => {
    const id = ((await api('POST', '/sobjects/Task', call())).body as { id: string }).id;
    expect(await api('PATCH', `/sobjects/Task/${id}`, { CallDisposition: 'Left voicemail' })).toEqual({ status: 204, body: undefined });
    expect(fake.records.get(id)?.CallDisposition).toBe('Left voicemail');
    expect((await api('PATCH', `/sobjects/Task/${id}`, { TaskSubtype: 'Call' })).body).toMatchObject([
      { errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE', fields: ['TaskSubtype'] },
    ]);
    expect((await api('PATCH', '/sobjects/Task/00TFk00000ZZZZZ', { Subject: 'x' })).status).toBe(404);
  });

  it('finds a Task by CallObject, reading SOQL escapes; refuses other queries and unknown escapes', async () => {
    const callObject = "c-'quoted'\\x";
    const id = ((await api('POST', '/sobjects/Task', { ...call(), CallObject: callObject })).body as { id: string }).id;
    const query = (soql: string) => api('GET', `/query?q=${encodeURIComponent(soql)}`);
    const found = await query(`SELECT Id FROM Task WHERE CallObject = 'c-\\'quoted\\'\\\\x' ORDER BY CreatedDate ASC LIMIT 1`);
    expect(found).toEqual({
      status: 200,
      body: { totalSize: 1, done: true, records: [{ attributes: expect.any(Object) as object, Id: id }] },
    });
    expect((await query("SELECT Id FROM Task WHERE CallObject = 'none'")).body).toMatchObject({ totalSize: 0, records: [] });
    expect((await query('SELECT Id FROM Task')).body).toMatchObject([{ errorCode: 'MALFORMED_QUERY' }]);
    expect((await query("SELECT Id FROM Task WHERE CallObject = 'a\\qb'")).body).toMatchObject([{ errorCode: 'MALFORMED_QUERY' }]);
    expect((await query("SELECT Id FROM Task WHERE Nope__c = 'a'")).body).toMatchObject([{ errorCode: 'INVALID_FIELD' }]);
  });
});
