import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KMSClient } from '@aws-sdk/client-kms';

/**
 * Secrets at rest (PBX passwords, CDR keys, webhook and callback signing secrets) are sealed with
 * envelope encryption: a 256-bit data key from the key provider (KMS in AWS, a local key off AWS)
 * encrypts with AES-256-GCM, and the data key, wrapped by the provider, travels inside the sealed value:
 *
 *   v1.<wrapped data key>.<iv>.<ciphertext + tag>      (each part base64url)
 *
 * One data key seals many values of one tenant and purpose, and a container keeps plain data keys for a
 * bounded time, so KMS is asked once per tenant and purpose per container, not once per secret.
 *
 * Only a sealed value opens. A stored value that is not a sealed envelope is refused, not used as it is:
 * otherwise anyone who can write the table (a stolen role, a console session) could put a PBX password or
 * signing secret of their choice in place of the sealed one, and the service would use it.
 */

/** What a data key is bound to: KMS's encryption context, and the local key's associated data. */
export type SealPurpose = 'tenant-secrets' | 'webhook-secrets' | 'subscription-secrets';

export interface SealContext {
  /** The tenant of the item's key (its pk), never an attribute of the item: a whole item copied under another key does not open. */
  tenantId: string;
  purpose: SealPurpose;
  /** The field the value belongs to (e.g. `pbx.basicAuth.password`): a sealed value copied to another field does not open. */
  item: string;
}

export interface SecretSealer {
  seal(plaintext: string, context: SealContext): Promise<string>;
  /** The plaintext of a sealed value; anything else (a plaintext, a truncated envelope) is refused with {@link SecretNotSealedError}. */
  open(value: string, context: SealContext): Promise<string>;
}

/** Where data keys come from and how they are unwrapped. */
export interface DataKeyProvider {
  readonly kind: 'kms' | 'local';
  generate(context: KeyContext): Promise<{ plaintext: Buffer; wrapped: Buffer }>;
  unwrap(wrapped: Buffer, context: KeyContext): Promise<Buffer>;
}

/** The encryption context of a data key: the tenant and the purpose (not the field: one key seals many fields). */
export interface KeyContext {
  tenantId: string;
  purpose: SealPurpose;
}

/** A sealed value does not open: tampered with, moved to another tenant or field, or sealed under another key. */
export class SecretOpenError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SecretOpenError';
  }
}

/**
 * A stored value where a sealed one belongs is not a sealed envelope (a plaintext, or something else written
 * into the table): refused and never used. The message names the field and tenant, never the value.
 */
export class SecretNotSealedError extends SecretOpenError {
  constructor(context: SealContext) {
    super(`${context.item} of tenant ${context.tenantId} is not a sealed value: refused (a secret is only ever read from its sealed form)`);
    this.name = 'SecretNotSealedError';
  }
}

/** Throws {@link SecretNotSealedError} unless `value` is a sealed envelope. */
export function assertSealed(value: string, context: SealContext): void {
  if (!isSealed(value)) throw new SecretNotSealedError(context);
}

/** The configuration refuses to run without a key it can seal with. */
export class SealConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealConfigError';
  }
}

const VERSION = 'v1';
const SEALED = /^v1\.([A-Za-z0-9_-]{16,})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22,})$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Whether a stored value has the shape of a sealed envelope (whether it opens is for {@link EnvelopeSealer.open}). */
export function isSealed(value: unknown): value is string {
  return typeof value === 'string' && SEALED.test(value);
}

const aadOf = (c: SealContext) => Buffer.from(`c2c-seal/${VERSION}\n${c.purpose}\n${c.tenantId}\n${c.item}`, 'utf8');

export interface EnvelopeSealerOptions {
  /** How long a plain data key is kept in memory, for sealing and for opening. */
  dataKeyTtlMs?: number;
  /** Seals per data key before a new one is asked for: far below the 2^32 random IVs GCM allows per key. */
  maxSealsPerKey?: number;
  /** Unwrapped data keys kept at once (one per tenant and purpose in practice). */
  maxCachedKeys?: number;
  now?: () => number;
}

interface SealKey {
  plaintext: Buffer;
  wrapped: string;
  expiresAt: number;
  uses: number;
}

/** AES-256-GCM under data keys of a {@link DataKeyProvider}, cached per container. */
export class EnvelopeSealer implements SecretSealer {
  private readonly sealKeys = new Map<string, Promise<SealKey>>();
  private readonly openKeys = new Map<string, { expiresAt: number; key: Promise<Buffer> }>();
  private readonly ttlMs: number;
  private readonly maxSeals: number;
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(
    readonly provider: DataKeyProvider,
    options: EnvelopeSealerOptions = {},
  ) {
    this.ttlMs = options.dataKeyTtlMs ?? 15 * 60_000;
    this.maxSeals = options.maxSealsPerKey ?? 100_000;
    this.maxKeys = options.maxCachedKeys ?? 1_000;
    this.now = options.now ?? (() => Date.now());
  }

  async seal(plaintext: string, context: SealContext): Promise<string> {
    const key = await this.sealKey(context);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key.plaintext, iv);
    cipher.setAAD(aadOf(context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return [VERSION, key.wrapped, iv.toString('base64url'), body.toString('base64url')].join('.');
  }

  async open(value: string, context: SealContext): Promise<string> {
    const match = SEALED.exec(value);
    if (!match) throw new SecretNotSealedError(context);
    const [, wrapped = '', iv = '', body = ''] = match;
    const key = await this.openKey(wrapped, context);
    const bytes = Buffer.from(body, 'base64url');
    if (bytes.length < TAG_BYTES) throw new SecretOpenError(`Sealed ${context.item} is truncated`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(aadOf(context));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new SecretOpenError(
        `Sealed ${context.item} of tenant ${context.tenantId} does not open: altered, or sealed for another tenant or field`,
        { cause: error },
      );
    }
  }

  private async sealKey(context: KeyContext): Promise<SealKey> {
    const id = `${context.purpose}\n${context.tenantId}`;
    const cached = this.sealKeys.get(id);
    if (cached) {
      const key = await cached.catch(() => undefined);
      if (key && key.expiresAt > this.now() && key.uses < this.maxSeals) {
        key.uses += 1;
        return key;
      }
      if (this.sealKeys.get(id) === cached) this.sealKeys.delete(id);
    }
    const fresh = this.provider.generate({ tenantId: context.tenantId, purpose: context.purpose }).then((k) => {
      const wrapped = k.wrapped.toString('base64url');
      // The value that seals is also one that opens: no Decrypt for what this container sealed itself.
      this.remember(wrapped, Promise.resolve(k.plaintext));
      return { plaintext: k.plaintext, wrapped, expiresAt: this.now() + this.ttlMs, uses: 1 };
    });
    this.bound(this.sealKeys);
    this.sealKeys.set(id, fresh);
    fresh.catch(() => {
      if (this.sealKeys.get(id) === fresh) this.sealKeys.delete(id);
    });
    return fresh;
  }

  private openKey(wrapped: string, context: SealContext): Promise<Buffer> {
    const hit = this.openKeys.get(wrapped);
    if (hit && hit.expiresAt > this.now()) return hit.key;
    const key = this.provider.unwrap(Buffer.from(wrapped, 'base64url'), { tenantId: context.tenantId, purpose: context.purpose });
    this.remember(wrapped, key);
    return key;
  }

  /**
   * Keyed by the wrapped key alone: a wrapped key unwraps only under its own tenant and purpose (the
   * context is bound by the provider), and a copy under another tenant still fails on the value's AAD.
   */
  private remember(wrapped: string, key: Promise<Buffer>) {
    this.bound(this.openKeys);
    this.openKeys.set(wrapped, { expiresAt: this.now() + this.ttlMs, key });
    key.catch(() => {
      if (this.openKeys.get(wrapped)?.key === key) this.openKeys.delete(wrapped);
    });
  }

  private bound(map: Map<string, unknown>) {
    // Insertion order: the oldest entries go first.
    while (map.size >= this.maxKeys) {
      const oldest = map.keys().next().value;
      if (oldest === undefined) break;
      map.delete(oldest);
    }
  }
}

/** Off AWS (the local stack, tests): data keys wrapped under a 32-byte key from the environment. */
export class LocalKeyProvider implements DataKeyProvider {
  readonly kind = 'local';
  private readonly key: Buffer;

  constructor(key: string | Buffer) {
    this.key = typeof key === 'string' ? parseLocalKey(key) : key;
    if (this.key.length !== 32) throw new SealConfigError('The local seal key must be 32 bytes');
  }

  // Synchronous work behind the provider's asynchronous interface (KMS's is a network call).
  generate(context: KeyContext): Promise<{ plaintext: Buffer; wrapped: Buffer }> {
    const plaintext = randomBytes(32);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(keyAad(context));
    const wrapped = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return Promise.resolve({ plaintext, wrapped });
  }

  unwrap(wrapped: Buffer, context: KeyContext): Promise<Buffer> {
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, wrapped.subarray(0, IV_BYTES));
      decipher.setAAD(keyAad(context));
      decipher.setAuthTag(wrapped.subarray(wrapped.length - TAG_BYTES));
      return Promise.resolve(Buffer.concat([decipher.update(wrapped.subarray(IV_BYTES, wrapped.length - TAG_BYTES)), decipher.final()]));
    } catch (error) {
      return Promise.reject(
        new SecretOpenError(
          `A data key of tenant ${context.tenantId} does not unwrap under the local key (another key, tenant or purpose)`,
          { cause: error },
        ),
      );
    }
  }
}

const keyAad = (c: KeyContext) => Buffer.from(`c2c-data-key/${VERSION}\n${c.purpose}\n${c.tenantId}`, 'utf8');

/** A local key: 32 bytes in base64 or base64url (`openssl rand -base64 32`). */
export function parseLocalKey(text: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new SealConfigError('C2C_LOCAL_SEAL_KEY must be 32 bytes in base64 (openssl rand -base64 32)');
  return key;
}

/** A fresh local key, as the local stack and tests generate one. */
export const newLocalKey = (): string => randomBytes(32).toString('base64');

export interface KmsKeyProviderOptions {
  /** Key id, ARN, alias name (`alias/c2c-prod`) or alias ARN. */
  keyId: string;
  region?: string;
  /** Another KMS endpoint (a VPC interface endpoint, or the bench's stand-in); the SDK's own when unset. */
  endpoint?: string;
  /** A ready client (tests); otherwise one is built on first use. */
  client?: KMSClient;
}

/**
 * In AWS: GenerateDataKey / Decrypt with the tenant and purpose as encryption context, so a role's
 * IAM condition can name the purposes it may open. The SDK is imported on first use, so functions
 * that never open a secret never load it.
 */
export class KmsKeyProvider implements DataKeyProvider {
  readonly kind = 'kms';
  private sdk?: Promise<{ client: KMSClient; mod: typeof import('./kms-sdk') }>;

  constructor(private readonly options: KmsKeyProviderOptions) {}

  async generate(context: KeyContext) {
    const { client, mod } = await this.load();
    const out = await client.send(
      new mod.GenerateDataKeyCommand({ KeyId: this.options.keyId, KeySpec: 'AES_256', EncryptionContext: encryptionContext(context) }),
    );
    if (!out.Plaintext || !out.CiphertextBlob) throw new Error('KMS GenerateDataKey returned no key');
    return { plaintext: Buffer.from(out.Plaintext), wrapped: Buffer.from(out.CiphertextBlob) };
  }

  async unwrap(wrapped: Buffer, context: KeyContext) {
    const { client, mod } = await this.load();
    try {
      const out = await client.send(
        new mod.DecryptCommand({ KeyId: this.options.keyId, CiphertextBlob: wrapped, EncryptionContext: encryptionContext(context) }),
      );
      if (!out.Plaintext) throw new Error('KMS Decrypt returned no key');
      return Buffer.from(out.Plaintext);
    } catch (error) {
      // The context or the blob does not match: the value was moved or altered. Anything else (throttling,
      // access) is an outage, not a bad value, and propagates as it is.
      if (error instanceof mod.InvalidCiphertextException) {
        throw new SecretOpenError(`A data key of tenant ${context.tenantId} does not unwrap (altered, or another tenant or purpose)`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  private load() {
    this.sdk ??= import('./kms-sdk').then((mod) => ({
      mod,
      client:
        this.options.client ??
        new mod.KMSClient({
          ...(this.options.region ? { region: this.options.region } : {}),
          ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
          maxAttempts: 3,
        }),
    }));
    return this.sdk;
  }
}

const encryptionContext = (c: KeyContext) => ({ service: 'c2c', tenantId: c.tenantId, purpose: c.purpose });

export interface SealSettings {
  /** KMS key id or alias: required on AWS. */
  kmsKeyId?: string;
  /** Off AWS only: the local key (base64). */
  localKey?: string;
  /** Whether this runs off AWS (a DynamoDB endpoint is set): only then may a local key be used. */
  offAws: boolean;
  region?: string;
  dataKeyTtlMs?: number;
}

/**
 * The sealer of a configuration: the local key off AWS, KMS on AWS. Refuses to run on AWS without a
 * KMS key rather than write secrets in clear, and off AWS without a local key.
 */
export function createSealer(settings: SealSettings): EnvelopeSealer {
  const options = { dataKeyTtlMs: settings.dataKeyTtlMs };
  if (settings.offAws && settings.localKey) return new EnvelopeSealer(new LocalKeyProvider(settings.localKey), options);
  if (settings.kmsKeyId) return new EnvelopeSealer(new KmsKeyProvider({ keyId: settings.kmsKeyId, region: settings.region }), options);
  throw new SealConfigError(
    settings.offAws
      ? 'C2C_LOCAL_SEAL_KEY is not set: secrets at rest need a key (openssl rand -base64 32)'
      : 'SEAL_KMS_KEY_ID is not set: a deployed stage seals secrets under its KMS key and will not store them in clear',
  );
}
