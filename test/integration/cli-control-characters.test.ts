/**
 * Stored data cannot drive an operator's terminal. Each kind of control character is planted straight into the table
 * with the document client, bypassing the model, as someone with write access to the table (or data older than the
 * rule) would leave it; the real CLI then lists it, and nothing it prints holds a raw control character: each value
 * shows escaped. And the CLI refuses a control character in any name it is given, exit 2 naming the option.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyRepository, hashApiKey } from '../../lib/store/api-keys';
import { CallRepository } from '../../lib/store/calls';
import { agentSk, apiKeyPk, apiKeySk, hookSourceSk, teamMemberSk, tenantPk, tenantSk } from '../../lib/store/keys';
import { TenantRepository } from '../../lib/store/tenants';
import { SOURCE_ADAPTERS } from '../../lib/crm/sources';
import { WebhookSourceRepository } from '../../lib/store/webhook-sources';
import { storedCall } from '../support/calls';
import { startCliTable, type CliResult, type CliTable } from '../support/cli';
import { ALL_KINDS, CONTROL_KINDS, CRM_USER_ID_KINDS, expectEscaped } from '../support/control-characters';
import { testSealer } from '../support/env';

const T = 'ctrl-listed';
const DOCTORED = 'ctrl-doctor';

let cli: CliTable;
let tenants: TenantRepository;

/** What each listing must show escaped, by command. */
const planted = {
  tenantName: `Acme ${ALL_KINDS}`,
  crmUserIds: CRM_USER_ID_KINDS.map(([, char], i) => `u${i}${char}x`),
  names: CONTROL_KINDS.map(([, char], i) => `name${i}${char}x`),
  emails: CONTROL_KINDS.map(([, char], i) => `e${i}${char}x@example.com`),
  teams: CONTROL_KINDS.map(([, char], i) => `team${i}${char}x`),
  keyNames: CONTROL_KINDS.map(([, char], i) => `key${i}${char}x`),
  secretHints: CONTROL_KINDS.map(([, char], i) => `hint${i}${char}x`),
  publicUrl: `https://crm.example.com/hook/${ALL_KINDS.replace(/[\s]/g, '')}`,
  leadIds: CONTROL_KINDS.map(([, char], i) => `lead${i}${char}x`),
};

function tenantInput(tenantId: string) {
  return {
    tenantId,
    name: 'placeholder',
    crmId: '100',
    clientId: '200',
    defaultCountry: 'GB',
    // Nothing listens on port 9: the doctor's reachability check fails at once, and fails the same on every machine.
    pbx: { urlShape: 'click2call' as const, baseUrl: 'http://127.0.0.1:9' },
  };
}

const put = (item: Record<string, unknown>) => cli.table.doc.send(new PutCommand({ TableName: cli.table.name, Item: item }));
const setName = (key: Record<string, unknown>, name: string) =>
  cli.table.doc.send(
    new UpdateCommand({
      TableName: cli.table.name,
      Key: key,
      UpdateExpression: 'SET #n = :n',
      ExpressionAttributeNames: { '#n': 'name' },
      ExpressionAttributeValues: { ':n': name },
    }),
  );

beforeAll(async () => {
  cli = await startCliTable('ctrl');
  tenants = new TenantRepository(cli.table, testSealer());
  const now = new Date().toISOString();

  await tenants.create(tenantInput(T));
  await setName({ pk: tenantPk(T), sk: tenantSk() }, planted.tenantName);

  // Agents: a crmUserId, a name, an email and a team of each kind (a crmUserId never held white space: its format).
  for (const [i] of CONTROL_KINDS.entries()) {
    const crmUserId = planted.crmUserIds[i] ?? `plain${i}`;
    const team = planted.teams[i]!;
    const agent = { tenantId: T, crmUserId, extension: String(1000 + i), name: planted.names[i], email: planted.emails[i], teams: [team] };
    await put({ pk: tenantPk(T), sk: agentSk(crmUserId), type: 'agent', ...agent, createdAt: now, updatedAt: now });
    await put({ pk: tenantPk(T), sk: teamMemberSk(team, crmUserId), type: 'teamMember', team, crmUserId, extension: agent.extension });
  }

  // API keys, each with a name of one kind.
  const keys = new ApiKeyRepository(cli.table);
  for (const name of planted.keyNames) {
    const { key } = await keys.issue(T, 'placeholder', ['calls:read']);
    await setName({ pk: apiKeyPk(hashApiKey(key)), sk: apiKeySk() }, name);
  }

  // A webhook source whose secrets' hints and public URL hold every kind.
  const sources = new WebhookSourceRepository(cli.table, testSealer(), SOURCE_ADAPTERS);
  await sources.addSecret(T, 'token', { value: 'sha256:0000', hint: 'placeholder' });
  await cli.table.doc.send(
    new UpdateCommand({
      TableName: cli.table.name,
      Key: { pk: tenantPk(T), sk: hookSourceSk('token') },
      UpdateExpression: 'SET secrets = :s, publicUrl = :u',
      ExpressionAttributeValues: {
        ':s': planted.secretHints.map((hint, i) => ({ secretId: `whs_${i}`, value: 'sha256:0000', hint, createdAt: now })),
        ':u': planted.publicUrl,
      },
    }),
  );

  // Calls as the PBX and the CRM could have left them: a lead id and an agent of each kind.
  const calls = new CallRepository(cli.table);
  for (const [i] of CONTROL_KINDS.entries()) {
    const crmUserId = planted.crmUserIds[i] ?? `plain${i}`;
    await calls.reserve(
      storedCall({
        callId: `c_ctrl${String(i).padStart(2, '0')}`,
        tenantId: T,
        crmUserId,
        agent: { crmUserId, extension: '1000' },
        lead: { id: planted.leadIds[i]! },
        idempotencyKey: `ctrl-${i}`,
      }),
    );
  }

  // The doctor reads items as stored, schema or not: an agent with no extension, a source with a planted name.
  await tenants.create(tenantInput(DOCTORED));
  await setName({ pk: tenantPk(DOCTORED), sk: tenantSk() }, planted.tenantName);
  await put({ pk: tenantPk(DOCTORED), sk: agentSk('doc-agent'), type: 'agent', tenantId: DOCTORED, crmUserId: `doc-${ALL_KINDS}` });
  await put({ pk: tenantPk(DOCTORED), sk: hookSourceSk('evil'), type: 'hookSource', tenantId: DOCTORED, source: `src-${ALL_KINDS}` });
}, 60_000);

afterAll(async () => {
  await cli?.stop();
});

/** Runs a listing, text and --json: both succeed, show every planted value escaped, and hold no raw control character. */
async function listsEscaped(args: string[], values: readonly string[], jsonValues: (parsed: unknown) => void): Promise<void> {
  const text = await cli.c2c(args);
  expect(text.code, text.stderr).toBe(0);
  expectEscaped(text.stdout + text.stderr, values);

  const json = await cli.c2c([...args, '--json']);
  expect(json.code, json.stderr).toBe(0);
  expectEscaped(json.stdout + json.stderr, []);
  // The escape is JSON's own: the values read back exactly as stored.
  jsonValues(JSON.parse(json.stdout));
}

describe('listings of planted data print every control character escaped', () => {
  it('c2c agent list: crmUserIds, names, emails and teams', async () => {
    await listsEscaped(['agent', 'list', T], [...planted.crmUserIds, ...planted.names, ...planted.emails, ...planted.teams], (parsed) => {
      const agents = parsed as Array<{ name: string; email: string }>;
      expect(agents.map((a) => a.name).sort()).toEqual([...planted.names].sort());
      expect(agents.map((a) => a.email).sort()).toEqual([...planted.emails].sort());
    });
  });

  it('c2c team list: team names', async () => {
    await listsEscaped(['team', 'list', T], planted.teams, (parsed) => {
      expect((parsed as Array<{ team: string }>).map((t) => t.team).sort()).toEqual([...planted.teams].sort());
    });
  });

  it('c2c tenant show: the tenant name', async () => {
    await listsEscaped(['tenant', 'show', T], [planted.tenantName], (parsed) => {
      expect((parsed as { name: string }).name).toBe(planted.tenantName);
    });
  });

  it('c2c key list: key names', async () => {
    await listsEscaped(['key', 'list', T], planted.keyNames, (parsed) => {
      expect((parsed as Array<{ name: string }>).map((k) => k.name).sort()).toEqual([...planted.keyNames].sort());
    });
  });

  it('c2c hook show: secret hints and the public URL', async () => {
    await listsEscaped(['hook', 'show', T, 'token'], [...planted.secretHints, planted.publicUrl], (parsed) => {
      const [view] = parsed as Array<{ secrets: Array<{ hint: string }>; publicUrl: string }>;
      expect(view?.secrets.map((s) => s.hint)).toEqual(planted.secretHints);
      expect(view?.publicUrl).toBe(planted.publicUrl);
    });
  });

  it('c2c calls list: agents and lead ids', async () => {
    await listsEscaped(['calls', 'list', T, '--limit', '100'], [...planted.crmUserIds, ...planted.leadIds], (parsed) => {
      const { items } = parsed as { items: Array<{ lead: { id: string } }> };
      expect(items.map((c) => c.lead.id).sort()).toEqual([...planted.leadIds].sort());
    });
  });

  it("c2c doctor: the tenant's name, an agent's crmUserId and a source's name, read from the items as stored", async () => {
    const args = ['doctor', '--tenant', DOCTORED, '--timeout-ms', '500'];
    const text = await cli.c2c(args);
    // Problems found (the PBX is unreachable, the agent has no extension): exit 1, the report printed.
    expect(text.code, text.stderr).toBe(1);
    expectEscaped(text.stdout + text.stderr, [planted.tenantName, `doc-${ALL_KINDS}`, `src-${ALL_KINDS}`]);

    const json = await cli.c2c([...args, '--json']);
    expectEscaped(json.stdout + json.stderr, []);
    expect(JSON.stringify(JSON.parse(json.stdout))).toContain(JSON.stringify(`doc-${ALL_KINDS}`).slice(1, -1));
  });

  it("c2c agent import: the report of a file's invalid rows shows what the file holds escaped", async () => {
    const file = join(cli.workDir, 'planted.csv');
    const rows = CRM_USER_ID_KINDS.map(([, char], i) => `u${i}${char}x,${1000 + i}`);
    writeFileSync(file, ['crmUserId,extension', ...rows].join('\n'));
    const result = await cli.c2c(['agent', 'import', T, file, '--dry-run']);
    expect(result.code).toBe(1);
    expectEscaped(result.stdout + result.stderr, planted.crmUserIds);
    expect(result.stdout + result.stderr).toMatch(/crmUserId\s+control characters .* are not allowed: found U\+001B/);
  });
});

describe('the CLI refuses a control character in what it is given: exit 2, the option named, nothing written', () => {
  const expectRefused = (result: CliResult, option: string) => {
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`c2c: ${option}: control characters`);
    expectEscaped(result.stdout + result.stderr, []);
  };

  it.each(CONTROL_KINDS)('%s in a tenant name, a key name, an agent (crmUserId, name, email) and a payload path', async (_kind, char) => {
    const tenantId = `ctrl-new-${CONTROL_KINDS.findIndex(([, c]) => c === char)}`;
    const env = {};
    const create = ['tenant', 'create', tenantId, '--crm-id', '1', '--client-id', '2', '--default-country', 'GB'];
    const pbx = ['--pbx-url', 'https://pbx.example.com', '--url-shape', 'click2call'];
    expectRefused(await cli.c2c([...create, '--name', `Acme${char}Ltd`, ...pbx], { env }), '--name');
    expect(await tenants.get(tenantId)).toBeUndefined();

    expectRefused(await cli.c2c(['key', 'issue', T, '--name', `Hub${char}Spot`, '--scopes', 'all']), '--name');
    expectRefused(await cli.c2c(['agent', 'put', T, `new${char}1`, '--extension', '1']), '<crmUserId>');
    expectRefused(await cli.c2c(['agent', 'put', T, 'new-1', '--extension', '1', '--name', `Bo${char}b`]), '--name');
    expectRefused(await cli.c2c(['agent', 'put', T, 'new-1', '--extension', '1', '--email', `b${char}@example.com`]), '--email');
    const agents = await cli.c2c(['agent', 'list', T, '--json']);
    expect((JSON.parse(agents.stdout) as Array<{ crmUserId: string }>).map((a) => a.crmUserId)).not.toContain('new-1');

    const mapping = await cli.c2c(['hook', 'set-mapping', T, 'token', '--to', `properties.ph${char}one`]);
    expect(mapping.code).toBe(2);
    expect(mapping.stderr).toContain('--to');
    expectEscaped(mapping.stdout + mapping.stderr, []);
  });
});
