/**
 * DynamoDB faults on the real document client: every command goes to dynalite as usual, except the one a
 * test arms a fault for, which fails the way the SDK fails once its own retries are spent. Built on
 * aws-sdk-client-mock: it stubs `DynamoDBDocumentClient#send` and routes by command class; this module
 * passes each command on to the real `send` unless it matches the armed fault.
 */
import { InternalServerError, ProvisionedThroughputExceededException, ThrottlingException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';

/** The document client's commands that the service sends; each is routed through the fault check. */
const COMMANDS = [
  GetCommand,
  PutCommand,
  UpdateCommand,
  DeleteCommand,
  QueryCommand,
  ScanCommand,
  BatchGetCommand,
  BatchWriteCommand,
] as const;
export type DocCommand = (typeof COMMANDS)[number];

/** The input of a document client command, as far as a fault point looks at it. */
export interface CommandInput {
  Key?: Record<string, unknown>;
  Item?: Record<string, unknown>;
  UpdateExpression?: string;
  ConditionExpression?: string;
}

export interface FaultKind {
  id: string;
  /** How the report names it. */
  label: string;
  /** The error as the SDK throws it once its retries (maxAttempts 3 in lib/store/client.ts) gave up. */
  error: () => Error;
  /** The write reached the table and only its answer was lost (a timeout after the server applied it). */
  landsFirst?: boolean;
}

/** `$metadata` as the SDK's retry loop leaves it on the error it gives up on: 3 attempts and their backoff. */
const metadata = (httpStatusCode?: number) => ({
  ...(httpStatusCode === undefined ? {} : { httpStatusCode, requestId: `FAULT${Math.random().toString(36).slice(2, 12).toUpperCase()}` }),
  attempts: 3,
  totalRetryDelay: 160,
});

/** A request timeout as @smithy/node-http-handler raises it (no class: a named Error with a code). */
function timeoutError(): Error {
  return Object.assign(new Error('@smithy/node-http-handler - [ERROR] a request has exceeded the configured 1000 ms requestTimeout.'), {
    name: 'TimeoutError',
    code: 'ETIMEDOUT',
    $metadata: metadata(),
  });
}

export const FAULT_KINDS = {
  provisioned: {
    id: 'provisioned',
    label: 'ProvisionedThroughputExceededException',
    error: () =>
      new ProvisionedThroughputExceededException({
        message:
          'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
        $metadata: metadata(400),
      }),
  },
  throttling: {
    id: 'throttling',
    label: 'ThrottlingException',
    error: () =>
      new ThrottlingException({ message: 'Throughput exceeds the current capacity of your table or index.', $metadata: metadata(400) }),
  },
  internal: {
    id: 'internal',
    label: 'InternalServerError (HTTP 500)',
    error: () => new InternalServerError({ message: 'Internal server error', $metadata: metadata(500) }),
  },
  timeout: { id: 'timeout', label: 'request timeout', error: timeoutError },
  timeoutLanded: { id: 'timeout-landed', label: 'request timeout after the write landed', error: timeoutError, landsFirst: true },
} satisfies Record<string, FaultKind>;

interface Armed {
  command: DocCommand;
  matches: (input: CommandInput) => boolean;
  kind: FaultKind;
  hits: number;
}

export class StoreFaults {
  private readonly stub;
  private armed?: Armed;
  /** Commands on their way to dynalite: a failed request may leave some behind it (a parallel write). */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor() {
    // The real `send`, taken before the stub replaces it on the prototype; always called with `.call(client, …)`.
    // eslint-disable-next-line @typescript-eslint/unbound-method -- unbound on purpose: it is re-bound to each client below
    const realSend = DynamoDBDocumentClient.prototype.send as (this: DynamoDBDocumentClient, command: unknown) => Promise<unknown>;
    this.stub = mockClient(DynamoDBDocumentClient);
    for (const Command of COMMANDS) {
      const Ctor = Command as unknown as new (input: CommandInput) => unknown;
      this.stub.on(Command as never).callsFake(async (input: CommandInput, getClient: () => unknown) => {
        const client = getClient() as DynamoDBDocumentClient;
        const armed = this.armed;
        if (armed && armed.command === Command && armed.matches(input)) {
          armed.hits++;
          if (armed.kind.landsFirst) await this.track(realSend.call(client, new Ctor(input)));
          throw armed.kind.error();
        }
        return this.track(realSend.call(client, new Ctor(input)));
      });
    }
  }

  private track<T>(sent: Promise<T>): Promise<T> {
    this.inFlight.add(sent);
    const done = () => this.inFlight.delete(sent);
    sent.then(done, done);
    return sent;
  }

  /** Resolves once every command sent so far has had its answer: what a failed request left in flight has landed. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Fails every `command` whose input `matches`, until `disarm`: persistent, as a fault outlasting the SDK's retries. */
  arm(command: DocCommand, matches: (input: CommandInput) => boolean, kind: FaultKind) {
    this.armed = { command, matches, kind, hits: 0 };
  }

  /** Lifts the fault; returns how many commands it failed (0 means the test did not reach its target). */
  disarm(): number {
    const hits = this.armed?.hits ?? 0;
    this.armed = undefined;
    return hits;
  }

  restore() {
    this.stub.restore();
  }
}

/** The sort key a command addresses (Key.sk for reads, updates and deletes; Item.sk for puts). */
/** A key attribute as text: this table's keys are strings; anything else is shown as JSON rather than `[object Object]`. */
const keyText = (value: unknown): string =>
  typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value);
export const skOf = (input: CommandInput) => keyText(input.Key?.sk ?? input.Item?.sk);
export const pkOf = (input: CommandInput) => keyText(input.Key?.pk ?? input.Item?.pk);
