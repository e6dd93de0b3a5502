/**
 * `c2c hook ...` in-process against a real dynalite table: secrets (added beside the live ones,
 * shown only by hint), mappings, options and the URL to paste into the CRM.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthorization } from '../../lib/crm/sources/pipedrive';
import type { EffectiveMapping } from '../../lib/crm/mapping';
import { SOURCE_ADAPTERS } from '../../lib/crm/sources';
import { signStandardWebhook } from '../../lib/crm/standard-webhooks';
import { TenantRepository } from '../../lib/store/tenants';
import { WebhookSourceRepository } from '../../lib/store/webhook-sources';
import { jsonOf, startCliTable, type CliTable } from '../support/cli';
import { testSealer } from '../support/env';

let cli: CliTable;
let workDir: string;
let sources: WebhookSourceRepository;
let tenants: TenantRepository;

beforeAll(async () => {
  cli = await startCliTable('hookcli');
  workDir = cli.workDir;
  sources = new WebhookSourceRepository(cli.table, testSealer(), SOURCE_ADAPTERS);
  tenants = new TenantRepository(cli.table, testSealer());
});

afterAll(async () => {
  await cli?.stop();
});

const c2c = (args: string[], options: { env?: NodeJS.ProcessEnv; stackFile?: string } = {}) => cli.c2c(args, options);
const json = jsonOf;

/** `hook set-secret --json` (lib/cli/hook-commands.ts): the new secret by id and hint; the secret itself only when generated. */
interface SecretShown {
  secretId: string;
  hint: string;
  createdAt: string;
  liveSecrets: number;
  secret?: string;
}

/** `hook set-mapping | set-options | show --json`: a source's settings, secrets by id and hint only. */
interface SourceView {
  source: string;
  mapping: EffectiveMapping;
  publicUrl: string | null;
  refusalStatus: number;
  refusalStatusIsDefault: boolean;
  outsideCallingHours: 'refuse' | 'defer';
  outsideCallingHoursIsTenantPolicy: boolean;
  secrets: Array<{ secretId: string; hint: string; createdAt: string }>;
}

let counter = 0;
async function newTenant(): Promise<string> {
  const tenantId = `h${++counter}-${randomUUID().slice(0, 6)}`;
  await tenants.create({
    tenantId,
    name: 'T',
    crmId: '1',
    clientId: '2',
    defaultCountry: 'GB',
    pbx: { urlShape: 'click2call', baseUrl: 'https://pbx.example.com' },
  });
  return tenantId;
}

const delivery = (headers: Record<string, string>, rawBody = '{}') => ({ method: 'POST', url: 'https://x', headers, rawBody });

describe('hook set-secret / remove-secret', () => {
  it('--generate prints a whsec_ secret once; show lists only its id and hint; it verifies deliveries', async () => {
    const tenantId = await newTenant();
    const res = await c2c(['hook', 'set-secret', tenantId, 'standard', '--generate', '--json']);
    const out = json<SecretShown & { secret: string }>(res);
    expect(out.secret).toMatch(/^whsec_/);
    expect(out.hint).toBe(`whsec_…${out.secret.slice(-4)}`);
    expect(res.stderr).toMatch(/shown only once/);

    const show = await c2c(['hook', 'show', tenantId, 'standard']);
    expect(show.stdout).toContain(out.secretId);
    expect(show.stdout).not.toContain(out.secret);

    const config = (await sources.get(tenantId, 'standard'))!;
    const now = Date.now();
    const body = '{"data":{}}';
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(Math.floor(now / 1000)),
      'webhook-signature': signStandardWebhook(out.secret, 'msg_1', Math.floor(now / 1000), body),
    };
    expect(SOURCE_ADAPTERS.standard.verify(delivery(headers, body), config.secrets, now)).toMatchObject({
      ok: true,
      secretId: out.secretId,
    });
  });

  it('--secret-env reads the secret from the environment, keeps the old one (rotation), and remove-secret ends it', async () => {
    const tenantId = await newTenant();
    const first = json<SecretShown>(
      await c2c(['hook', 'set-secret', tenantId, 'pipedrive', '--secret-env', 'PD', '--json'], { env: { PD: 'c2c:first-password-123' } }),
    );
    const second = json<SecretShown>(
      await c2c(['hook', 'set-secret', tenantId, 'pipedrive', '--secret-env', 'PD', '--json'], { env: { PD: 'c2c:second-password-45' } }),
    );
    expect(first.secret).toBeUndefined();
    expect(second.liveSecrets).toBe(2);
    const stored = (await sources.get(tenantId, 'pipedrive'))!;
    expect(JSON.stringify(stored)).not.toContain('first-password');
    for (const password of ['first-password-123', 'second-password-45']) {
      expect(
        SOURCE_ADAPTERS.pipedrive.verify(delivery({ authorization: basicAuthorization('c2c', password) }), stored.secrets, Date.now()).ok,
      ).toBe(true);
    }

    const removed = await c2c(['hook', 'remove-secret', tenantId, 'pipedrive', first.secretId]);
    expect(removed.code, removed.stderr).toBe(0);
    const after = (await sources.get(tenantId, 'pipedrive'))!;
    expect(after.secrets.map((s) => s.secretId)).toEqual([second.secretId]);
    expect(
      SOURCE_ADAPTERS.pipedrive.verify(
        delivery({ authorization: basicAuthorization('c2c', 'first-password-123') }),
        after.secrets,
        Date.now(),
      ).ok,
    ).toBe(false);

    const last = await c2c(['hook', 'remove-secret', tenantId, 'pipedrive', second.secretId]);
    expect(last.stderr).toMatch(/no live secret/);
  });

  it('refuses a secret that does not fit its source, a missing variable, both or neither option, and --generate for HubSpot', async () => {
    const tenantId = await newTenant();
    expect((await c2c(['hook', 'set-secret', tenantId, 'standard', '--secret-env', 'S'], { env: { S: 'whsec_c2hvcnQ=' } })).code).toBe(2);
    expect((await c2c(['hook', 'set-secret', tenantId, 'token', '--secret-env', 'NOPE'])).code).toBe(2);
    expect((await c2c(['hook', 'set-secret', tenantId, 'token'])).code).toBe(2);
    expect((await c2c(['hook', 'set-secret', tenantId, 'token', '--generate', '--secret-env', 'X'])).code).toBe(2);
    const hubspot = await c2c(['hook', 'set-secret', tenantId, 'hubspot', '--generate']);
    expect(hubspot.code).toBe(2);
    expect(hubspot.stderr).toMatch(/issued by the vendor/);
    expect((await c2c(['hook', 'set-secret', tenantId, 'zapier', '--generate'])).code).toBe(2);
    expect(await sources.list(tenantId)).toEqual([]);
  });

  it('stops at five live secrets', async () => {
    const tenantId = await newTenant();
    for (let i = 0; i < 5; i++) expect((await c2c(['hook', 'set-secret', tenantId, 'token', '--generate'])).code).toBe(0);
    const sixth = await c2c(['hook', 'set-secret', tenantId, 'token', '--generate']);
    expect(sixth.code).toBe(1);
    expect(sixth.stderr).toMatch(/5 live secrets/);
  });

  it('names an unknown tenant instead of creating settings for it', async () => {
    const res = await c2c(['hook', 'set-secret', 'no-such-tenant', 'token', '--generate']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/Tenant no-such-tenant not found/);
  });
});

describe('hook set-mapping', () => {
  it('overrides the given fields, keeps the defaults of the others, and --reset goes back', async () => {
    const tenantId = await newTenant();
    const view = json<SourceView>(
      await c2c([
        'hook',
        'set-mapping',
        tenantId,
        'hubspot',
        '--to',
        'properties.mobilephone|properties.phone',
        '--agent-by',
        'email',
        '--agent',
        'properties.owner_email',
        '--custom',
        'campaign=properties.campaign',
        '--custom',
        'stage=properties.lifecyclestage',
        '--no-lead',
        '--json',
      ]),
    );
    expect(view.mapping).toMatchObject({
      agent: { by: 'email', path: ['properties.owner_email'] },
      to: ['properties.mobilephone', 'properties.phone'],
      lead: null,
      customData: { campaign: ['properties.campaign'], stage: ['properties.lifecyclestage'] },
      deliveryId: null,
    });
    expect((await sources.get(tenantId, 'hubspot'))!.mapping).toEqual({
      agent: { by: 'email', path: ['properties.owner_email'] },
      to: ['properties.mobilephone', 'properties.phone'],
      lead: null,
      customData: { campaign: ['properties.campaign'], stage: ['properties.lifecyclestage'] },
    });

    const agentOnly = json<SourceView>(await c2c(['hook', 'set-mapping', tenantId, 'hubspot', '--agent-by', 'crmUserId', '--json']));
    expect(agentOnly.mapping.agent).toEqual({ by: 'crmUserId', path: ['properties.owner_email'] });

    const reset = json<SourceView>(await c2c(['hook', 'set-mapping', tenantId, 'hubspot', '--reset', '--json']));
    expect(reset.mapping).toEqual(SOURCE_ADAPTERS.hubspot.defaultMapping);
  });

  it('refuses a malformed path and a delivery id for standard (webhook-id is signed)', async () => {
    const tenantId = await newTenant();
    expect((await c2c(['hook', 'set-mapping', tenantId, 'token', '--to', 'a..b'])).code).toBe(2);
    expect((await c2c(['hook', 'set-mapping', tenantId, 'token', '--custom', 'nameonly'])).code).toBe(2);
    expect((await c2c(['hook', 'set-mapping', tenantId, 'standard', '--delivery-id', 'data.id'])).code).toBe(2);
    const header = json<SourceView>(
      await c2c(['hook', 'set-mapping', tenantId, 'token', '--delivery-id', 'header:x-zap-run-id', '--json']),
    );
    expect(header.mapping.deliveryId).toEqual(['header:x-zap-run-id']);
  });

  it('sets the lead type: one kind for every delivery, a path of the payload, or none; refuses a kind that is not one', async () => {
    const tenantId = await newTenant();
    const constant = json<SourceView>(await c2c(['hook', 'set-mapping', tenantId, 'token', '--lead-type', 'Deal', '--json']));
    expect(constant.mapping.leadType).toEqual({ value: 'deal' });
    const path = json<SourceView>(await c2c(['hook', 'set-mapping', tenantId, 'token', '--lead-type-path', 'kind|lead.kind', '--json']));
    expect(path.mapping.leadType).toEqual({ path: ['kind', 'lead.kind'] });
    const shown = await c2c(['hook', 'show', tenantId, 'token']);
    expect(shown.stdout).toMatch(/lead type: +kind \| lead\.kind/);
    const none = json<SourceView>(await c2c(['hook', 'set-mapping', tenantId, 'token', '--no-lead-type', '--json']));
    expect(none.mapping.leadType).toBeNull();
    const bad = await c2c(['hook', 'set-mapping', tenantId, 'token', '--lead-type', 'ticket']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--lead-type.*expected one of contact/);
    expect((await c2c(['hook', 'set-mapping', tenantId, 'token', '--lead-type', 'deal', '--lead-type-path', 'kind'])).code).toBe(2);
    expect((await sources.get(tenantId, 'token'))?.mapping.leadType).toBeNull();
  });
});

describe('hook set-mapping: calling a team', () => {
  it('--team calls one team for every delivery, with --max-wait-sec; --json and show say so', async () => {
    const tenantId = await newTenant();
    const view = json<SourceView>(
      await c2c(['hook', 'set-mapping', tenantId, 'hubspot', '--team', 'inbound-sales', '--max-wait-sec', '120', '--json']),
    );
    expect(view.mapping).toMatchObject({ agent: null, team: 'inbound-sales', maxWaitSec: 120, to: ['properties.phone', 'phone'] });
    expect((await sources.get(tenantId, 'hubspot'))!.mapping).toEqual({ team: 'inbound-sales', maxWaitSec: 120 });
    const text = await c2c(['hook', 'show', tenantId, 'hubspot']);
    expect(text.stdout).toMatch(/team:\s+inbound-sales \(every delivery\)/);
    expect(text.stdout).toMatch(/max wait:\s+120 s/);
  });

  it('--agent-by team reads the team from the payload and replaces a constant team; --not-before maps the time', async () => {
    const tenantId = await newTenant();
    await c2c(['hook', 'set-mapping', tenantId, 'pipedrive', '--team', 'inbound-sales', '--max-wait-sec', '60']);
    const view = json<SourceView>(
      await c2c([
        'hook',
        'set-mapping',
        tenantId,
        'pipedrive',
        '--agent-by',
        'team',
        '--agent',
        'data.custom_fields.team.value',
        '--not-before',
        'data.custom_fields.call_at.value',
        '--json',
      ]),
    );
    expect(view.mapping).toMatchObject({
      agent: { by: 'team', path: ['data.custom_fields.team.value'] },
      maxWaitSec: 60,
      notBefore: ['data.custom_fields.call_at.value'],
    });
    expect(view.mapping).not.toHaveProperty('team');
    expect((await sources.get(tenantId, 'pipedrive'))!.mapping).toEqual({
      agent: { by: 'team', path: ['data.custom_fields.team.value'] },
      maxWaitSec: 60,
      notBefore: ['data.custom_fields.call_at.value'],
    });
    const off = json<SourceView>(await c2c(['hook', 'set-mapping', tenantId, 'pipedrive', '--no-not-before', '--json']));
    expect(off.mapping.notBefore).toBeNull();
  });

  it('--no-team goes back to the agent path, once the wait is dropped too', async () => {
    const tenantId = await newTenant();
    await c2c(['hook', 'set-mapping', tenantId, 'token', '--team', 'inbound-sales', '--max-wait-sec', '300']);
    const kept = await c2c(['hook', 'set-mapping', tenantId, 'token', '--no-team']);
    expect(kept.code).toBe(2);
    expect(kept.stderr).toMatch(/--no-max-wait-sec/);
    expect((await sources.get(tenantId, 'token'))!.mapping).toEqual({ team: 'inbound-sales', maxWaitSec: 300 });
    const back = json<SourceView>(await c2c(['hook', 'set-mapping', tenantId, 'token', '--no-team', '--no-max-wait-sec', '--json']));
    expect(back.mapping.agent).toEqual(SOURCE_ADAPTERS.token.defaultMapping.agent);
    expect(back.mapping).not.toHaveProperty('maxWaitSec');
    expect((await sources.get(tenantId, 'token'))!.mapping).toEqual({});
  });

  it('refuses a bad team name, a team beside an agent path, a wait out of range, and a wait for an agent call', async () => {
    const tenantId = await newTenant();
    const refused = async (...args: string[]) => {
      const res = await c2c(['hook', 'set-mapping', tenantId, 'standard', ...args]);
      expect(res.code, args.join(' ')).toBe(2);
      return res.stderr;
    };
    expect(await refused('--team', 'inbound sales')).toMatch(/--team/);
    expect(await refused('--team', 'inbound-sales', '--agent', 'data.owner')).toMatch(/not both/);
    expect(await refused('--team', 'inbound-sales', '--max-wait-sec', '0')).toMatch(/1 to 3600/);
    expect(await refused('--team', 'inbound-sales', '--max-wait-sec', '3601')).toMatch(/1 to 3600/);
    expect(await refused('--max-wait-sec', '60')).toMatch(/team calls/);
    expect(await sources.list(tenantId)).toEqual([]);
  });
});

describe('hook set-options, show and url', () => {
  it("sets the rule outside calling hours per source; default is the tenant's policy", async () => {
    const tenantId = await newTenant();
    const view = json<SourceView>(await c2c(['hook', 'set-options', tenantId, 'hubspot', '--outside-calling-hours', 'defer', '--json']));
    expect(view).toMatchObject({ outsideCallingHours: 'defer', outsideCallingHoursIsTenantPolicy: false });
    expect((await sources.get(tenantId, 'hubspot'))!.outsideCallingHours).toBe('defer');
    expect((await c2c(['hook', 'show', tenantId, 'hubspot'])).stdout).toMatch(/outside calling hours:\s+defer\n/);

    const tenant = (await tenants.get(tenantId))!;
    await tenants.put({ ...tenant, policy: { ...tenant.policy, outsideCallingHours: 'defer' } });
    const back = json<SourceView>(await c2c(['hook', 'set-options', tenantId, 'hubspot', '--outside-calling-hours', 'default', '--json']));
    expect(back).toMatchObject({ outsideCallingHours: 'defer', outsideCallingHoursIsTenantPolicy: true });
    expect((await sources.get(tenantId, 'hubspot'))!).not.toHaveProperty('outsideCallingHours');
    expect((await c2c(['hook', 'set-options', tenantId, 'hubspot', '--outside-calling-hours', 'later'])).code).toBe(2);
  });

  it('sets the public URL and the refusal status, and shows them', async () => {
    const tenantId = await newTenant();
    const url = `https://calls.example.com/v1/hooks/hubspot/${tenantId}`;
    const view = json<SourceView>(
      await c2c(['hook', 'set-options', tenantId, 'hubspot', '--public-url', url, '--refusal-status', '200', '--json']),
    );
    expect(view).toMatchObject({ publicUrl: url, refusalStatus: 200, refusalStatusIsDefault: false });
    const back = json<SourceView>(
      await c2c(['hook', 'set-options', tenantId, 'hubspot', '--no-public-url', '--refusal-status', 'default', '--json']),
    );
    expect(back).toMatchObject({ publicUrl: null, refusalStatus: 422, refusalStatusIsDefault: true });
    expect((await c2c(['hook', 'set-options', tenantId, 'hubspot', '--public-url', 'not a url'])).code).toBe(2);
  });

  it('show lists every configured source with its default refusal status', async () => {
    const tenantId = await newTenant();
    await c2c(['hook', 'set-secret', tenantId, 'token', '--generate']);
    await c2c(['hook', 'set-secret', tenantId, 'hubspot', '--secret-env', 'HS'], { env: { HS: '7e4f6a53-1c3b-4a5e-9d2b-8f0c1a2b3c4d' } });
    const views = json<SourceView[]>(await c2c(['hook', 'show', tenantId, '--json']));
    expect(views.map((v) => [v.source, v.refusalStatus, v.secrets.length]).sort()).toEqual([
      ['hubspot', 422, 1],
      ['token', 200, 1],
    ]);
    const text = await c2c(['hook', 'show', tenantId]);
    expect(text.stdout).toContain(`/v1/hooks/hubspot/${tenantId}`);
    expect(text.stdout).toContain('…3c4d');
    expect(text.stdout).not.toContain('7e4f6a53');
  });

  it('url prints the URL to paste, from --api-url, C2C_API_URL or the local stack', async () => {
    const fromOption = await c2c(['hook', 'url', 'acme', 'pipedrive', '--api-url', 'https://abc.execute-api.eu-west-1.amazonaws.com/']);
    expect(fromOption.stdout).toBe('https://abc.execute-api.eu-west-1.amazonaws.com/v1/hooks/pipedrive/acme\n');
    const fromEnv = await c2c(['hook', 'url', 'acme', 'hubspot'], { env: { C2C_API_URL: 'https://calls.example.com' } });
    expect(fromEnv.stdout).toBe('https://calls.example.com/v1/hooks/hubspot/acme\n');
    expect(fromEnv.stderr).toMatch(/--public-url/);
    const stackFile = join(workDir, 'stack.json');
    writeFileSync(
      stackFile,
      JSON.stringify({ apiUrl: 'http://127.0.0.1:3000', dynamoEndpoint: cli.dynamo.endpoint, tableName: cli.table.name }),
    );
    expect((await c2c(['hook', 'url', 'acme', 'token'], { stackFile })).stdout).toBe('http://127.0.0.1:3000/v1/hooks/token/acme\n');
    expect((await c2c(['hook', 'url', 'acme', 'token'])).code).toBe(2);
  });
});
