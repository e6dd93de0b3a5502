/**
 * Records, per function, the grants (test/support/iam-grants.ts) of every DynamoDB and KMS command the function's
 * code sends, for test/integration/iam-roles.test.ts.
 *
 * - DynamoDB: a middleware on the function's own document client (each function is loaded with modules of its own,
 *   so it has its own client, as a Lambda container does); it sees the low-level command and its input before the
 *   request leaves, so a refused write is recorded like an accepted one (IAM is asked either way).
 * - KMS: there is no KMS here, so the KMS client is stubbed (aws-sdk-client-mock) by a stand-in that wraps data keys
 *   under the tests' local key with the encryption context as associated data: values sealed by the tests' local
 *   sealer (test/support/env.ts) open through it, and a wrong context fails as KMS would. A command is the function's
 *   whose invocation it runs in (an AsyncLocalStorage set around each handler call); the tests' own seeding, outside
 *   any invocation, is not recorded.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { DecryptCommand, GenerateDataKeyCommand, InvalidCiphertextException, KMSClient } from '@aws-sdk/client-kms';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { LocalKeyProvider, type KeyContext } from '../../lib/secrets/seal';
import { dynamodbGrants, kmsGrant, type Grant } from './iam-grants';

type Input = Record<string, unknown>;

export class GrantRecorder {
  private readonly grants = new Map<string, Set<Grant>>();
  private readonly invocation = new AsyncLocalStorage<string>();
  private kms?: ReturnType<typeof mockClient>;

  constructor(private readonly tableName: string) {}

  /** What the function was seen to send (empty for a function that sent nothing). */
  of(fn: string): Set<Grant> {
    return this.grants.get(fn) ?? new Set();
  }

  /** Records what the function's document client sends. */
  watchTable(fn: string, doc: DynamoDBDocumentClient): void {
    doc.middlewareStack.add(
      (next, context) => (args) => {
        this.add(fn, dynamodbGrants(context.commandName ?? 'unknown', args.input as Input, this.tableName));
        return next(args);
      },
      { step: 'initialize', name: 'iamGrantRecorder', priority: 'high' },
    );
  }

  /** Runs one invocation of the function: the KMS commands sent within it are the function's. */
  run<T>(fn: string, body: () => Promise<T>): Promise<T> {
    return this.invocation.run(fn, body);
  }

  /** Answers KMS with the stand-in (see the module's comment); `localKey` is the tests' seal key. */
  standInForKms(localKey: string): void {
    const wrapper = new LocalKeyProvider(localKey);
    const contextOf = (input: Input): KeyContext => {
      const context = (input.EncryptionContext ?? {}) as Record<string, string>;
      return { tenantId: context.tenantId ?? '', purpose: context.purpose as KeyContext['purpose'] };
    };
    this.kms = mockClient(KMSClient);
    this.kms.on(GenerateDataKeyCommand).callsFake(async (input: Input) => {
      this.addKms('GenerateDataKeyCommand', input);
      const key = await wrapper.generate(contextOf(input));
      return { KeyId: input.KeyId, Plaintext: key.plaintext, CiphertextBlob: key.wrapped };
    });
    this.kms.on(DecryptCommand).callsFake(async (input: Input) => {
      this.addKms('DecryptCommand', input);
      const context = contextOf(input);
      const plaintext = await wrapper.unwrap(Buffer.from(input.CiphertextBlob as Uint8Array), context).catch(() => {
        throw new InvalidCiphertextException({ message: 'The ciphertext or its encryption context does not match', $metadata: {} });
      });
      return { KeyId: input.KeyId, Plaintext: plaintext };
    });
  }

  stop(): void {
    this.kms?.restore();
  }

  private addKms(commandName: string, input: Input) {
    const fn = this.invocation.getStore();
    if (fn) this.add(fn, [kmsGrant(commandName, input)]);
  }

  private add(fn: string, grants: Grant[]) {
    const set = this.grants.get(fn) ?? new Set<Grant>();
    for (const grant of grants) set.add(grant);
    this.grants.set(fn, set);
  }
}
