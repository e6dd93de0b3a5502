import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEnv, type TestEnv } from '../support/env';

let env: TestEnv;

beforeAll(async () => {
  env = await startTestEnv();
});

afterAll(async () => {
  await env?.stop();
});

describe('writing many agents at once', () => {
  it('writes an id given twice once, the last row winning', async () => {
    const written = await env.agents.putMany('bulk', [
      { crmUserId: 'u-1', extension: '1000' },
      { crmUserId: 'u-1', extension: '1001' },
      { crmUserId: 'u-2', extension: '1002' },
    ]);
    expect(written).toBe(2);
    expect((await env.agents.get('bulk', 'u-1'))?.extension).toBe('1001');
  });

  it('keeps the creation time of agents that exist already', async () => {
    const { agent: before } = await env.agents.put('bulk', 'u-keep', { extension: '1000' });
    await new Promise((r) => setTimeout(r, 5));
    await env.agents.putMany('bulk', [
      { crmUserId: 'u-keep', extension: '1003' },
      { crmUserId: 'u-new', extension: '1004' },
    ]);
    const after = await env.agents.get('bulk', 'u-keep');
    expect(after).toMatchObject({ extension: '1003', createdAt: before.createdAt });
    expect(after!.updatedAt > before.createdAt).toBe(true);
    expect((await env.agents.get('bulk', 'u-new'))?.createdAt).toBeDefined();
  });

  it('writes more than one batch of 25', async () => {
    const rows = Array.from({ length: 60 }, (_, i) => ({ crmUserId: `m-${i}`, extension: String(2000 + i) }));
    const progress: number[] = [];
    expect(await env.agents.putMany('many', rows, (n) => progress.push(n))).toBe(60);
    expect(progress).toEqual([25, 50, 60]);
    expect(await env.agents.listAll('many')).toHaveLength(60);
  });
});
