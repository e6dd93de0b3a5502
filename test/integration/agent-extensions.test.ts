/**
 * One agent per extension (docs/api.md, "One agent per extension"): through the agents API's handler, the CLI and the
 * CSV import, against dynalite. A second agent on a taken extension is refused naming the holder; force moves it (the
 * holder is removed); two PUTs racing for one extension: exactly one wins.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentExtensions, STALE_CLAIM_SEC } from '../../lib/store/agent-extensions';
import { agentByExtensionPk, agentSk, tenantPk } from '../../lib/store/keys';
import { jsonOf, startCliTable, type CliTable } from '../support/cli';
import { bearer, invoke, seedTenant, startTestEnv, testSealer, useEnvForHandlers, type TestEnv } from '../support/env';
import { TenantRepository } from '../../lib/store/tenants';

let env: TestEnv;
let cli: CliTable;
let agentsApi: typeof import('../../functions/agents').handler;
let key: string;
let seq = 0;

const put = (crmUserId: string, body: unknown, query: Record<string, string> = {}, tenantKey = key) =>
  invoke(agentsApi, { method: 'PUT', route: '/v1/agents/{crmUserId}', path: { crmUserId }, query, headers: bearer(tenantKey), body });
const get = (crmUserId: string) =>
  invoke(agentsApi, { method: 'GET', route: '/v1/agents/{crmUserId}', path: { crmUserId }, headers: bearer(key) });
const del = (crmUserId: string) =>
  invoke(agentsApi, { method: 'DELETE', route: '/v1/agents/{crmUserId}', path: { crmUserId }, headers: bearer(key) });
const ext = () => String(5000 + ++seq);

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env);
  ({ handler: agentsApi } = await import('../../functions/agents'));
  ({ key } = await seedTenant(env, { tenantId: 'ext-api' }, { agents: [] }));
  cli = await startCliTable('ext-cli');
});

afterAll(async () => {
  await cli?.stop();
  await env?.stop();
});

describe('the API: PUT /v1/agents/{crmUserId}', () => {
  it('refuses a second agent on a taken extension with 409 extension_taken naming the holder, and writes nothing', async () => {
    const extension = ext();
    expect((await put('alice', { extension })).status).toBe(201);
    const refused = await put('bob', { extension, name: 'Bob' });
    expect(refused.status).toBe(409);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.body).toMatchObject({ code: 'extension_taken', extension, heldBy: 'alice' });
    expect(refused.body.detail).toContain('alice');
    expect((await get('bob')).status).toBe(404);
    // The holder itself may PUT again with its own extension.
    expect((await put('alice', { extension, name: 'Alice' })).status).toBe(200);
  });

  it('?force=true moves the extension: the holder is removed, and the answer names it', async () => {
    const extension = ext();
    await put('carol', { extension, teams: ['sales'] });
    const moved = await put('dave', { extension }, { force: 'true' });
    expect(moved.status).toBe(201);
    expect(moved.body).toMatchObject({ crmUserId: 'dave', extension, displaced: ['carol'] });
    expect((await get('carol')).status).toBe(404);
    expect((await env.agents.listTeam('ext-api', 'sales')).map((m) => m.crmUserId)).not.toContain('carol');
    expect((await env.agents.find('ext-api', { extension }))?.crmUserId).toBe('dave');
    expect((await put('dave', { extension }, { force: 'maybe' })).status).toBe(400);
  });

  it('an agent that moves to another extension, or is deleted, frees its old one', async () => {
    const [first, second] = [ext(), ext()];
    await put('erin', { extension: first });
    expect((await put('erin', { extension: second })).status).toBe(200);
    expect((await put('frank', { extension: first })).status).toBe(201);
    expect((await put('gina', { extension: second })).status).toBe(409);
    expect((await del('erin')).status).toBe(204);
    expect((await put('gina', { extension: second })).status).toBe(201);
  });

  it('two PUTs racing for one free extension: exactly one wins, the other is refused', async () => {
    for (let round = 0; round < 5; round++) {
      const extension = ext();
      const answers = await Promise.all([put(`race-a${round}`, { extension }), put(`race-b${round}`, { extension })]);
      expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
      const holders = (await env.agents.listAll('ext-api')).filter((a) => a.extension === extension);
      expect(holders).toHaveLength(1);
    }
  });

  it('sees an agent stored before extensions were claimed (no claim item), and only its own tenant', async () => {
    const extension = ext();
    const legacy = { tenantId: 'ext-api', crmUserId: 'legacy', extension, createdAt: 'x', updatedAt: 'x' };
    await env.table.doc.send(
      new PutCommand({
        TableName: env.table.name,
        Item: {
          pk: tenantPk('ext-api'),
          sk: agentSk('legacy'),
          type: 'agent',
          ...legacy,
          gsi2pk: agentByExtensionPk('ext-api', extension),
          gsi2sk: agentSk('legacy'),
        },
      }),
    );
    expect((await put('henry', { extension })).body).toMatchObject({ code: 'extension_taken', heldBy: 'legacy' });
    // Another tenant's agent on the same extension is no conflict.
    const other = await seedTenant(env, { tenantId: 'ext-other' }, { agents: [] });
    expect((await put('henry', { extension }, {}, other.key)).status).toBe(201);
  });

  it('a claim left by a PUT that stopped before its agent was written is taken over once stale, not before', async () => {
    const extension = ext();
    const now = Date.now();
    await new AgentExtensions(env.table, () => new Date(now)).claim('ext-api', 'crashed', extension);
    await expect(new AgentExtensions(env.table, () => new Date(now + 1_000)).claim('ext-api', 'ivy', extension)).rejects.toMatchObject({
      code: 'extension_taken',
      holder: 'crashed',
    });
    const later = new AgentExtensions(env.table, () => new Date(now + (STALE_CLAIM_SEC + 1) * 1000));
    await expect(later.claim('ext-api', 'ivy', extension)).resolves.toEqual({ displaced: [] });
  });
});

describe('the CLI: agent put and agent import', () => {
  let tenantId: string;
  beforeAll(async () => {
    tenantId = `ext-cli-${++seq}`;
    await new TenantRepository(cli.table, testSealer()).create({
      tenantId,
      name: 'Extensions',
      crmId: '1',
      clientId: '2',
      defaultCountry: 'GB',
      pbx: { urlShape: 'click2call', baseUrl: 'https://pbx.example.com' },
    });
  });

  it('agent put: a taken extension exits 1 naming the holder; --force moves it and says so', async () => {
    expect((await cli.c2c(['agent', 'put', tenantId, 'u-1', '--extension', '7001'])).code).toBe(0);
    const refused = await cli.c2c(['agent', 'put', tenantId, 'u-2', '--extension', '7001']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Extension 7001 is taken by agent u-1');
    expect(refused.stderr).toContain('--force');
    const moved = await cli.c2c(['agent', 'put', tenantId, 'u-2', '--extension', '7001', '--force']);
    expect(moved.code).toBe(0);
    expect(moved.stdout).toContain('Moved extension 7001 from agent u-1, which was removed.');
    const listed = jsonOf<Array<{ crmUserId: string }>>(await cli.c2c(['agent', 'list', tenantId, '--json']));
    expect(listed.map((a) => a.crmUserId)).toEqual(['u-2']);
  });

  it('agent import: a row on a taken extension is reported and not written, the others are; --force writes it', async () => {
    await cli.c2c(['agent', 'put', tenantId, 'holder', '--extension', '7100']);
    const file = join(cli.workDir, 'ext-import.csv');
    writeFileSync(file, 'crmUserId,extension\nnew-1,7101\nnew-2,7100\nnew-3,7102\n');
    const first = await cli.c2c(['agent', 'import', tenantId, file]);
    expect(first.code).toBe(1);
    expect(first.stdout).toContain('written 2, skipped 1');
    expect(first.stderr).toMatch(/3\s+new-2\s+7100\s+holder/);
    const ids = async () =>
      jsonOf<Array<{ crmUserId: string }>>(await cli.c2c(['agent', 'list', tenantId, '--json'])).map((a) => a.crmUserId);
    expect(await ids()).not.toContain('new-2');
    const asJson = await cli.c2c(['agent', 'import', tenantId, file, '--json']);
    expect(asJson.code).toBe(1);
    const summary = JSON.parse(asJson.stdout) as { written: number; extensionsTaken: unknown[] };
    expect(summary).toMatchObject({ written: 2, extensionsTaken: [{ line: 3, crmUserId: 'new-2', extension: '7100', heldBy: 'holder' }] });
    const forced = await cli.c2c(['agent', 'import', tenantId, file, '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('Moved an extension from agent holder');
    expect(await ids()).toEqual(expect.arrayContaining(['new-1', 'new-2', 'new-3']));
    expect(await ids()).not.toContain('holder');
  });

  it('agent import: one extension on two rows makes both invalid, nothing written', async () => {
    const file = join(cli.workDir, 'ext-dup.csv');
    writeFileSync(file, 'crmUserId,extension\ndup-1,7200\ndup-2,7200\n');
    const result = await cli.c2c(['agent', 'import', tenantId, file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('extension 7200 is also on line 3');
    expect(result.stderr).toContain('Nothing written');
  });
});
