/**
 * IAM grants as comparable strings, `<action> <resource>`, from two sides:
 *
 * - what a function needs: each DynamoDB or KMS command its code sent (recorded in test/integration/iam-roles.test.ts),
 *   mapped to the IAM actions that authorise it, on the table, on `table/index/<name>` for a command with an
 *   IndexName, or on the seal key under the encryption context it was sent with; plus the stream reads Lambda makes
 *   with the role of a function that a DynamoDB stream triggers;
 * - what its role grants: every DynamoDB and KMS statement of the role in the packaged template, each action crossed
 *   with each resource (and each purpose its condition allows).
 *
 * Compared exactly: a wildcard (`dynamodb:*`, `index/*`, a key without a purpose condition) is not a shorthand for what
 * it covers but a grant of its own, so it shows as one more than needed.
 */
import type { Resource, Template } from './package-stack';

export type Grant = string;

export const TABLE = 'table';
export const STREAM = 'table/stream';
export const indexResource = (name: string) => `table/index/${name}`;
export const sealKeyResource = (context: { service?: string; purpose?: string }) =>
  `seal-key{service=${context.service ?? '*'},purpose=${context.purpose ?? '*'}}`;

/** What Lambda does with the role of a function a DynamoDB stream triggers (event source mapping). */
export const STREAM_READ_ACTIONS = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'];

const DYNAMODB_SINGLE: Record<string, string> = {
  GetItemCommand: 'dynamodb:GetItem',
  PutItemCommand: 'dynamodb:PutItem',
  UpdateItemCommand: 'dynamodb:UpdateItem',
  DeleteItemCommand: 'dynamodb:DeleteItem',
  QueryCommand: 'dynamodb:Query',
  ScanCommand: 'dynamodb:Scan',
  BatchGetItemCommand: 'dynamodb:BatchGetItem',
  BatchWriteItemCommand: 'dynamodb:BatchWriteItem',
};
/** A transaction is authorised item by item, by the action of each item (no IAM action names the transaction). */
const TRANSACT_ITEM: Record<string, string> = {
  Get: 'dynamodb:GetItem',
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
};
const KMS_ACTIONS: Record<string, string> = {
  DecryptCommand: 'kms:Decrypt',
  GenerateDataKeyCommand: 'kms:GenerateDataKey',
  EncryptCommand: 'kms:Encrypt',
  ReEncryptCommand: 'kms:ReEncrypt*',
};

type Input = Record<string, unknown>;

/** The table of a command's input: ours is `table`, any other is named (and never granted). */
const tableOf = (name: unknown, ours: string) => (name === ours ? TABLE : `other-table:${String(name)}`);

/** The grants a DynamoDB command needs (low-level command names: lib-dynamodb's GetCommand is sent as GetItemCommand). */
export function dynamodbGrants(commandName: string, input: Input, tableName: string): Grant[] {
  const single = DYNAMODB_SINGLE[commandName];
  if (single) {
    if (input.RequestItems) return Object.keys(input.RequestItems as Input).map((name) => `${single} ${tableOf(name, tableName)}`);
    const table = tableOf(input.TableName, tableName);
    return [`${single} ${typeof input.IndexName === 'string' ? `${table}/index/${input.IndexName}` : table}`];
  }
  if (commandName === 'TransactWriteItemsCommand' || commandName === 'TransactGetItemsCommand') {
    return (input.TransactItems as Input[]).flatMap((item) =>
      Object.entries(item).map(
        ([kind, body]) => `${TRANSACT_ITEM[kind] ?? `unknown-transact-item:${kind}`} ${tableOf((body as Input).TableName, tableName)}`,
      ),
    );
  }
  throw new Error(`no IAM mapping for the DynamoDB command ${commandName}: add it to test/support/iam-grants.ts`);
}

/** The grant a KMS command needs: the action, on the seal key, under the command's encryption context. */
export function kmsGrant(commandName: string, input: Input): Grant {
  const action = KMS_ACTIONS[commandName];
  if (!action) throw new Error(`no IAM mapping for the KMS command ${commandName}: add it to test/support/iam-grants.ts`);
  return `${action} ${sealKeyResource(input.EncryptionContext ?? {})}`;
}

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, string | string[]>>;
}

const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** A template resource as the grants name it: the table, its stream, an index, the seal key; anything else as written. */
function resourceName(value: unknown, template: Template): string {
  const typeOf = (id: unknown) => (typeof id === 'string' ? template.Resources[id]?.Type : undefined);
  const getAtt = (value as { 'Fn::GetAtt'?: unknown[] } | null)?.['Fn::GetAtt'];
  if (Array.isArray(getAtt)) {
    if (typeOf(getAtt[0]) === 'AWS::DynamoDB::Table') return getAtt[1] === 'StreamArn' ? STREAM : TABLE;
    if (typeOf(getAtt[0]) === 'AWS::KMS::Key') return 'seal-key';
  }
  const join = (value as { 'Fn::Join'?: [string, unknown[]] } | null)?.['Fn::Join'];
  if (Array.isArray(join) && join[0] === '' && join[1].length === 2 && typeof join[1][1] === 'string') {
    if (resourceName(join[1][0], template) === TABLE) return `${TABLE}${join[1][1]}`;
  }
  return JSON.stringify(value);
}

/** What a role's inline policies allow on DynamoDB and KMS (logs, SQS and the rest are judged elsewhere). */
export function roleGrants(template: Template, roleId: string): Grant[] {
  const role: Resource | undefined = template.Resources[roleId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleId} is not a role of the template`);
  const policies = (role.Properties?.Policies ?? []) as Array<{ PolicyDocument: { Statement: Statement[] } }>;
  const grants: Grant[] = [];
  for (const statement of policies.flatMap((p) => p.PolicyDocument.Statement)) {
    const actions = asArray(statement.Action).filter((a) => a === '*' || a.startsWith('dynamodb:') || a.startsWith('kms:'));
    if (actions.length === 0) continue;
    const effect = statement.Effect === 'Allow' ? '' : `${statement.Effect}:`;
    for (const resource of asArray(statement.Resource)) {
      let names = [resourceName(resource, template)];
      if (names[0] === 'seal-key') {
        const { StringEquals = {}, ...others } = statement.Condition ?? {};
        const services = asArray(StringEquals['kms:EncryptionContext:service']);
        const purposes = asArray(StringEquals['kms:EncryptionContext:purpose']);
        names = (services.length ? services : [undefined]).flatMap((service) =>
          (purposes.length ? purposes : [undefined]).map((purpose) => sealKeyResource({ service, purpose })),
        );
        if (Object.keys(others).length > 0) names = names.map((n) => `${n}+${Object.keys(others).join('+')}`);
      }
      for (const action of actions) for (const name of names) grants.push(`${effect}${action} ${name}`);
    }
  }
  return grants;
}

/** Grants the stream trigger of a function needs: the stream reads, for each DynamoDB stream that triggers it. */
export function triggerGrants(template: Template, functionId: string): Grant[] {
  const mappings = Object.values(template.Resources).filter(
    (r) => r.Type === 'AWS::Lambda::EventSourceMapping' && JSON.stringify(r.Properties?.FunctionName ?? '').includes(`"${functionId}"`),
  );
  return mappings.flatMap((m) => {
    const source = resourceName(m.Properties?.EventSourceArn, template);
    return source === STREAM ? STREAM_READ_ACTIONS.map((action) => `${action} ${STREAM}`) : [];
  });
}

export interface GrantDifference {
  /** Needed and not granted: the function would get AccessDenied. */
  missing: Grant[];
  /** Granted and never needed: more than the function uses. */
  extra: Grant[];
}

export function compareGrants(needed: Iterable<Grant>, granted: Iterable<Grant>): GrantDifference {
  const need = new Set(needed);
  const have = new Set(granted);
  return { missing: [...need].filter((g) => !have.has(g)).sort(), extra: [...have].filter((g) => !need.has(g)).sort() };
}
