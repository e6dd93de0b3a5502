import { execFileSync } from 'node:child_process';
import { DecryptCommand, GenerateDataKeyCommand, InvalidCiphertextException, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config';
import { createRoot } from '../../../lib/compose/root';
import { sealer as sealerOf } from '../../../lib/compose/shared';
import { openTenantItem } from '../../../lib/store/tenants';
import {
  assertSealed,
  createSealer,
  EnvelopeSealer,
  isSealed,
  KmsKeyProvider,
  LocalKeyProvider,
  newLocalKey,
  SealConfigError,
  SecretNotSealedError,
  SecretOpenError,
  type DataKeyProvider,
  type SealContext,
} from '../../../lib/secrets/seal';

const KEY = Buffer.alloc(32, 3).toString('base64');
const ctx = (over: Partial<SealContext> = {}): SealContext => ({
  tenantId: 'acme',
  purpose: 'tenant-secrets',
  item: 'pbx.basicAuth.password',
  ...over,
});
const SECRET = 'pbx-password-Very-S3cret';

/** Flips one character of one dot-separated part of a sealed value (keeping it base64url). */
function tamper(sealed: string, part: 1 | 2 | 3): string {
  const parts = sealed.split('.');
  const text = parts[part]!;
  const at = Math.floor(text.length / 2);
  parts[part] = `${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`;
  return parts.join('.');
}

/** A local provider that counts what it is asked. */
function counting(key = KEY) {
  const inner = new LocalKeyProvider(key);
  const counts = { generate: 0, unwrap: 0 };
  const provider: DataKeyProvider = {
    kind: 'local',
    generate: (c) => ((counts.generate += 1), inner.generate(c)),
    unwrap: (w, c) => ((counts.unwrap += 1), inner.unwrap(w, c)),
  };
  return { provider, counts };
}

describe('EnvelopeSealer with the local key (real AES-256-GCM)', () => {
  it('seals into v1.<wrapped key>.<iv>.<ciphertext> with no trace of the plaintext, and opens it again', async () => {
    const sealer = new EnvelopeSealer(new LocalKeyProvider(KEY));
    const sealed = await sealer.seal(SECRET, ctx());
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(isSealed(sealed)).toBe(true);
    expect(sealed).not.toContain(SECRET);
    expect(sealed).not.toContain(Buffer.from(SECRET).toString('base64url').slice(0, 12));
    // A fresh IV each time: the same secret never seals to the same text.
    expect(await sealer.seal(SECRET, ctx())).not.toBe(sealed);
    expect(await sealer.open(sealed, ctx())).toBe(SECRET);
    // Another container with the same key (no cached data key) opens it too.
    expect(await new EnvelopeSealer(new LocalKeyProvider(KEY)).open(sealed, ctx())).toBe(SECRET);
  });

  it('refuses a value moved to another tenant, field or purpose', async () => {
    const sealer = new EnvelopeSealer(new LocalKeyProvider(KEY));
    const sealed = await sealer.seal(SECRET, ctx());
    await expect(sealer.open(sealed, ctx({ tenantId: 'other' }))).rejects.toBeInstanceOf(SecretOpenError);
    await expect(sealer.open(sealed, ctx({ item: 'pbx.cdrApiKey' }))).rejects.toBeInstanceOf(SecretOpenError);
    await expect(sealer.open(sealed, ctx({ purpose: 'webhook-secrets' }))).rejects.toBeInstanceOf(SecretOpenError);
    // Same refusals in a container that has not unwrapped the data key before (the provider checks the context).
    const fresh = new EnvelopeSealer(new LocalKeyProvider(KEY));
    await expect(fresh.open(sealed, ctx({ tenantId: 'other' }))).rejects.toBeInstanceOf(SecretOpenError);
  });

  it('refuses a tampered wrapped key, IV or ciphertext, and a value sealed under another key', async () => {
    const sealed = await new EnvelopeSealer(new LocalKeyProvider(KEY)).seal(SECRET, ctx());
    for (const part of [1, 2, 3] as const) {
      await expect(new EnvelopeSealer(new LocalKeyProvider(KEY)).open(tamper(sealed, part), ctx()), `part ${part}`).rejects.toBeInstanceOf(
        SecretOpenError,
      );
    }
    await expect(new EnvelopeSealer(new LocalKeyProvider(newLocalKey())).open(sealed, ctx())).rejects.toBeInstanceOf(SecretOpenError);
  });

  it('refuses a value that is not a sealed envelope, naming the field and never the value', async () => {
    const { provider, counts } = counting();
    const sealer = new EnvelopeSealer(provider);
    const sealed = await sealer.seal(SECRET, ctx());
    const notSealed = [
      'plain-password',
      'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=',
      'v1.short',
      'sha256:abc',
      '',
      `${sealed} `,
      sealed.slice(0, 40),
    ];
    for (const value of notSealed) {
      const error = await sealer.open(value, ctx()).catch((e: unknown) => e);
      expect(error, JSON.stringify(value)).toBeInstanceOf(SecretNotSealedError);
      expect(error).toBeInstanceOf(SecretOpenError);
      expect((error as Error).message).toContain('pbx.basicAuth.password of tenant acme is not a sealed value');
      if (value) expect((error as Error).message).not.toContain(value);
    }
    expect(() => assertSealed('plain-password', ctx())).toThrow(SecretNotSealedError);
    expect(() => assertSealed(sealed, ctx())).not.toThrow();
    // Refused before any key is asked for.
    expect(counts.unwrap).toBe(0);
  });

  it('asks for one data key per tenant and purpose, reuses it for many seals, and renews it after its lifetime', async () => {
    let now = 0;
    const { provider, counts } = counting();
    const sealer = new EnvelopeSealer(provider, { dataKeyTtlMs: 1000, now: () => now });
    const values = await Promise.all(Array.from({ length: 20 }, (_, i) => sealer.seal(`secret-${i}`, ctx({ item: `f${i}` }))));
    expect(counts.generate).toBe(1);
    expect(new Set(values.map((v) => v.split('.')[1])).size).toBe(1);
    // What it sealed itself opens without unwrapping.
    expect(await sealer.open(values[3]!, ctx({ item: 'f3' }))).toBe('secret-3');
    expect(counts.unwrap).toBe(0);
    await sealer.seal('x', ctx({ tenantId: 'other' }));
    expect(counts.generate).toBe(2);
    now = 1001;
    await sealer.seal('y', ctx());
    expect(counts.generate).toBe(3);
  });

  it('unwraps a data key once per container for all the values it sealed', async () => {
    const writer = new EnvelopeSealer(new LocalKeyProvider(KEY));
    const values = await Promise.all(['a', 'b', 'c'].map((v, i) => writer.seal(v, ctx({ item: `f${i}` }))));
    const { provider, counts } = counting();
    const reader = new EnvelopeSealer(provider);
    expect(await Promise.all(values.map((v, i) => reader.open(v, ctx({ item: `f${i}` }))))).toEqual(['a', 'b', 'c']);
    expect(counts.unwrap).toBe(1);
  });
});

describe('KmsKeyProvider (KMS mocked: no KMS here)', () => {
  const kms = mockClient(KMSClient);
  const plainKey = Buffer.alloc(32, 9);
  const blob = Buffer.from('wrapped-by-kms-0123456789abcdef');
  afterEach(() => kms.reset());

  it('seals under GenerateDataKey and opens through Decrypt, both with the tenant and purpose as encryption context', async () => {
    kms.on(GenerateDataKeyCommand).resolves({ Plaintext: plainKey, CiphertextBlob: blob, KeyId: 'k' });
    kms.on(DecryptCommand).resolves({ Plaintext: plainKey, KeyId: 'k' });
    const writer = new EnvelopeSealer(new KmsKeyProvider({ keyId: 'alias/c2c-prod', region: 'eu-west-1' }));
    const sealed = await Promise.all([writer.seal(SECRET, ctx()), writer.seal('cdr-key', ctx({ item: 'pbx.cdrApiKey' }))]);
    expect(kms.commandCalls(GenerateDataKeyCommand)).toHaveLength(1);
    expect(kms.commandCalls(GenerateDataKeyCommand)[0]!.args[0].input).toEqual({
      KeyId: 'alias/c2c-prod',
      KeySpec: 'AES_256',
      EncryptionContext: { service: 'c2c', tenantId: 'acme', purpose: 'tenant-secrets' },
    });
    expect(sealed[0].split('.')[1]).toBe(blob.toString('base64url'));

    const reader = new EnvelopeSealer(new KmsKeyProvider({ keyId: 'alias/c2c-prod', region: 'eu-west-1' }));
    expect(await reader.open(sealed[0], ctx())).toBe(SECRET);
    expect(await reader.open(sealed[1], ctx({ item: 'pbx.cdrApiKey' }))).toBe('cdr-key');
    const decrypts = kms.commandCalls(DecryptCommand);
    expect(decrypts).toHaveLength(1);
    expect(Buffer.from(decrypts[0]!.args[0].input.CiphertextBlob!)).toEqual(blob);
    expect(decrypts[0]!.args[0].input.EncryptionContext).toEqual({ service: 'c2c', tenantId: 'acme', purpose: 'tenant-secrets' });
  });

  it('turns a Decrypt refusal of the blob or context into SecretOpenError, and lets an outage through as it is', async () => {
    kms.on(GenerateDataKeyCommand).resolves({ Plaintext: plainKey, CiphertextBlob: blob });
    const sealed = await new EnvelopeSealer(new KmsKeyProvider({ keyId: 'k', region: 'eu-west-1' })).seal(SECRET, ctx());
    kms.on(DecryptCommand).rejects(new InvalidCiphertextException({ message: 'context mismatch', $metadata: {} }));
    await expect(
      new EnvelopeSealer(new KmsKeyProvider({ keyId: 'k', region: 'eu-west-1' })).open(sealed, ctx({ tenantId: 'other' })),
    ).rejects.toBeInstanceOf(SecretOpenError);
    const outage = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    kms.on(DecryptCommand).rejects(outage);
    const error = await new EnvelopeSealer(new KmsKeyProvider({ keyId: 'k', region: 'eu-west-1' }))
      .open(sealed, ctx())
      .catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(SecretOpenError);
    expect((error as Error).name).toBe('ThrottlingException');
  });

  it('refuses a plaintext without asking KMS anything', async () => {
    const error = await new EnvelopeSealer(new KmsKeyProvider({ keyId: 'k', region: 'eu-west-1' }))
      .open('chosen-by-a-table-writer', ctx())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretNotSealedError);
    expect(kms.commandCalls(DecryptCommand)).toHaveLength(0);
  });

  it("opens a tenant item with the tenant of its key as the context: the whole item copied under another tenant's key does not open", async () => {
    // A KMS that unwraps only under the encryption context the data key was made with, as KMS does.
    kms.on(GenerateDataKeyCommand).resolves({ Plaintext: plainKey, CiphertextBlob: blob });
    kms.on(DecryptCommand).callsFake((input: { EncryptionContext?: Record<string, string> }) => {
      if (input.EncryptionContext?.tenantId !== 'acme')
        throw new InvalidCiphertextException({ message: 'context mismatch', $metadata: {} });
      return { Plaintext: plainKey };
    });
    const sealer = () => new EnvelopeSealer(new KmsKeyProvider({ keyId: 'k', region: 'eu-west-1' }));
    const item = {
      pk: 'TENANT#acme',
      tenantId: 'acme',
      pbx: { basicAuth: { username: 'acme', password: await sealer().seal(SECRET, ctx()) } },
    };
    expect(((await openTenantItem(item, sealer(), 'acme')).pbx as { basicAuth: { password: string } }).basicAuth.password).toBe(SECRET);
    // The same item read under TENANT#other: its own tenantId attribute still says acme, and does not count.
    await expect(openTenantItem({ ...item, pk: 'TENANT#other' }, sealer(), 'other')).rejects.toBeInstanceOf(SecretOpenError);
    expect(kms.commandCalls(DecryptCommand).map((c) => c.args[0].input.EncryptionContext?.tenantId)).toEqual(['acme', 'other']);
  });

  it('does not load the KMS SDK until a secret is sealed or opened', () => {
    const script = [
      "const seal = require('./lib/secrets/seal.ts');",
      "const loaded = () => Object.keys(require.cache).some((k) => k.includes('client-kms'));",
      "new seal.EnvelopeSealer(new seal.KmsKeyProvider({ keyId: 'k', region: 'eu-west-1' }));",
      'process.stdout.write(String(loaded()));',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: process.cwd(), encoding: 'utf8' });
    expect(out).toBe('false');
  });
});

describe('choosing the sealer from the configuration', () => {
  it('uses KMS on AWS, the local key off AWS, and refuses to run without a key', () => {
    expect(createSealer({ kmsKeyId: 'alias/c2c-prod', offAws: false }).provider.kind).toBe('kms');
    expect(createSealer({ localKey: KEY, kmsKeyId: 'alias/c2c-local', offAws: true }).provider.kind).toBe('local');
    // A local key is no substitute for KMS on a deployed stage.
    expect(() => createSealer({ localKey: KEY, offAws: false })).toThrow(SealConfigError);
    expect(() => createSealer({ offAws: true })).toThrow(/C2C_LOCAL_SEAL_KEY/);
    expect(() => createSealer({ localKey: 'c2hvcnQ=', offAws: true })).toThrow(/32 bytes/);
  });

  it('refuses to build the container of a deployed stage without a KMS key id', () => {
    expect(() => sealerOf(createRoot({ config: loadConfig({ TABLE_NAME: 'c2c-prod', STAGE: 'prod' }) }))).toThrow(/SEAL_KMS_KEY_ID/);
    expect(
      sealerOf(createRoot({ config: loadConfig({ TABLE_NAME: 'c2c-prod', STAGE: 'prod', SEAL_KMS_KEY_ID: 'alias/c2c-prod' }) })),
    ).toBeInstanceOf(EnvelopeSealer);
  });
});
