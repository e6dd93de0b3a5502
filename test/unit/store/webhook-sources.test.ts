/**
 * The webhook source repository knows no source of its own: it serves the sources it is handed (the CRM source
 * registry in production), hashes or seals each by what it is told, and refuses every other name.
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { EnvelopeSealer, isSealed, LocalKeyProvider } from '../../../lib/secrets/seal';
import type { Table } from '../../../lib/store/client';
import { CorruptItemError } from '../../../lib/store/errors';
import { UnknownWebhookSourceError, WebhookSourceRepository, type StoredSources } from '../../../lib/store/webhook-sources';

const SOURCES: StoredSources = { signer: { secretStorage: 'seal' }, login: { secretStorage: 'hash' } };

/** A table of items in memory: enough for Get and Put by key (conditions are not what is tested here). */
function memoryTable(): Table & { items: Map<string, Record<string, unknown>>; writes: number } {
  const items = new Map<string, Record<string, unknown>>();
  const keyOf = (key: Record<string, unknown>) => `${String(key.pk)}|${String(key.sk)}`;
  const table = {
    name: 'test',
    items,
    writes: 0,
    doc: {
      send: (command: unknown) => {
        if (command instanceof GetCommand) return Promise.resolve({ Item: items.get(keyOf(command.input.Key!)) });
        if (command instanceof PutCommand) {
          table.writes++;
          items.set(keyOf(command.input.Item!), command.input.Item!);
          return Promise.resolve({});
        }
        return Promise.reject(new Error('not in this fake'));
      },
    } as unknown as DynamoDBDocumentClient,
  };
  return table;
}

const sealer = new EnvelopeSealer(new LocalKeyProvider(Buffer.alloc(32, 7).toString('base64')));

describe('WebhookSourceRepository, handed its sources', () => {
  it('seals the secrets of a `seal` source and keeps the hash of a `hash` source as it is; both read back', async () => {
    const table = memoryTable();
    const repo = new WebhookSourceRepository(table, sealer, SOURCES);
    await repo.addSecret('acme', 'signer', { value: 'an-hmac-key-0000', hint: '…0000' });
    await repo.addSecret('acme', 'login', { value: 'sha256:abc', hint: '…abcd' });
    const stored = [...table.items.values()].map((item) => [item.source, (item.secrets as Array<{ value: string }>)[0]!.value]);
    expect(stored).toEqual([
      ['signer', expect.toSatisfy((value: string) => isSealed(value))],
      ['login', 'sha256:abc'],
    ]);
    expect((await repo.get('acme', 'signer'))?.secrets[0]?.value).toBe('an-hmac-key-0000');
    expect((await repo.get('acme', 'login'))?.secrets[0]?.value).toBe('sha256:abc');
  });

  it('refuses to write a source it was not given, and writes nothing', async () => {
    const table = memoryTable();
    const repo = new WebhookSourceRepository(table, sealer, SOURCES);
    for (const name of ['hubspot', 'constructor', '__proto__']) {
      await expect(repo.addSecret('acme', name, { value: 'x', hint: 'x' })).rejects.toThrow(UnknownWebhookSourceError);
    }
    expect(table.writes).toBe(0);
  });

  it('reads an item of a source it was not given as corrupt, never opening or using its secrets', async () => {
    const table = memoryTable();
    await new WebhookSourceRepository(table, sealer, SOURCES).addSecret('acme', 'login', { value: 'sha256:abc', hint: '…abcd' });
    const narrower = new WebhookSourceRepository(table, sealer, { signer: { secretStorage: 'seal' } });
    await expect(narrower.get('acme', 'login')).rejects.toThrow(CorruptItemError);
  });
});
