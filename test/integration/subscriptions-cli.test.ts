/**
 * The callback URL's migration to a subscription (lib/subscriptions/migrate.ts) and `c2c subscriptions ...`, in-process
 * against a real dynalite table: migrated twice, one subscription, the same secrets open; the CLI's list, add, remove,
 * log and test against a receiver on real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newCallbackSecret } from '../../lib/notify/secrets';
import { SubscriptionRepository } from '../../lib/store/subscriptions';
import { TenantRepository } from '../../lib/store/tenants';
import { CallbackMigration, migratedSubscriptionId } from '../../lib/subscriptions/migrate';
import { startWebhookReceiver, type WebhookReceiver } from '../../local/webhook-receiver';
import { jsonOf, startCliTable, type CliTable } from '../support/cli';
import { testSealer } from '../support/env';

let cli: CliTable;
let tenants: TenantRepository;
let subscriptions: SubscriptionRepository;
let receiver: WebhookReceiver;

const tenantOf = (tenantId: string, extra: Record<string, unknown> = {}) =>
  tenants.create({
    tenantId,
    name: `Tenant ${tenantId}`,
    crmId: '100',
    clientId: '200',
    defaultCountry: 'GB',
    pbx: { urlShape: 'click2call', baseUrl: 'https://pbx.example.com', basicAuth: { username: 'c2c', password: 'pbx-password' } },
    ...extra,
  });

beforeAll(async () => {
  cli = await startCliTable('subscli');
  tenants = new TenantRepository(cli.table, testSealer());
  subscriptions = new SubscriptionRepository(cli.table, testSealer());
  receiver = await startWebhookReceiver({ secrets: [] });
});

afterAll(async () => {
  await receiver?.close();
  await cli?.stop();
});

describe('migrateCallbackToSubscription', () => {
  it('makes the callback the first subscription, once: run twice, one subscription, the same secrets open, the callback gone', async () => {
    const old = newCallbackSecret(new Date('2026-01-01T00:00:00Z'));
    const current = newCallbackSecret();
    await tenantOf('mig-a', { callback: { url: 'https://crm.example.com/hooks/c2c', secrets: [old, current] } });
    const migration = new CallbackMigration({ tenants, subscriptions });

    const first = await migration.migrateCallbackToSubscription('mig-a');
    expect(first).toEqual({ tenantId: 'mig-a', outcome: 'migrated', subscriptionId: migratedSubscriptionId('mig-a') });
    const second = await migration.migrateCallbackToSubscription('mig-a');
    expect(second).toEqual({ tenantId: 'mig-a', outcome: 'already_migrated', subscriptionId: first.subscriptionId });

    const all = await subscriptions.list('mig-a');
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({
      url: 'https://crm.example.com/hooks/c2c',
      events: ['*'],
      filter: null,
      status: 'enabled',
      origin: 'callback',
    });
    // The receiver keeps verifying: the very secrets it has, both still signing.
    const opened = await subscriptions.withSecrets('mig-a', first.subscriptionId!);
    expect(opened?.secrets.map((s) => [s.id, s.secret, s.expiresAt])).toEqual([
      [old.id, old.secret, null],
      [current.id, current.secret, null],
    ]);
    const tenant = await tenants.get('mig-a');
    expect(tenant?.callback).toBeUndefined();
    // The tenant's other secrets are untouched.
    expect(tenant?.pbx.basicAuth?.password).toBe('pbx-password');
  });

  it('finishes a run that died between the subscription and the callback removal', async () => {
    const secret = newCallbackSecret();
    await tenantOf('mig-b', { callback: { url: 'https://crm.example.com/b', secrets: [secret] } });
    const id = migratedSubscriptionId('mig-b');
    await subscriptions.create(
      'mig-b',
      { id, url: 'https://crm.example.com/b', events: ['*'], filter: null, description: null, origin: 'callback' },
      [{ ...secret, expiresAt: null }],
    );
    const result = await new CallbackMigration({ tenants, subscriptions }).migrateCallbackToSubscription('mig-b');
    expect(result.outcome).toBe('migrated');
    expect(await subscriptions.list('mig-b')).toHaveLength(1);
    expect((await tenants.get('mig-b'))?.callback).toBeUndefined();
  });

  it('c2c subscriptions migrate --all migrates every tenant with a callback, and a second run changes nothing', async () => {
    const secret = newCallbackSecret();
    await tenantOf('mig-c', { callback: { url: 'https://crm.example.com/c', secrets: [secret] } });
    await tenantOf('mig-d');
    const first = jsonOf<Array<{ tenantId: string; outcome: string }>>(await cli.c2c(['subscriptions', 'migrate', '--all', '--json']));
    expect(first).toEqual([expect.objectContaining({ tenantId: 'mig-c', outcome: 'migrated' })]);
    expect((await cli.c2c(['subscriptions', 'migrate', '--all'])).stdout).toContain('nothing to migrate');
    const again = jsonOf<Array<{ outcome: string }>>(await cli.c2c(['subscriptions', 'migrate', 'mig-c', '--json']));
    expect(again).toEqual([expect.objectContaining({ outcome: 'already_migrated' })]);
    expect(jsonOf<unknown[]>(await cli.c2c(['subscriptions', 'migrate', 'mig-d', '--json']))).toEqual([
      expect.objectContaining({ outcome: 'no_callback', subscriptionId: null }),
    ]);
    expect(await subscriptions.list('mig-c')).toHaveLength(1);
    expect((await cli.c2c(['subscriptions', 'migrate'])).code).toBe(2);
  });
});

describe('c2c subscriptions', () => {
  it('adds (the secret printed once), lists, tests, shows the log, removes', async () => {
    await tenantOf('cli-a');
    // The receiver listens on loopback, as the local stack's does.
    const c2c = (args: string[]) => cli.c2c(args, { env: { ALLOW_PRIVATE_OUTBOUND: 'true' } });
    const added = jsonOf<{ id: string; secret: string; events: string[]; filter: unknown }>(
      await c2c([
        'subscriptions',
        'add',
        'cli-a',
        '--url',
        `${receiver.url}/cli`,
        '--events',
        'call.completed,call.no_answer',
        '--team',
        'sales',
        '--json',
      ]),
    );
    expect(added).toMatchObject({ events: ['call.completed', 'call.no_answer'], filter: { team: 'sales' } });
    expect(added.secret).toMatch(/^whsec_/);

    const listed = await c2c(['subscriptions', 'list', 'cli-a']);
    expect(listed.stdout).toContain(added.id);
    expect(listed.stdout).not.toContain(added.secret);

    receiver.setSecrets([added.secret]);
    const tested = await c2c(['subscriptions', 'test', 'cli-a', added.id]);
    expect(tested.code, tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(/^Delivered: HTTP 204/);
    expect(receiver.deliveries().at(-1)).toMatchObject({ verified: true, type: 'ping' });
    receiver.setDown(true, 503);
    expect((await c2c(['subscriptions', 'test', 'cli-a', added.id])).code).toBe(1);
    receiver.setDown(false);

    const log = jsonOf<Array<{ event: string; status: string; responseCode: number }>>(
      await c2c(['subscriptions', 'log', 'cli-a', added.id, '--json']),
    );
    expect(log.map((a) => [a.event, a.status, a.responseCode])).toEqual([
      ['ping', 'failed', 503],
      ['ping', 'delivered', 204],
    ]);

    expect((await c2c(['subscriptions', 'remove', 'cli-a', added.id])).code).toBe(0);
    const gone = await c2c(['subscriptions', 'remove', 'cli-a', added.id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`No subscription ${added.id}`);
  });

  it('refuses a bad option naming it, and writes nothing', async () => {
    await tenantOf('cli-b');
    const http = await cli.c2c(['subscriptions', 'add', 'cli-b', '--url', 'http://hooks.example.com/x']);
    expect(http.code).toBe(2);
    expect(http.stderr).toContain('--url');
    const event = await cli.c2c(['subscriptions', 'add', 'cli-b', '--url', 'https://hooks.example.com/x', '--events', 'call.nope']);
    expect(event.code).toBe(2);
    expect(event.stderr).toContain('--events: 0 unknown event');
    const privateUrl = await cli.c2c(['subscriptions', 'add', 'cli-b', '--url', 'https://10.1.2.3/x'], {
      env: { ALLOW_PRIVATE_OUTBOUND: 'false' },
    });
    expect(privateUrl.code).toBe(2);
    expect(privateUrl.stderr).toContain('--url: 10.1.2.3 is a private');
    expect(await subscriptions.list('cli-b')).toEqual([]);
  });
});
