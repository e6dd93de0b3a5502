/**
 * The deployable stack, checked on the CloudFormation template that `serverless package` renders (not on the YAML):
 * egress through one NAT gateway with one Elastic IP, the DynamoDB gateway endpoint, the table as
 * lib/store/table-schema.json defines it, one role per function, the runtime, and the artifacts. What each role may do
 * on the table and with the seal key is derived from what the functions send: test/integration/iam-roles.test.ts.
 *
 * The package comes from test/support/package-stack.ts (packaged once per change of its inputs, in a sandbox copy).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packagedStack, repoRoot, type Packaged, type Resource, type Template } from '../support/package-stack';

const tableSchema = JSON.parse(readFileSync(join(repoRoot, 'lib', 'store', 'table-schema.json'), 'utf8')) as Record<string, unknown>;

const FUNCTION_KEYS = [
  'callsCreate',
  'hooks',
  'callsCancel',
  'dispatchDue',
  'pbxProbe',
  'callsGet',
  'callsList',
  'agents',
  'tenant',
  'health',
  'openapi',
  'reconcile',
  'pbxEvents',
  'notify',
  'notifyRetry',
  'statsAgents',
  'console',
  'docs',
  'hookDeliveries',
  'dnc',
  'subscriptions',
];
/** Functions that call the PBX: they must leave through the NAT gateway's Elastic IP. */
const PBX_CALLERS = ['callsCreate', 'hooks', 'reconcile', 'pbxProbe', 'dispatchDue'];
/**
 * Function key -> the seal purposes its role may Decrypt (lib/secrets/seal.ts): every function that reads a tenant
 * (any authenticated request) opens its secrets; hooks opens webhook secrets too. Only subscriptions (which reads tenants
 * without their secrets) seals, and opens, its subscriptions' signing secrets: SEAL_GENERATE.
 */
// The functions that use no secret read tenants without their sealed fields (lib/store/tenant-profiles.ts): no Decrypt.
const SEAL_PURPOSES: Record<string, string[]> = {
  callsCreate: ['tenant-secrets'],
  hooks: ['tenant-secrets', 'webhook-secrets'],
  pbxProbe: ['tenant-secrets'],
  callsGet: [],
  callsCancel: [],
  dispatchDue: ['tenant-secrets'],
  callsList: [],
  agents: [],
  tenant: ['tenant-secrets'],
  health: [],
  openapi: [],
  reconcile: ['tenant-secrets'],
  pbxEvents: ['tenant-secrets'],
  notify: ['tenant-secrets', 'subscription-secrets'],
  notifyRetry: ['tenant-secrets', 'subscription-secrets'],
  statsAgents: [],
  console: [],
  docs: [],
  hookDeliveries: [],
  dnc: [],
  subscriptions: ['subscription-secrets'],
};
/** Function key -> the seal purposes its role may also GenerateDataKey for: only subscriptions seals, its own secrets. */
const SEAL_GENERATE: Record<string, string[]> = { subscriptions: ['subscription-secrets'] };
const VPC_ACCESS_POLICY = 'AWSLambdaVPCAccessExecutionRole';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}
interface InlinePolicy {
  PolicyName: string;
  PolicyDocument: { Statement: Statement[] };
}

let dev: Packaged;
let prod: Packaged;

/** Logical id of a function, as the framework names it: callsCreate -> CallsCreateLambdaFunction. */
const functionId = (key: string): string => `${key[0]!.toUpperCase()}${key.slice(1)}LambdaFunction`;
const logGroupId = (key: string): string => `${key[0]!.toUpperCase()}${key.slice(1)}LogGroup`;

function resourcesOfType(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

function props(template: Template, logicalId: string): Record<string, unknown> {
  const resource = template.Resources[logicalId];
  if (!resource) throw new Error(`no resource ${logicalId} in the template`);
  return resource.Properties ?? {};
}

/** The logical id that a `{Ref: id}` or `{"Fn::GetAtt": [id, attribute]}` points to. */
function target(value: unknown, attribute?: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const ref = (value as { Ref?: unknown }).Ref;
  if (typeof ref === 'string' && attribute === undefined) return ref;
  const getAtt = (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string' && (attribute === undefined || getAtt[1] === attribute)) {
    return getAtt[0];
  }
  return undefined;
}

/** Whether any Ref or GetAtt inside the value points to the logical id. */
function mentions(value: unknown, logicalId: string): boolean {
  if (target(value) === logicalId) return true;
  if (Array.isArray(value)) return value.some((item) => mentions(item, logicalId));
  if (typeof value === 'object' && value !== null) return Object.values(value).some((v) => mentions(v, logicalId));
  return false;
}

const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** The private route tables: those whose default route goes to a NAT gateway. */
function privateRouteTables(template: Template): string[] {
  const nats = new Set(resourcesOfType(template, 'AWS::EC2::NatGateway').map(([id]) => id));
  return resourcesOfType(template, 'AWS::EC2::Route')
    .filter(([, route]) => nats.has(target(route.Properties?.NatGatewayId) ?? ''))
    .map(([, route]) => target(route.Properties?.RouteTableId))
    .filter((id): id is string => id !== undefined);
}

/** The subnets associated with the private route tables. */
function privateSubnets(template: Template): string[] {
  const tables = new Set(privateRouteTables(template));
  return resourcesOfType(template, 'AWS::EC2::SubnetRouteTableAssociation')
    .filter(([, association]) => tables.has(target(association.Properties?.RouteTableId) ?? ''))
    .map(([, association]) => target(association.Properties?.SubnetId))
    .filter((id): id is string => id !== undefined);
}

function roleOf(template: Template, key: string): string {
  const role = target(props(template, functionId(key)).Role, 'Arn');
  if (!role) throw new Error(`${key}: Role is not a GetAtt of a role declared in the stack`);
  return role;
}

function inlineStatements(template: Template, roleId: string): Statement[] {
  const policies = (props(template, roleId).Policies ?? []) as InlinePolicy[];
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

beforeAll(async () => {
  const started = Date.now();
  // The two stages package side by side (or come from the cache).
  [dev, prod] = await Promise.all([packagedStack('dev'), packagedStack('prod')]);
  const took = (p: Packaged) => (p.cached ? `${p.ms} ms (cached)` : `${p.ms} ms`);
  console.log(`serverless package: dev ${took(dev)}, prod ${took(prod)}, both ${Date.now() - started} ms (in parallel)`);
}, 420_000);

describe('the packaged stack', () => {
  it('sends PBX traffic through one NAT gateway that owns the one Elastic IP', () => {
    const eips = resourcesOfType(dev.template, 'AWS::EC2::EIP');
    expect(eips).toHaveLength(1);
    const [eipId, eip] = eips[0]!;
    expect(eip.Properties?.Domain).toBe('vpc');

    const nats = resourcesOfType(dev.template, 'AWS::EC2::NatGateway');
    expect(nats).toHaveLength(1);
    const [, nat] = nats[0]!;
    expect(target(nat.Properties?.AllocationId, 'AllocationId')).toBe(eipId);
    // The NAT gateway sits in a subnet whose default route is the internet gateway.
    const natSubnet = target(nat.Properties?.SubnetId);
    expect(natSubnet).toBeDefined();
    expect(privateSubnets(dev.template)).not.toContain(natSubnet);
  });

  it('outputs the egress IP, the address each PBX customer allowlists', () => {
    const [eipId] = resourcesOfType(dev.template, 'AWS::EC2::EIP')[0]!;
    const output = dev.template.Outputs?.EgressIp;
    expect(output).toBeDefined();
    expect(mentions(output!.Value, eipId)).toBe(true);
    expect(output!.Description).toMatch(/allowlist/i);
  });

  it('keeps the Elastic IP when the prod stack is deleted', () => {
    const [, eip] = resourcesOfType(prod.template, 'AWS::EC2::EIP')[0]!;
    expect(eip.DeletionPolicy).toBe('Retain');
  });

  it('routes DynamoDB traffic from the private subnets through a gateway endpoint, not the NAT', () => {
    const privateTables = privateRouteTables(dev.template);
    expect(privateTables.length).toBeGreaterThan(0);

    const endpoints = resourcesOfType(dev.template, 'AWS::EC2::VPCEndpoint').filter(
      ([, endpoint]) => endpoint.Properties?.VpcEndpointType === 'Gateway',
    );
    const dynamodb = endpoints.filter(([, endpoint]) => /\.dynamodb"/.test(JSON.stringify(endpoint.Properties?.ServiceName)));
    expect(dynamodb).toHaveLength(1);
    const attached = asArray(dynamodb[0]![1].Properties?.RouteTableIds as unknown[]).map((id) => target(id));
    expect(attached).toEqual(expect.arrayContaining(privateTables));
  });

  it('spreads the private subnets over two availability zones', () => {
    const subnets = [...new Set(privateSubnets(dev.template))];
    expect(subnets.length).toBeGreaterThanOrEqual(2);
    const zones = new Set(subnets.map((id) => JSON.stringify(props(dev.template, id).AvailabilityZone)));
    expect(zones.size).toBe(subnets.length);
  });

  it('lets nothing connect in to the Lambda security group', () => {
    for (const [, group] of resourcesOfType(dev.template, 'AWS::EC2::SecurityGroup')) {
      expect(group.Properties?.SecurityGroupIngress ?? []).toEqual([]);
    }
  });

  it('declares the table on demand, with point-in-time recovery, TTL and the keys of table-schema.json', () => {
    const tables = resourcesOfType(dev.template, 'AWS::DynamoDB::Table');
    expect(tables).toHaveLength(1);
    const table = tables[0]![1].Properties!;
    expect(table.TableName).toBe('c2c-dev');
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(table.SSESpecification).toMatchObject({ SSEEnabled: true });
    expect(table.KeySchema).toEqual(tableSchema.KeySchema);
    expect(table.AttributeDefinitions).toEqual(tableSchema.AttributeDefinitions);
    expect(table.GlobalSecondaryIndexes).toEqual(tableSchema.GlobalSecondaryIndexes);
  });

  it('protects the table from deletion in prod but not in dev', () => {
    const [, devTable] = resourcesOfType(dev.template, 'AWS::DynamoDB::Table')[0]!;
    const [, prodTable] = resourcesOfType(prod.template, 'AWS::DynamoDB::Table')[0]!;
    expect(prodTable.Properties?.DeletionProtectionEnabled).toBe(true);
    expect(prodTable.DeletionPolicy).toBe('Retain');
    expect(devTable.Properties?.DeletionProtectionEnabled).not.toBe(true);
  });

  it('runs every function on nodejs22.x, arm64', () => {
    const functions = resourcesOfType(dev.template, 'AWS::Lambda::Function');
    expect(functions.map(([id]) => id).sort()).toEqual(FUNCTION_KEYS.map(functionId).sort());
    for (const [id, fn] of functions) {
      expect(fn.Properties?.Runtime, id).toBe('nodejs22.x');
      expect(fn.Properties?.Architectures, id).toEqual(['arm64']);
    }
  });

  it('gives API functions a timeout within the HTTP API integration limit (30 s)', () => {
    for (const [, integration] of resourcesOfType(dev.template, 'AWS::ApiGatewayV2::Integration')) {
      const fnId = [...JSON.stringify(integration.Properties?.IntegrationUri).matchAll(/"(\w+LambdaFunction)"/g)][0]?.[1];
      expect(fnId).toBeDefined();
      expect(props(dev.template, fnId!).Timeout as number).toBeLessThanOrEqual(30);
    }
  });

  it('renders the production environment: the egress IP from the stack, no local endpoint', () => {
    const [eipId] = resourcesOfType(dev.template, 'AWS::EC2::EIP')[0]!;
    for (const key of FUNCTION_KEYS) {
      const variables = (props(dev.template, functionId(key)).Environment as { Variables: Record<string, unknown> }).Variables;
      expect(mentions(variables.EGRESS_IP, eipId), key).toBe(true);
      expect(variables.DYNAMODB_ENDPOINT, key).toBe('');
      expect(variables.TABLE_NAME, key).toBe('c2c-dev');
      // Writers on 8 shards unless the stage's upgrade says 4 (`--param="workShards=4"`, resources/work-shards.js).
      expect(variables.WORK_SHARDS, key).toBe('8');
      // The local stack's simulator panel of the console: never in a deployed stack.
      expect(variables.PBX_SIMULATOR_URL ?? '', key).toBe('');
    }
  });

  it('seals secrets under a KMS key of its own, rotated yearly, named by its alias in every function', () => {
    const keys = resourcesOfType(dev.template, 'AWS::KMS::Key');
    expect(keys).toHaveLength(1);
    const [keyId, key] = keys[0]!;
    expect(key.Properties).toMatchObject({ EnableKeyRotation: true, KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' });
    const aliases = resourcesOfType(dev.template, 'AWS::KMS::Alias');
    expect(aliases).toHaveLength(1);
    expect(aliases[0]![1].Properties).toMatchObject({ AliasName: 'alias/c2c-dev' });
    expect(target(aliases[0]![1].Properties?.TargetKeyId)).toBe(keyId);
    for (const key of FUNCTION_KEYS) {
      const variables = (props(dev.template, functionId(key)).Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables.SEAL_KMS_KEY_ID, key).toBe('alias/c2c-dev');
      // The local stack's key never reaches a deployed function.
      expect(variables.C2C_LOCAL_SEAL_KEY ?? '', key).toBe('');
    }
    // Losing the key loses every sealed secret: kept when the prod stack is deleted.
    expect(prod.template.Resources[resourcesOfType(prod.template, 'AWS::KMS::Key')[0]![0]]?.DeletionPolicy).toBe('Retain');
    expect(key.DeletionPolicy).toBe('Delete');
  });

  it("signs cursors with a random secret of the stack's own, resolved into every function at deploy, readable by no role", () => {
    const secrets = resourcesOfType(dev.template, 'AWS::SecretsManager::Secret');
    expect(secrets).toHaveLength(1);
    const [secretId, secret] = secrets[0]!;
    expect(secret.Properties?.GenerateSecretString).toMatchObject({
      GenerateStringKey: 'secret',
      PasswordLength: 64,
      ExcludePunctuation: true,
    });
    const reference = { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: secretId }, ':SecretString:secret}}']] };
    for (const key of FUNCTION_KEYS) {
      const variables = (props(dev.template, functionId(key)).Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables.CURSOR_SECRET, key).toEqual(reference);
      // Resolved by CloudFormation: no function reads the secret at run time.
      expect(JSON.stringify(inlineStatements(dev.template, roleOf(dev.template, key))), key).not.toMatch(/secretsmanager|CursorSecret/i);
    }
  });

  it('lets each role only Decrypt with the seal key, for its own purposes, and only subscriptions generate data keys, for its own', () => {
    const [keyId] = resourcesOfType(dev.template, 'AWS::KMS::Key')[0]!;
    for (const key of FUNCTION_KEYS) {
      const statements = inlineStatements(dev.template, roleOf(dev.template, key));
      const kms = statements.filter((s) => asArray(s.Action).some((a) => a.startsWith('kms:')));
      const purposes = SEAL_PURPOSES[key]!;
      if (purposes.length === 0) {
        expect(kms, key).toEqual([]);
        continue;
      }
      expect(
        kms.flatMap((s) => asArray(s.Action)),
        key,
      ).toEqual(SEAL_GENERATE[key] ? ['kms:GenerateDataKey', 'kms:Decrypt'] : ['kms:Decrypt']);
      if (SEAL_GENERATE[key]) expect(purposes, key).toEqual(SEAL_GENERATE[key]);
      for (const statement of kms) {
        expect(
          asArray(statement.Resource).map((r) => target(r, 'Arn')),
          key,
        ).toEqual([keyId]);
        const condition =
          (statement as Statement & { Condition?: { StringEquals?: Record<string, unknown> } }).Condition?.StringEquals ?? {};
        expect(condition['kms:EncryptionContext:service'], key).toBe('c2c');
        expect(asArray(condition['kms:EncryptionContext:purpose'] as string[]).sort(), key).toEqual([...purposes].sort());
      }
    }
  });

  it('puts the functions that call the PBX in the private subnets', () => {
    const subnets = new Set(privateSubnets(dev.template));
    for (const key of PBX_CALLERS) {
      const vpcConfig = props(dev.template, functionId(key)).VpcConfig as { SubnetIds?: unknown[] } | undefined;
      expect(vpcConfig, key).toBeDefined();
      const used = (vpcConfig!.SubnetIds ?? []).map((id) => target(id));
      expect(new Set(used), key).toEqual(subnets);
    }
    // Any other function in the VPC must also use only the private subnets (never the NAT's public one).
    for (const [id, fn] of resourcesOfType(dev.template, 'AWS::Lambda::Function')) {
      const vpcConfig = fn.Properties?.VpcConfig as { SubnetIds?: unknown[] } | undefined;
      if (!vpcConfig) continue;
      for (const subnet of vpcConfig.SubnetIds ?? []) expect(subnets.has(target(subnet) ?? ''), id).toBe(true);
    }
  });

  it('gives each function a role of its own', () => {
    const roles = FUNCTION_KEYS.map((key) => roleOf(dev.template, key));
    expect(new Set(roles).size).toBe(FUNCTION_KEYS.length);
    for (const role of roles) expect(dev.template.Resources[role]?.Type).toBe('AWS::IAM::Role');
  });

  it('lets each role write only to its own function log group', () => {
    for (const key of FUNCTION_KEYS) {
      const statements = inlineStatements(dev.template, roleOf(dev.template, key));
      const logs = statements.filter((s) => asArray(s.Action).some((a) => a.startsWith('logs:')));
      expect(logs.length, key).toBeGreaterThan(0);
      for (const statement of logs) {
        expect(
          asArray(statement.Resource).map((r) => target(r, 'Arn')),
          key,
        ).toEqual([logGroupId(key)]);
      }
    }
  });

  it('grants VPC network-interface permissions to the VPC functions only', () => {
    for (const key of FUNCTION_KEYS) {
      const inVpc = props(dev.template, functionId(key)).VpcConfig !== undefined;
      const managed = JSON.stringify(props(dev.template, roleOf(dev.template, key)).ManagedPolicyArns ?? []);
      expect(managed.includes(VPC_ACCESS_POLICY), key).toBe(inVpc);
    }
  });

  it('runs the reconciler every 2 minutes', () => {
    const rules = resourcesOfType(dev.template, 'AWS::Events::Rule').filter(([, rule]) =>
      mentions(rule.Properties?.Targets, functionId('reconcile')),
    );
    expect(rules).toHaveLength(1);
    expect(rules[0]![1].Properties?.ScheduleExpression).toBe('rate(2 minutes)');
    // Turned off for the local stage only (its stack runs the reconciler in-process): every deployed stage has it on.
    expect(rules[0]![1].Properties?.State).toBe('ENABLED');
  });

  it('streams new images of the table, and wakes notify only for calls with undelivered events', () => {
    const [tableId, table] = resourcesOfType(dev.template, 'AWS::DynamoDB::Table')[0]!;
    expect(table.Properties?.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
    const mappings = resourcesOfType(dev.template, 'AWS::Lambda::EventSourceMapping').filter(([, m]) =>
      mentions(m.Properties?.FunctionName, functionId('notify')),
    );
    expect(mappings).toHaveLength(1);
    const mapping = mappings[0]![1].Properties!;
    expect(target(mapping.EventSourceArn, 'StreamArn')).toBe(tableId);
    expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(mapping.MaximumRetryAttempts).toBeGreaterThan(0);
    const filters = JSON.stringify(mapping.FilterCriteria);
    // The outbox's keys are per tenant and shard: matched by prefix (NOTIFYDEAD#... is not a call to deliver).
    const pattern = JSON.parse((mapping.FilterCriteria as { Filters: Array<{ Pattern: string }> }).Filters[0]!.Pattern) as {
      dynamodb: { NewImage: { gsi5pk: { S: unknown[] } } };
    };
    expect(pattern.dynamodb.NewImage.gsi5pk.S).toEqual([{ prefix: 'NOTIFY#' }]);
    expect(filters).toContain('call');
  });

  it('sends what notify cannot process, and the dead letters of the deliverer, to one SQS dead-letter queue', () => {
    const queues = resourcesOfType(dev.template, 'AWS::SQS::Queue');
    expect(queues).toHaveLength(1);
    const [queueId, queue] = queues[0]!;
    expect(queue.Properties?.MessageRetentionPeriod).toBe(1209600);
    const [, mapping] = resourcesOfType(dev.template, 'AWS::Lambda::EventSourceMapping').find(([, m]) =>
      mentions(m.Properties?.FunctionName, functionId('notify')),
    )!;
    const onFailure = (mapping.Properties?.DestinationConfig as { OnFailure?: { Destination?: unknown } }).OnFailure;
    expect(target(onFailure?.Destination, 'Arn')).toBe(queueId);
    // notify may send to the queue (the on-failure destination uses its role), and to nothing else.
    const sqs = inlineStatements(dev.template, roleOf(dev.template, 'notify')).filter((s) =>
      asArray(s.Action).some((a) => a.startsWith('sqs:')),
    );
    expect(sqs.flatMap((s) => asArray(s.Action))).toEqual(['sqs:SendMessage']);
    expect(sqs.flatMap((s) => asArray(s.Resource)).map((r) => target(r, 'Arn'))).toEqual([queueId]);

    const [tableId] = resourcesOfType(dev.template, 'AWS::DynamoDB::Table')[0]!;
    const pipes = resourcesOfType(dev.template, 'AWS::Pipes::Pipe');
    expect(pipes).toHaveLength(1);
    const pipe = pipes[0]![1].Properties!;
    expect(target(pipe.Source, 'StreamArn')).toBe(tableId);
    expect(target(pipe.Target, 'Arn')).toBe(queueId);
    expect(JSON.stringify(pipe.SourceParameters)).toContain('deadLetter');
  });

  it('retries due notifications every minute', () => {
    const rules = resourcesOfType(dev.template, 'AWS::Events::Rule').filter(([, rule]) =>
      mentions(rule.Properties?.Targets, functionId('notifyRetry')),
    );
    expect(rules).toHaveLength(1);
    expect(rules[0]![1].Properties?.ScheduleExpression).toBe('rate(1 minute)');
  });

  it('alarms on PBX 404s (the allowlist), unknown outcomes, flagged calls and the dead-letter queue, to one topic', () => {
    const alarms = resourcesOfType(dev.template, 'AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties ?? {});
    const byMetric = (name: string) => alarms.find((a) => a.MetricName === name);
    for (const metric of ['PbxNotAllowlisted', 'UnknownOutcomes', 'CallsFlagged']) {
      expect(byMetric(metric), metric).toMatchObject({
        Namespace: 'C2C',
        Dimensions: [{ Name: 'service', Value: 'c2c' }],
        Statistic: 'Sum',
      });
    }
    const dlq = byMetric('ApproximateNumberOfMessagesVisible');
    expect(dlq?.Namespace).toBe('AWS/SQS');
    expect(mentions(dlq?.Dimensions, 'NotifyDeadLetterQueue')).toBe(true);
    const [topicId] = resourcesOfType(dev.template, 'AWS::SNS::Topic')[0]!;
    for (const alarm of alarms) expect(mentions(alarm.AlarmActions, topicId)).toBe(true);
  });

  it('writes one zip artifact per function', () => {
    const sizes: string[] = [];
    for (const key of FUNCTION_KEYS) {
      const zip = join(dev.dir, `${key}.zip`);
      expect(existsSync(zip), zip).toBe(true);
      const bytes = statSync(zip).size;
      expect(bytes, zip).toBeGreaterThan(0);
      sizes.push(`${key} ${(bytes / 1024).toFixed(1)} KiB`);
    }
    console.log(`artifacts: ${sizes.join(', ')}`);
  });
});
