import { describe, expect, it } from 'vitest';
import type { Tenant } from '../../../lib/model/tenant';
import { cachedTenants } from '../../../lib/tenants/tenant-cache';

/** A tenant store that counts its reads and answers what `items` holds at the time of each read. */
function source(items: Map<string, Tenant | Error>) {
  const reads: string[] = [];
  return {
    reads,
    get: (tenantId: string) => {
      reads.push(tenantId);
      const item = items.get(tenantId);
      return item instanceof Error ? Promise.reject(item) : Promise.resolve(item);
    },
  };
}

const tenant = (tenantId: string, name = tenantId) => ({ tenantId, name }) as unknown as Tenant;

describe('cachedTenants: a container copy of the tenants it read', () => {
  it.each([
    { case: 'a second read within the lifetime is the copy', ttl: 30_000, advance: 29_999, fresh: false, reads: 1, name: 'first' },
    { case: 'a read at the end of the lifetime reads again', ttl: 30_000, advance: 30_000, fresh: false, reads: 2, name: 'second' },
    { case: 'a fresh read reads past the copy', ttl: 30_000, advance: 0, fresh: true, reads: 2, name: 'second' },
    { case: 'a lifetime of 0 keeps no copy', ttl: 0, advance: 0, fresh: false, reads: 2, name: 'second' },
  ])('$case', async ({ ttl, advance, fresh, reads, name }) => {
    const items = new Map<string, Tenant | Error>([['acme', tenant('acme', 'first')]]);
    const store = source(items);
    let now = 1_000;
    const get = cachedTenants(store, ttl, () => now);
    expect((await get('acme'))?.name).toBe('first');
    items.set('acme', tenant('acme', 'second'));
    now += advance;
    expect((await get('acme', { fresh }))?.name).toBe(name);
    expect(store.reads).toHaveLength(reads);
  });

  it('keeps the fresh read as the copy', async () => {
    const items = new Map<string, Tenant | Error>([['acme', tenant('acme', 'first')]]);
    const store = source(items);
    const get = cachedTenants(store, 30_000, () => 0);
    await get('acme');
    items.set('acme', tenant('acme', 'second'));
    await get('acme', { fresh: true });
    expect((await get('acme'))?.name).toBe('second');
    expect(store.reads).toHaveLength(2);
  });

  it('keeps neither a tenant not found nor a failed read: the next read goes to the store', async () => {
    const items = new Map<string, Tenant | Error>([['boom', new Error('store down')]]);
    const store = source(items);
    const get = cachedTenants(store, 30_000, () => 0);
    expect(await get('new')).toBeUndefined();
    await expect(get('boom')).rejects.toThrow('store down');
    items.set('new', tenant('new'));
    items.set('boom', tenant('boom'));
    expect((await get('new'))?.tenantId).toBe('new');
    expect((await get('boom'))?.tenantId).toBe('boom');
    expect(store.reads).toEqual(['new', 'boom', 'new', 'boom']);
  });

  it('shares one read among the reads that come while it is in flight', async () => {
    const store = source(new Map([['acme', tenant('acme')]]));
    const get = cachedTenants(store, 30_000, () => 0);
    const all = await Promise.all([get('acme'), get('acme'), get('acme')]);
    expect(all.map((t) => t?.tenantId)).toEqual(['acme', 'acme', 'acme']);
    expect(store.reads).toEqual(['acme']);
  });
});
