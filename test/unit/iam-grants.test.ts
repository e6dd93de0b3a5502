/**
 * The comparison test/integration/iam-roles.test.ts judges roles with (test/support/iam-grants.ts): a role one
 * action, index or purpose short, or one too wide, is reported; and SDK commands map to the IAM actions AWS checks.
 */
import { describe, expect, it } from 'vitest';
import { compareGrants, dynamodbGrants, kmsGrant, roleGrants, triggerGrants } from '../support/iam-grants';
import type { Template } from '../support/package-stack';

const TABLE_ARN = { 'Fn::GetAtt': ['Table', 'Arn'] };
const index = (name: string) => ({ 'Fn::Join': ['', [TABLE_ARN, `/index/${name}`]] });
const KEY_ARN = { 'Fn::GetAtt': ['SealKey', 'Arn'] };
const decrypt = (purposes?: string[]) => ({
  Effect: 'Allow',
  Action: 'kms:Decrypt',
  Resource: KEY_ARN,
  ...(purposes && {
    Condition: { StringEquals: { 'kms:EncryptionContext:service': 'c2c', 'kms:EncryptionContext:purpose': purposes } },
  }),
});

/** A template with one role of the given statements (and a log statement, which the comparison leaves alone). */
function templateWith(statements: unknown[]): Template {
  return {
    Resources: {
      Table: { Type: 'AWS::DynamoDB::Table' },
      SealKey: { Type: 'AWS::KMS::Key' },
      Role: {
        Type: 'AWS::IAM::Role',
        Properties: {
          Policies: [
            { PolicyName: 'logs', PolicyDocument: { Statement: [{ Effect: 'Allow', Action: ['logs:PutLogEvents'], Resource: '*' }] } },
            { PolicyName: 'table', PolicyDocument: { Statement: statements } },
          ],
        },
      },
    },
  };
}

/** What a function like the scheduler sends: table reads and writes, one index, tenant secrets. */
const NEEDED = [
  'dynamodb:GetItem table',
  'dynamodb:UpdateItem table',
  'dynamodb:Query table/index/gsi4',
  'kms:Decrypt seal-key{service=c2c,purpose=tenant-secrets}',
];
const EXACT = [
  { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Resource: TABLE_ARN },
  { Effect: 'Allow', Action: 'dynamodb:Query', Resource: [index('gsi4')] },
  decrypt(['tenant-secrets']),
];

describe('compareGrants on a role of the template', () => {
  it.each<{ role: string; statements: unknown[]; missing: string[]; extra: string[] }>([
    { role: 'exactly what is sent', statements: EXACT, missing: [], extra: [] },
    {
      role: 'one action short (the probe budget case)',
      statements: [{ Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: TABLE_ARN }, ...EXACT.slice(1)],
      missing: ['dynamodb:UpdateItem table'],
      extra: [],
    },
    {
      role: 'one action too many',
      statements: [
        { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], Resource: TABLE_ARN },
        ...EXACT.slice(1),
      ],
      missing: [],
      extra: ['dynamodb:DeleteItem table'],
    },
    {
      role: 'every index instead of the one queried',
      statements: [EXACT[0], { Effect: 'Allow', Action: 'dynamodb:Query', Resource: [index('*')] }, EXACT[2]],
      missing: ['dynamodb:Query table/index/gsi4'],
      extra: ['dynamodb:Query table/index/*'],
    },
    {
      role: 'an index it does not query',
      statements: [EXACT[0], { Effect: 'Allow', Action: 'dynamodb:Query', Resource: [index('gsi4'), index('gsi5')] }, EXACT[2]],
      missing: [],
      extra: ['dynamodb:Query table/index/gsi5'],
    },
    {
      role: 'the table actions on the index too (one statement for both)',
      statements: [
        { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], Resource: [TABLE_ARN, index('gsi4')] },
        EXACT[2],
      ],
      missing: [],
      extra: ['dynamodb:GetItem table/index/gsi4', 'dynamodb:Query table', 'dynamodb:UpdateItem table/index/gsi4'],
    },
    {
      role: 'a wildcard action',
      statements: [...EXACT, { Effect: 'Allow', Action: 'dynamodb:*', Resource: TABLE_ARN }],
      missing: [],
      extra: ['dynamodb:* table'],
    },
    {
      role: 'the seal key for any purpose',
      statements: [...EXACT.slice(0, 2), decrypt()],
      missing: ['kms:Decrypt seal-key{service=c2c,purpose=tenant-secrets}'],
      extra: ['kms:Decrypt seal-key{service=*,purpose=*}'],
    },
    {
      role: 'a purpose it never opens',
      statements: [...EXACT.slice(0, 2), decrypt(['tenant-secrets', 'webhook-secrets'])],
      missing: [],
      extra: ['kms:Decrypt seal-key{service=c2c,purpose=webhook-secrets}'],
    },
    {
      role: 'no KMS at all',
      statements: EXACT.slice(0, 2),
      missing: ['kms:Decrypt seal-key{service=c2c,purpose=tenant-secrets}'],
      extra: [],
    },
  ])('$role', ({ statements, missing, extra }) => {
    expect(compareGrants(NEEDED, roleGrants(templateWith(statements), 'Role'))).toEqual({ missing, extra });
  });

  it('needs the stream reads for a function a DynamoDB stream triggers, and for no other', () => {
    const template = templateWith(EXACT);
    template.Resources.Mapping = {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: {
        FunctionName: { 'Fn::GetAtt': ['NotifyLambdaFunction', 'Arn'] },
        EventSourceArn: { 'Fn::GetAtt': ['Table', 'StreamArn'] },
      },
    };
    expect(triggerGrants(template, 'NotifyLambdaFunction')).toEqual([
      'dynamodb:DescribeStream table/stream',
      'dynamodb:GetRecords table/stream',
      'dynamodb:GetShardIterator table/stream',
      'dynamodb:ListStreams table/stream',
    ]);
    expect(triggerGrants(template, 'NotifyRetryLambdaFunction')).toEqual([]);
  });
});

describe('SDK commands to IAM actions', () => {
  it.each<[string, Record<string, unknown>, string[]]>([
    ['GetItemCommand', { TableName: 't', Key: {} }, ['dynamodb:GetItem table']],
    ['PutItemCommand', { TableName: 't' }, ['dynamodb:PutItem table']],
    ['UpdateItemCommand', { TableName: 't' }, ['dynamodb:UpdateItem table']],
    ['DeleteItemCommand', { TableName: 't' }, ['dynamodb:DeleteItem table']],
    ['QueryCommand', { TableName: 't' }, ['dynamodb:Query table']],
    ['QueryCommand', { TableName: 't', IndexName: 'gsi4' }, ['dynamodb:Query table/index/gsi4']],
    ['BatchGetItemCommand', { RequestItems: { t: { Keys: [] } } }, ['dynamodb:BatchGetItem table']],
    ['BatchWriteItemCommand', { RequestItems: { t: [] } }, ['dynamodb:BatchWriteItem table']],
    ['GetItemCommand', { TableName: 'another' }, ['dynamodb:GetItem other-table:another']],
    [
      'TransactWriteItemsCommand',
      { TransactItems: [{ Put: { TableName: 't' } }, { ConditionCheck: { TableName: 't' } }] },
      ['dynamodb:PutItem table', 'dynamodb:ConditionCheckItem table'],
    ],
  ])('%s %j', (command, input, grants) => {
    expect(dynamodbGrants(command, input, 't')).toEqual(grants);
  });

  it('refuses a command it has no mapping for, rather than leave it out of the role', () => {
    expect(() => dynamodbGrants('ExecuteStatementCommand', {}, 't')).toThrow(/no IAM mapping/);
    expect(() => kmsGrant('SignCommand', {})).toThrow(/no IAM mapping/);
  });

  it('names the KMS action and the encryption context it was sent under', () => {
    const context = { EncryptionContext: { service: 'c2c', tenantId: 'acme', purpose: 'webhook-secrets' } };
    expect(kmsGrant('DecryptCommand', context)).toBe('kms:Decrypt seal-key{service=c2c,purpose=webhook-secrets}');
    expect(kmsGrant('GenerateDataKeyCommand', context)).toBe('kms:GenerateDataKey seal-key{service=c2c,purpose=webhook-secrets}');
  });
});
