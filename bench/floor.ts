import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { callIdFor } from '../lib/calls/request';
import { Click2CallClient } from '../lib/pbx/click2call';
import { createDocumentClient } from '../lib/store/client';
import { BENCH_AGENTS } from './tenant';

/**
 * The least a call request can cost: read the agent, reserve the key, the one GET, record the answer, with the
 * same SDK client and the same PBX client as the service, and nothing else: no validation, no policy, no caps,
 * no logging, no indexes beyond what the table itself writes.
 */
export function createFloor(options: {
  endpoint: string;
  tableName: string;
  simUrl: string;
  /** Adds the bench's meter (trace, latency model, billing: bench/dynamo-meter.ts) to the floor's client. */
  instrument: (doc: DynamoDBDocumentClient) => void;
  onGet: () => unknown;
}) {
  const doc = createDocumentClient({ region: 'eu-west-1', endpoint: options.endpoint });
  options.instrument(doc);
  const pbx = new Click2CallClient();
  const TableName = options.tableName;
  const settings = { urlShape: 'click2call' as const, baseUrl: options.simUrl, crmId: '100', clientId: '200', timeoutMs: 5000 };

  return async (i: number) => {
    const callId = callIdFor('bench', `floor-${process.pid}-${i}`);
    const agent = await doc.send(new GetCommand({ TableName, Key: { pk: 'TENANT#bench', sk: `AGENT#u-${i % BENCH_AGENTS}` } }));
    const extension = String(agent.Item?.extension ?? '1000');
    const now = new Date().toISOString();
    await doc.send(
      new PutCommand({
        TableName,
        Item: { pk: 'TENANT#bench', sk: `CALL#${callId}`, state: 'dispatching', to: '+447766889900', extension, createdAt: now },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    options.onGet();
    const outcome = await pbx.dial(settings, { legA: extension, legB: '447766889900', query: { c2c_call_id: callId } });
    if (outcome.kind !== 'accepted') throw new Error(`floor dial: ${outcome.kind}`);
    await doc.send(
      new UpdateCommand({
        TableName,
        Key: { pk: 'TENANT#bench', sk: `CALL#${callId}` },
        UpdateExpression: 'SET #state = :dialing, uniqueId = :uid',
        ConditionExpression: '#state = :dispatching',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':dialing': 'dialing', ':dispatching': 'dispatching', ':uid': outcome.uniqueId },
      }),
    );
  };
}
