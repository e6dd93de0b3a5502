/**
 * The operator CLI (`c2c`), run in-process against a real dynalite table: every command's effect is
 * checked in the table, not only in what it prints. One test runs the real `bin/c2c.cjs` process.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentRepository } from '../../lib/store/agents';
import { ApiKeyRepository } from '../../lib/store/api-keys';
import { CallRepository, type StoredCall } from '../../lib/store/calls';
import type { Table } from '../../lib/store/client';
import { TenantRepository } from '../../lib/store/tenants';
import type { LocalDynamo } from '../../local/dynamo';
import { storedCall } from '../support/calls';
import { jsonOf, runCli, startCliTable, type CliResult, type CliTable } from '../support/cli';
import { testSealer } from '../support/env';
import { anyOf, containing, objectWith } from '../support/match';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const PBX_PASSWORD = 'pbx-s3cret-password';

let cli: CliTable;
let dynamo: LocalDynamo;
let table: Table;
let workDir: string;
let tenants: TenantRepository;
let keys: ApiKeyRepository;
let agents: AgentRepository;
let calls: CallRepository;

beforeAll(async () => {
  cli = await startCliTable('cli');
  ({ dynamo, table, workDir } = cli);
  tenants = new TenantRepository(table, testSealer());
  keys = new ApiKeyRepository(table);
  agents = new AgentRepository(table);
  calls = new CallRepository(table);
});

afterAll(async () => {
  await cli?.stop();
});

type Result = CliResult;

/** Runs `c2c <args>` in-process; the table is chosen with --endpoint/--table unless `target` says otherwise. */
async function c2c(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; stackFile?: string; target?: string[]; isTTY?: boolean } = {},
): Promise<Result> {
  if (!options.target) return cli.c2c(args, options);
  return runCli([...options.target, ...args], {
    stackFile: options.stackFile ?? join(workDir, 'no-stack.json'),
    env: options.env,
    isTTY: options.isTTY,
  });
}

const json = jsonOf;

let tenantCounter = 0;
/** A fresh tenant per test, so tests share the table without seeing each other's data. */
async function newTenant(): Promise<string> {
  const tenantId = `t${++tenantCounter}-${randomUUID().slice(0, 6)}`;
  await tenants.create({
    tenantId,
    name: 'Test tenant',
    crmId: '1',
    clientId: '2',
    defaultCountry: 'GB',
    pbx: { urlShape: 'click2call', baseUrl: 'https://pbx.example.com' },
  });
  return tenantId;
}

function csvFile(content: string): string {
  const file = join(workDir, `${randomUUID()}.csv`);
  writeFileSync(file, content);
  return file;
}

describe('tenant', () => {
  const createArgs = (tenantId: string) => [
    'tenant',
    'create',
    tenantId,
    '--name',
    'Acme Ltd',
    '--crm-id',
    '100',
    '--client-id',
    '200',
    '--default-country',
    'gb',
    '--pbx-url',
    'https://acme.pbx.commpeak.com',
    '--url-shape',
    'stats',
    '--pbx-user',
    'acme',
    '--pbx-password-env',
    'ACME_PBX_PASSWORD',
    '--cdr-url',
    'https://acme.pbx.commpeak.com/api/cdrs',
    '--cdr-key-env',
    'ACME_CDR_KEY',
    '--allowed-countries',
    'GB,ie',
  ];
  const env = { ACME_PBX_PASSWORD: PBX_PASSWORD, ACME_CDR_KEY: 'cdr-key-value-123' };

  it('creates a tenant with secrets read from the environment, and shows it with the secrets masked', async () => {
    const created = await c2c(createArgs('acme-create'), { env });
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('Created tenant acme-create');

    const stored = await tenants.get('acme-create');
    expect(stored).toMatchObject({
      name: 'Acme Ltd',
      crmId: '100',
      clientId: '200',
      defaultCountry: 'GB',
      pbx: {
        urlShape: 'stats',
        baseUrl: 'https://acme.pbx.commpeak.com',
        basicAuth: { username: 'acme', password: PBX_PASSWORD },
        cdrApiUrl: 'https://acme.pbx.commpeak.com/api/cdrs',
        cdrApiKey: 'cdr-key-value-123',
      },
      policy: { allowedCountries: ['GB', 'IE'] },
    });

    const shown = await c2c(['tenant', 'show', 'acme-create']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('acme.pbx.commpeak.com');
    const shownJson = json<{ pbx: { basicAuth: { password: string }; cdrApiKey: string } }>(
      await c2c(['tenant', 'show', 'acme-create', '--json']),
    );
    expect(shownJson.pbx.basicAuth.password).toBe('********');
    expect(shownJson.pbx.cdrApiKey).toBe('********');
    for (const output of [created.stdout, created.stderr, shown.stdout, JSON.stringify(shownJson)]) {
      expect(output).not.toContain(PBX_PASSWORD);
      expect(output).not.toContain('cdr-key-value-123');
    }
  });

  it('refuses to overwrite an existing tenant', async () => {
    expect((await c2c(createArgs('acme-twice'), { env })).code).toBe(0);
    const again = await c2c(createArgs('acme-twice'), { env: { ...env, ACME_PBX_PASSWORD: 'other' } });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/acme-twice exists already/);
    expect((await tenants.get('acme-twice'))?.pbx.basicAuth?.password).toBe(PBX_PASSWORD);
  });

  it('names the option to fix when a value is invalid, and writes nothing', async () => {
    const args = createArgs('acme-bad');
    args[args.indexOf('--crm-id') + 1] = 'abc';
    const result = await c2c(args, { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--crm-id: digits only/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(await tenants.get('acme-bad')).toBeUndefined();
  });

  it('sets the waiting-call limit (maxWaitingCalls), shows it, and refuses one below 1 naming --max-waiting-calls', async () => {
    expect((await c2c([...createArgs('acme-wait'), '--max-waiting-calls', '50'], { env })).code).toBe(0);
    expect((await tenants.get('acme-wait'))?.policy.maxWaitingCalls).toBe(50);
    expect((await c2c(['tenant', 'show', 'acme-wait'])).stdout).toMatch(/max waiting calls:\s+50\b/);
    const refused = await c2c([...createArgs('acme-wait0'), '--max-waiting-calls', '0'], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--max-waiting-calls: /);
    expect(await tenants.get('acme-wait0')).toBeUndefined();
  });

  it('fails when the password variable is not set, without a password on the command line', async () => {
    const result = await c2c(createArgs('acme-nopw'), { env: { ACME_CDR_KEY: 'x' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('ACME_PBX_PASSWORD');
    expect(await tenants.get('acme-nopw')).toBeUndefined();

    const withFlag = await c2c([...createArgs('acme-nopw'), '--pbx-password', 'inline'], { env });
    expect(withFlag.code).toBe(2);
    expect(await tenants.get('acme-nopw')).toBeUndefined();
  });

  it('reports an unknown tenant with exit code 1', async () => {
    const result = await c2c(['tenant', 'show', 'nobody-here']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^c2c: Tenant nobody-here not found/);
  });
});

describe('key', () => {
  it('issues a key once, lists it without the secret, and revokes it', async () => {
    const tenantId = await newTenant();
    const issued = await c2c(['key', 'issue', tenantId, '--name', 'HubSpot workflow', '--scopes', 'calls:write,calls:read']);
    expect(issued.code, issued.stderr).toBe(0);
    const secret = /c2c_\S+/.exec(issued.stdout)?.[0] ?? '';
    expect(issued.stderr).toMatch(/shown only once/);

    const record = await keys.findByKey(secret);
    expect(record).toMatchObject({ tenantId, name: 'HubSpot workflow', scopes: ['calls:write', 'calls:read'] });
    expect(record?.revokedAt).toBeUndefined();
    const keyId = record?.keyId ?? '';

    const listed = await c2c(['key', 'list', tenantId]);
    expect(listed.stdout).toContain(keyId);
    expect(listed.stdout).toContain('HubSpot workflow');
    expect(listed.stdout).not.toContain(secret);
    expect(listed.stdout).not.toContain(record?.keyHash);

    const revoked = await c2c(['key', 'revoke', tenantId, keyId]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`Revoked key ${keyId}`);
    expect((await keys.findByKey(secret))?.revokedAt).toEqual(expect.any(String));

    const listedJson = json<Array<{ keyId: string; revoked: boolean; revokedAt?: string; keyHash?: string }>>(
      await c2c(['key', 'list', tenantId, '--json']),
    );
    expect(listedJson).toEqual([objectWith({ keyId, revoked: true, revokedAt: anyOf(String) })]);
    expect(listedJson[0]).not.toHaveProperty('keyHash');

    const again = await c2c(['key', 'revoke', tenantId, keyId]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already revoked');
  });

  it('issues all scopes as JSON', async () => {
    const tenantId = await newTenant();
    const issued = json<{ key: string; keyId: string; scopes: string[] }>(
      await c2c(['key', 'issue', tenantId, '--name', 'all', '--scopes', 'all', '--json']),
    );
    expect(issued.scopes).toEqual([
      'calls:write',
      'calls:read',
      'agents:write',
      'agents:read',
      'tenant:admin',
      'subscriptions:write',
      'subscriptions:read',
    ]);
    expect((await keys.findByKey(issued.key))?.keyId).toBe(issued.keyId);
  });

  it('refuses an unknown scope as a usage error and issues nothing', async () => {
    const tenantId = await newTenant();
    const result = await c2c(['key', 'issue', tenantId, '--name', 'x', '--scopes', 'calls:write,calls:delete']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown scope calls:delete');
    expect(await keys.list(tenantId)).toEqual([]);
  });

  it('refuses to issue a key for a tenant that does not exist', async () => {
    const result = await c2c(['key', 'issue', 'no-such-tenant', '--name', 'x', '--scopes', 'all']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Tenant no-such-tenant not found');
    expect(await keys.list('no-such-tenant')).toEqual([]);
  });

  it('fails to revoke an unknown key id', async () => {
    const tenantId = await newTenant();
    const result = await c2c(['key', 'revoke', tenantId, 'k_missing']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('API key k_missing not found');
  });
});

describe('agent put and list', () => {
  it('creates, replaces and lists agents', async () => {
    const tenantId = await newTenant();
    const created = await c2c(['agent', 'put', tenantId, 'u-1', '--extension', '1000', '--email', 'Ann@Example.com', '--name', 'Ann']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('Created agent u-1');
    const updated = await c2c(['agent', 'put', tenantId, 'u-1', '--extension', '1002']);
    expect(updated.stdout).toContain('Updated agent u-1');
    await c2c(['agent', 'put', tenantId, 'u-2', '--extension', '1001']);

    const replaced = await agents.get(tenantId, 'u-1');
    expect(replaced).toMatchObject({ extension: '1002' });
    expect(replaced).not.toHaveProperty('email');
    expect(await agents.find(tenantId, { extension: '1001' })).toMatchObject({ crmUserId: 'u-2' });

    const listed = await c2c(['agent', 'list', tenantId]);
    expect(listed.stdout).toMatch(/u-1\s+1002/);
    expect(listed.stdout).toMatch(/u-2\s+1001/);
    const listedJson = json<Array<{ crmUserId: string }>>(await c2c(['agent', 'list', tenantId, '--json']));
    expect(listedJson.map((a) => a.crmUserId).sort()).toEqual(['u-1', 'u-2']);
  });

  it('rejects an invalid extension and writes nothing', async () => {
    const tenantId = await newTenant();
    const result = await c2c(['agent', 'put', tenantId, 'u-1', '--extension', '10a']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--extension: digits only');
    expect(await agents.listAll(tenantId)).toEqual([]);
  });

  it('deletes an agent', async () => {
    const tenantId = await newTenant();
    await agents.put(tenantId, 'u-9', { extension: '1009' });
    expect((await c2c(['agent', 'delete', tenantId, 'u-9'])).code).toBe(0);
    expect(await agents.get(tenantId, 'u-9')).toBeUndefined();
    expect((await c2c(['agent', 'delete', tenantId, 'u-9'])).code).toBe(1);
  });
});

describe('agent import', () => {
  it('imports a file of valid rows and reports the count written', async () => {
    const tenantId = await newTenant();
    const rows = Array.from({ length: 60 }, (_, i) => `a-${i},${2000 + i},agent${i}@example.com,Agent ${i}`);
    const file = csvFile(['CRMUSERID , Extension,EMAIL,name', ...rows].join('\r\n'));
    const result = await c2c(['agent', 'import', tenantId, file]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('written 60, skipped 0');
    expect(result.stderr).toContain('written 60/60');
    const stored = await agents.listAll(tenantId);
    expect(stored).toHaveLength(60);
    expect(await agents.get(tenantId, 'a-7')).toMatchObject({ extension: '2007', email: 'agent7@example.com', name: 'Agent 7' });
  });

  it('imports the sample file in events/', async () => {
    const tenantId = await newTenant();
    const summary = json<{ written: number; skipped: number; errors: unknown[] }>(
      await c2c(['agent', 'import', tenantId, join(repoRoot, 'events/agents-sample.csv'), '--json']),
    );
    expect(summary).toMatchObject({ written: 3, skipped: 0, errors: [] });
    const dan = await agents.get(tenantId, 'u-102');
    expect(dan).toMatchObject({ extension: '1102', name: 'Dan Agent, Sales', teams: ['outbound'] });
    expect(dan).not.toHaveProperty('email');
    expect(await agents.get(tenantId, 'u-101')).toMatchObject({ teams: ['inbound', 'outbound'] });
    expect((await agents.listTeam(tenantId, 'outbound')).map((m) => m.crmUserId).sort()).toEqual(['u-101', 'u-102']);
    const erin = await agents.get(tenantId, 'u-103');
    expect(erin).toMatchObject({ email: 'erin@example.com' });
    expect(erin).not.toHaveProperty('name');
  });

  const oneBadRow = [
    'crmUserId,extension,email,name',
    'u-1,1000,one@example.com,One',
    'u-2,12x4,two@example.com,Two',
    'u-3,1003,,Three',
  ].join('\n');

  it('writes nothing when one row is invalid, and reports its line and field', async () => {
    const tenantId = await newTenant();
    const result = await c2c(['agent', 'import', tenantId, csvFile(oneBadRow)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^3\s+u-2\s+extension\s+digits only/m);
    expect(result.stderr).toContain('Nothing written');
    expect(await agents.listAll(tenantId)).toEqual([]);

    const asJson = await c2c(['agent', 'import', tenantId, csvFile(oneBadRow), '--json']);
    expect(asJson.code).toBe(1);
    expect(JSON.parse(asJson.stdout)).toMatchObject({
      written: 0,
      errors: [{ line: 3, field: 'extension', crmUserId: 'u-2', message: containing('digits only') }],
    });
    expect(await agents.listAll(tenantId)).toEqual([]);
  });

  it('with --skip-invalid writes the valid rows and still reports the invalid ones', async () => {
    const tenantId = await newTenant();
    const result = await c2c(['agent', 'import', tenantId, csvFile(oneBadRow), '--skip-invalid']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^3\s+u-2\s+extension/m);
    expect(result.stdout).toContain('written 2, skipped 1');
    expect((await agents.listAll(tenantId)).map((a) => a.crmUserId).sort()).toEqual(['u-1', 'u-3']);
  });

  it('flags every row of a crmUserId that appears twice', async () => {
    const tenantId = await newTenant();
    const file = csvFile(['crmUserId,extension', 'u-1,1000', 'u-2,1001', '', 'u-1,1002'].join('\n'));
    const result = await c2c(['agent', 'import', tenantId, file, '--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { errors: Array<{ line: number; field: string; message: string }> };
    expect(report.errors).toEqual([
      { line: 2, field: 'crmUserId', crmUserId: 'u-1', message: 'duplicate: u-1 is also on line 5' },
      { line: 5, field: 'crmUserId', crmUserId: 'u-1', message: 'duplicate: u-1 is also on line 2' },
    ]);
    expect(await agents.listAll(tenantId)).toEqual([]);

    const skipping = await c2c(['agent', 'import', tenantId, file, '--skip-invalid']);
    expect(skipping.code).toBe(0);
    expect((await agents.listAll(tenantId)).map((a) => a.crmUserId)).toEqual(['u-2']);
  });

  it('reports several problems of several rows, and a wrong field count', async () => {
    const tenantId = await newTenant();
    const file = csvFile(['crmUserId,extension,email', ',1000,', 'u 2,1001,not-an-email', 'u-3,1003,a@b.co,extra'].join('\n'));
    const report = JSON.parse((await c2c(['agent', 'import', tenantId, file, '--json'])).stdout) as {
      errors: Array<{ line: number; field: string }>;
    };
    expect(report.errors.map((e) => [e.line, e.field])).toEqual([
      [2, 'crmUserId'],
      [3, 'crmUserId'],
      [3, 'email'],
      [4, 'row'],
    ]);
  });

  it('validates only with --dry-run', async () => {
    const tenantId = await newTenant();
    const result = await c2c(['agent', 'import', tenantId, join(repoRoot, 'events/agents-sample.csv'), '--dry-run']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Nothing written');
    expect(await agents.listAll(tenantId)).toEqual([]);
  });

  it('refuses a file with an unknown column, a missing file and an unknown tenant', async () => {
    const tenantId = await newTenant();
    const unknownColumn = await c2c(['agent', 'import', tenantId, csvFile('crmUserId,ext\nu-1,1000\n')]);
    expect(unknownColumn.code).toBe(1);
    expect(unknownColumn.stderr).toContain('unknown column "ext"');

    const missing = await c2c(['agent', 'import', tenantId, join(workDir, 'missing.csv')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no such file');

    const noTenant = await c2c(['agent', 'import', 'no-such-tenant', join(repoRoot, 'events/agents-sample.csv')]);
    expect(noTenant.code).toBe(1);
    expect(await agents.listAll('no-such-tenant')).toEqual([]);
  });
});

describe('calls', () => {
  function storedCallN(tenantId: string, n: number): StoredCall {
    const at = new Date(Date.UTC(2026, 0, 1, 9, n)).toISOString();
    return storedCall({
      callId: `c_test${n}`,
      tenantId,
      state: n === 2 ? 'completed' : 'dialing',
      lead: { id: `lead-${n}` },
      idempotencyKey: `key-${n}`,
      createdAt: at,
    });
  }

  it('lists no calls for a tenant that has none', async () => {
    const tenantId = await newTenant();
    const result = await c2c(['calls', 'list', tenantId]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`No calls for tenant ${tenantId}`);
    expect(json(await c2c(['calls', 'list', tenantId, '--json']))).toEqual({ items: [], nextCursor: null });
  });

  it('lists calls newest first with numbers masked, unless --show-numbers', async () => {
    const tenantId = await newTenant();
    for (const n of [1, 2, 3]) await calls.reserve(storedCallN(tenantId, n));

    const listed = json<{ items: Array<{ callId: string; to: string; legB: string }> }>(await c2c(['calls', 'list', tenantId, '--json']));
    expect(listed.items.map((c) => c.callId)).toEqual(['c_test3', 'c_test2', 'c_test1']);
    expect(listed.items[0]?.to).toBe('+44*******900');
    expect(JSON.stringify(listed)).not.toContain('7766889900');

    const human = await c2c(['calls', 'list', tenantId, '--state', 'completed']);
    expect(human.stdout).toContain('c_test2');
    expect(human.stdout).not.toContain('c_test1');
    expect(human.stdout).not.toContain('7766889900');

    const shown = await c2c(['calls', 'list', tenantId, '--lead', 'lead-1', '--show-numbers']);
    expect(shown.stdout).toContain('+447766889900');
    expect(shown.stdout).not.toContain('c_test3');

    const paged = json<{ items: unknown[]; nextCursor: string }>(await c2c(['calls', 'list', tenantId, '--limit', '2', '--json']));
    expect(paged.items).toHaveLength(2);
    const rest = json<{ items: Array<{ callId: string }> }>(
      await c2c(['calls', 'list', tenantId, '--limit', '2', '--cursor', paged.nextCursor, '--json']),
    );
    expect(rest.items.map((c) => c.callId)).toEqual(['c_test1']);
    // A cursor of another filter, or altered, is refused in one line: never followed, never DynamoDB's error.
    for (const cursor of [paged.nextCursor, `${paged.nextCursor.slice(0, -1)}A`, '']) {
      const refused = await c2c(['calls', 'list', tenantId, '--state', 'completed', '--cursor', cursor]);
      expect(refused.code, cursor).toBe(1);
      expect(refused.stderr, cursor).toContain('The cursor is not one this listing issued');
    }
  });

  it('lists the calls the reconciler flagged', async () => {
    const tenantId = await newTenant();
    await calls.reserve({ ...storedCallN(tenantId, 5), state: 'unknown' });
    await calls.ledger.flagUnreconciled(tenantId, 'c_test5', { tries: 5, flagged: true }, 'unreconciled');
    const flagged = json<Array<{ callId: string; tenantId: string; to: string }>>(await c2c(['calls', 'flagged', '--json']));
    expect(flagged).toContainEqual(expect.objectContaining({ callId: 'c_test5', tenantId, to: '+44*******900' }));
    const human = await c2c(['calls', 'flagged']);
    expect(human.stdout).toMatch(new RegExp(`${tenantId}\\s+c_test5\\s+unknown\\s`));
  });

  it('refuses a state that does not exist as a usage error', async () => {
    const tenantId = await newTenant();
    expect((await c2c(['calls', 'list', tenantId, '--state', 'ringing'])).code).toBe(2);
  });
});

describe('table selection', () => {
  it('uses the local stack file by default, and the global options after the command too', async () => {
    const tenantId = await newTenant();
    const stackFile = join(workDir, 'stack.json');
    writeFileSync(stackFile, JSON.stringify({ apiUrl: 'http://x', dynamoEndpoint: dynamo.endpoint, tableName: table.name }));
    const viaStack = await c2c(['tenant', 'show', tenantId, '--json'], { stackFile, target: [] });
    expect(json<{ tenantId: string }>(viaStack).tenantId).toBe(tenantId);

    const afterCommand = await c2c(['tenant', 'show', tenantId, '--endpoint', dynamo.endpoint, '--table', table.name], { target: [] });
    expect(afterCommand.code, afterCommand.stderr).toBe(0);

    const viaEnv = await c2c(['tenant', 'show', tenantId], {
      target: [],
      env: { C2C_DYNAMODB_ENDPOINT: dynamo.endpoint, C2C_TABLE: table.name },
    });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
  });

  it('says how to choose a table when none is given', async () => {
    const result = await c2c(['agent', 'list', 'acme'], { target: [] });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('No table chosen');
    const local = await c2c(['agent', 'list', 'acme'], { target: ['--local'] });
    expect(local.code).toBe(1);
    expect(local.stderr).toContain('local stack is not running');
    const both = await c2c(['agent', 'list', 'acme'], { target: ['--stage', 'prod', '--endpoint', dynamo.endpoint] });
    expect(both.code).toBe(2);
  });

  it('reports a table that does not exist and an endpoint that does not answer', async () => {
    const noTable = await c2c(['tenant', 'show', 'acme'], { target: ['--endpoint', dynamo.endpoint, '--table', 'c2c-missing'] });
    expect(noTable.code).toBe(1);
    expect(noTable.stderr).toContain('Table not found: table c2c-missing');

    const stackFile = join(workDir, 'dead-stack.json');
    writeFileSync(stackFile, JSON.stringify({ dynamoEndpoint: 'http://127.0.0.1:9', tableName: 'c2c-local' }));
    const dead = await c2c(['tenant', 'show', 'acme'], { stackFile, target: [] });
    expect(dead.code).toBe(1);
    expect(dead.stderr).toContain('Cannot reach DynamoDB at http://127.0.0.1:9: is the local stack running');
  });
});

describe('the c2c executable', () => {
  const exec = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(repoRoot, 'bin/c2c.cjs'), ...args],
        { cwd: repoRoot, env: { ...process.env, ...env } },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });

  it('prints its help and exits 0', async () => {
    const result = await exec(['--help']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Usage: c2c');
    expect(result.stdout).toContain('agent');
  });

  it('runs a command against the table named by the environment, with exit codes', async () => {
    const tenantId = await newTenant();
    await agents.put(tenantId, 'u-5', { extension: '1005' });
    const env = { C2C_DYNAMODB_ENDPOINT: dynamo.endpoint, C2C_TABLE: table.name };
    const listed = await exec(['agent', 'list', tenantId, '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ crmUserId: 'u-5', extension: '1005' })]);

    expect((await exec(['agent', 'list', 'no-such-tenant'], env)).code).toBe(1);
    expect((await exec(['agent', 'frobnicate'], env)).code).toBe(2);
  });
});
