import net from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Click2CallClient, type DialRequest, type PbxSettings } from '../../../lib/pbx/click2call';
import { InvalidDialRequestError, InvalidPbxSettingsError } from '../../../lib/pbx/errors';
import { DEFAULT_ALLOW, DEFAULT_EXTENSIONS, startPbxSimulator, type PbxSimulator } from '../../../local/pbx-sim/simulator';

const dial: DialRequest = { legA: '1000', legB: '4477668899', query: { c2c_call_id: 'c_TEST' } };

let sim: PbxSimulator;
let client: Click2CallClient;
let settings: PbxSettings;

beforeAll(async () => {
  sim = await startPbxSimulator({ port: 0 });
  client = new Click2CallClient();
  settings = { urlShape: 'click2call', baseUrl: sim.url, crmId: '77', clientId: '4242', timeoutMs: 2_000 };
});

afterAll(async () => {
  client.close();
  await sim.close();
});

beforeEach(() => {
  sim.clearRequests();
  sim.clearFault();
  sim.setExtensions(DEFAULT_EXTENSIONS);
  sim.setAllow(DEFAULT_ALLOW);
});

/** A local port nobody listens on: bound then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function cdrSearch(form: Record<string, string>): Promise<{ data: { uniqueid: string }[]; total: number }> {
  const res = await fetch(`${sim.url}/api/cdrs`, { method: 'POST', body: new URLSearchParams(form) });
  expect(res.status).toBe(200);
  return (await res.json()) as { data: { uniqueid: string }[]; total: number };
}

describe('Click2CallClient against the PBX simulator', () => {
  describe('accepted', () => {
    it('places a call in the click2call shape and gets its unique id', async () => {
      const outcome = await client.dial(settings, dial);

      expect(outcome).toMatchObject({
        kind: 'accepted',
        message: 'OK',
        legA: '1000',
        legB: '4477668899',
        pbxHost: 'sim.pbx.commpeak.local',
      });
      const requests = sim.requests();
      expect(requests).toHaveLength(1);
      expect(requests[0]).toMatchObject({
        shape: 'click2call',
        crmId: '77',
        clientId: '4242',
        legA: '1000',
        legB: '4477668899',
        query: { c2c_call_id: 'c_TEST' },
        outcome: 'accepted',
        authorizationPresent: false,
      });
      expect(outcome.kind === 'accepted' && outcome.uniqueId).toBe(requests[0]?.uniqueId);
    });

    it('places a call in the stats shape, the prefix arriving as one segment and echoed before leg_b', async () => {
      const outcome = await client.dial({ ...settings, urlShape: 'stats' }, { ...dial, prefix: '*9/?#..' });

      expect(outcome).toMatchObject({ kind: 'accepted', legB: '*9/?#..4477668899' });
      expect(sim.requests()).toEqual([
        expect.objectContaining({ shape: 'stats', prefix: '*9/?#..', legB: '4477668899', query: dial.query }),
      ]);
    });

    it('answers accepted when the PBX is slow but within the timeout', async () => {
      sim.setFault({ mode: 'latency', latencyMs: 300 });

      const outcome = await client.dial(settings, dial);

      expect(outcome.kind).toBe('accepted');
      expect(outcome.latencyMs).toBeGreaterThanOrEqual(290);
      expect(sim.requests()).toHaveLength(1);
    });

    it('does not let the idle-socket timeout cut a slow answer short', async () => {
      const impatient = new Click2CallClient({ agentOptions: { timeout: 100 } });
      sim.setFault({ mode: 'latency', latencyMs: 400 });
      try {
        expect((await impatient.dial(settings, dial)).kind).toBe('accepted');
      } finally {
        impatient.close();
      }
    });

    it('places consecutive calls through its keep-alive agent, each with its own unique id', async () => {
      await client.dial(settings, dial);
      await client.dial(settings, dial);

      const [first, second] = sim.requests();
      expect(first?.outcome).toBe('accepted');
      expect(second?.outcome).toBe('accepted');
      expect(first?.uniqueId).not.toBe(second?.uniqueId);
    });

    it('sends each of many concurrent calls exactly once', async () => {
      const ids = Array.from({ length: 25 }, (_, i) => `c_PAR${i}`);

      const outcomes = await Promise.all(ids.map((id) => client.dial(settings, { ...dial, query: { c2c_call_id: id } })));

      expect(outcomes.every((o) => o.kind === 'accepted')).toBe(true);
      expect(
        sim
          .requests()
          .map((r) => r.query.c2c_call_id)
          .sort(),
      ).toEqual([...ids].sort());
    });
  });

  describe('refused', () => {
    it('keeps the PBX message verbatim for an unknown extension', async () => {
      const outcome = await client.dial(settings, { ...dial, legA: '1009' });

      expect(outcome).toMatchObject({ kind: 'refused', message: 'Extension does not exist.', pbxHost: 'sim.pbx.commpeak.local' });
      expect(sim.requests()).toEqual([expect.objectContaining({ outcome: 'refused', placed: false })]);
    });

    it('answers refused to a refusal fault', async () => {
      sim.setFault({ mode: 'refuse' });

      const outcome = await client.dial(settings, dial);

      expect(outcome).toMatchObject({ kind: 'refused', message: 'Call refused by simulator fault.' });
      expect(sim.requests()).toHaveLength(1);
    });
  });

  describe('not_allowlisted', () => {
    it('answers not_allowlisted when our address is off the allowlist', async () => {
      sim.setAllow(['203.0.113.7']);
      const cdrsBefore = sim.cdrs().length;

      const outcome = await client.dial(settings, dial);

      expect(outcome).toMatchObject({ kind: 'not_allowlisted', httpStatus: 404 });
      expect(sim.requests()).toEqual([expect.objectContaining({ outcome: 'not_allowlisted', placed: false })]);
      expect(sim.cdrs()).toHaveLength(cdrsBefore);
    });

    it('answers not_allowlisted to a not_found fault', async () => {
      sim.setFault({ mode: 'not_found' });

      expect(await client.dial(settings, dial)).toMatchObject({ kind: 'not_allowlisted', httpStatus: 404 });
      expect(sim.requests()).toHaveLength(1);
    });
  });

  describe('not_sent', () => {
    it('answers not_sent when nothing listens on the port', async () => {
      const port = await closedPort();

      const outcome = await client.dial({ ...settings, baseUrl: `http://127.0.0.1:${port}` }, dial);

      expect(outcome).toMatchObject({ kind: 'not_sent', code: 'ECONNREFUSED' });
      expect(sim.requests()).toHaveLength(0);
    });

    it('answers not_sent when the PBX host does not resolve', async () => {
      const outcome = await client.dial({ ...settings, baseUrl: 'http://pbx.c2c-test.invalid' }, dial);

      expect(outcome.kind).toBe('not_sent');
      expect(outcome.kind === 'not_sent' && outcome.code).toMatch(/^(ENOTFOUND|EAI_AGAIN)$/);
    });

    it('answers not_sent to a base URL it cannot use', async () => {
      const outcome = await client.dial({ ...settings, baseUrl: 'pbx.example' }, dial);

      expect(outcome).toMatchObject({ kind: 'not_sent', code: 'invalid_url' });
    });
  });

  describe('unknown: the request may have reached the PBX', () => {
    it('answers unknown when the PBX never answers within the timeout, having sent exactly once', async () => {
      sim.setFault({ mode: 'hang' });

      const outcome = await client.dial({ ...settings, timeoutMs: 300 }, dial);

      expect(outcome).toMatchObject({ kind: 'unknown', code: 'timeout' });
      expect(outcome.latencyMs).toBeGreaterThanOrEqual(290);
      expect(sim.requests()).toEqual([expect.objectContaining({ outcome: 'hang', placed: true })]);
    });

    it('answers unknown when the PBX answers after the timeout', async () => {
      sim.setFault({ mode: 'latency', latencyMs: 1_000 });

      expect(await client.dial({ ...settings, timeoutMs: 200 }, dial)).toMatchObject({ kind: 'unknown', code: 'timeout' });
      expect(sim.requests()).toHaveLength(1);
    });

    it('answers unknown when the PBX resets the connection, having sent exactly once', async () => {
      sim.setFault({ mode: 'reset' });

      const outcome = await client.dial(settings, dial);

      expect(outcome).toMatchObject({ kind: 'unknown', code: 'ECONNRESET' });
      expect(sim.requests()).toEqual([expect.objectContaining({ outcome: 'reset' })]);
    });

    it.each([
      ['http_500', 500],
      ['http_503', 503],
    ] as const)('answers unknown to %s with the status', async (mode, status) => {
      sim.setFault({ mode });

      expect(await client.dial(settings, dial)).toMatchObject({ kind: 'unknown', code: `http_${status}`, httpStatus: status });
      expect(sim.requests()).toHaveLength(1);
    });

    it('answers unknown to a 200 whose body is not JSON', async () => {
      sim.setFault({ mode: 'malformed' });

      expect(await client.dial(settings, dial)).toMatchObject({ kind: 'unknown', code: 'unreadable_body', httpStatus: 200 });
      expect(sim.requests()).toHaveLength(1);
    });

    it('sends the next request normally once a fault limited by times is spent', async () => {
      sim.setFault({ mode: 'http_503', times: 1 });

      expect((await client.dial(settings, dial)).kind).toBe('unknown');
      expect((await client.dial(settings, dial)).kind).toBe('accepted');
      expect(sim.requests().map((r) => r.outcome)).toEqual(['http_503', 'accepted']);
    });
  });

  describe('invalid requests', () => {
    it.each([
      ['legA', { legA: 'abc' }],
      ['legB', { legB: '+4477668899' }],
    ] as const)('rejects a non-digit %s before any I/O', async (_field, override) => {
      await expect(client.dial(settings, { ...dial, ...override })).rejects.toBeInstanceOf(InvalidDialRequestError);
      expect(sim.requests()).toHaveLength(0);
    });

    it('rejects a non-digit CRM id before any I/O', async () => {
      await expect(client.dial({ ...settings, crmId: 'crm' }, dial)).rejects.toBeInstanceOf(InvalidPbxSettingsError);
      expect(sim.requests()).toHaveLength(0);
    });

    it('rejects a timeout that is not a positive number', async () => {
      await expect(client.dial({ ...settings, timeoutMs: 0 }, dial)).rejects.toBeInstanceOf(InvalidPbxSettingsError);
      expect(sim.requests()).toHaveLength(0);
    });
  });

  describe('CDR search (the reconciler’s view)', () => {
    it('finds an accepted call by uniqueid and by custom field', async () => {
      const outcome = await client.dial(settings, { ...dial, query: { c2c_call_id: 'c_FOUND' } });
      if (outcome.kind !== 'accepted') throw new Error(`expected accepted, got ${outcome.kind}`);

      const byId = await cdrSearch({ uniqueid: outcome.uniqueId });
      expect(byId.total).toBe(1);
      expect(byId.data[0]).toMatchObject({
        uniqueid: outcome.uniqueId,
        extension: '1000',
        destination: '4477668899',
        hangup_cause: 'ANSWERED',
        duration: 42,
        bill_duration: 40,
        custom_fields: { c2c_call_id: 'c_FOUND' },
      });
      expect(await cdrSearch({ c2c_call_id: 'c_FOUND' })).toMatchObject({ total: 1, data: [{ uniqueid: outcome.uniqueId }] });
    });

    it('finds the call behind a hang, which the PBX placed although it never answered', async () => {
      sim.setFault({ mode: 'hang' });

      await client.dial({ ...settings, timeoutMs: 200 }, { ...dial, query: { c2c_call_id: 'c_HUNG' } });

      expect(await cdrSearch({ c2c_call_id: 'c_HUNG' })).toMatchObject({ total: 1 });
    });

    it('finds no call behind a fault with placed:false', async () => {
      sim.setFault({ mode: 'reset', placed: false });

      await client.dial(settings, { ...dial, query: { c2c_call_id: 'c_NEVER' } });

      expect(sim.requests()).toHaveLength(1);
      expect(await cdrSearch({ c2c_call_id: 'c_NEVER' })).toEqual({ data: [], total: 0 });
    });

    it('finds no call for a refusal', async () => {
      await client.dial(settings, { ...dial, legA: '1009', query: { c2c_call_id: 'c_REFUSED' } });

      expect(await cdrSearch({ c2c_call_id: 'c_REFUSED' })).toEqual({ data: [], total: 0 });
    });
  });
});

describe('Click2CallClient with HTTP Basic credentials', () => {
  let authSim: PbxSimulator;
  let authSettings: PbxSettings;
  const basicAuth = { username: 'c2c', password: 's3cr:et' };

  beforeAll(async () => {
    authSim = await startPbxSimulator({ port: 0, basicAuth });
    authSettings = { urlShape: 'stats', baseUrl: authSim.url, crmId: '', clientId: '', timeoutMs: 2_000 };
  });
  afterAll(async () => {
    await authSim.close();
  });
  afterEach(() => {
    authSim.clearRequests();
  });

  it('is accepted with the right credentials', async () => {
    expect((await client.dial({ ...authSettings, basicAuth }, dial)).kind).toBe('accepted');
    expect(authSim.requests()).toEqual([expect.objectContaining({ outcome: 'accepted', authorizationPresent: true })]);
  });

  it('answers unknown with HTTP 401 to wrong credentials', async () => {
    const cdrsBefore = authSim.cdrs().length;

    const outcome = await client.dial({ ...authSettings, basicAuth: { ...basicAuth, password: 'wrong' } }, dial);

    expect(outcome).toMatchObject({ kind: 'unknown', httpStatus: 401 });
    expect(authSim.requests()).toEqual([expect.objectContaining({ outcome: 'unauthorized', authorizationPresent: true })]);
    expect(authSim.cdrs()).toHaveLength(cdrsBefore);
  });

  it('answers unknown with HTTP 401 without credentials', async () => {
    expect(await client.dial(authSettings, dial)).toMatchObject({ kind: 'unknown', httpStatus: 401 });
    expect(authSim.requests()).toEqual([expect.objectContaining({ outcome: 'unauthorized', authorizationPresent: false })]);
  });
});
