import { parseArgs } from 'node:util';
import { newCallbackSecret } from '../lib/notify/secrets';
import { startLocalStack, writeStackFile } from './stack';
import { startWebhookReceiver } from './webhook-receiver';

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    port: { type: 'string', default: process.env.PORT ?? '3000' },
    'pbx-port': { type: 'string', default: process.env.PBX_SIM_PORT ?? '4010' },
    'dynamo-port': { type: 'string', default: process.env.DYNAMODB_PORT ?? '8000' },
    verbose: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(`npm start [-- options]
  --port N          API port (default $PORT or 3000)
  --pbx-port N      PBX simulator port (default $PBX_SIM_PORT or 4010)
  --dynamo-port N   dynalite port (default $DYNAMODB_PORT or 8000)
  --data-dir DIR    keep DynamoDB data on disk in DIR (default: in memory)
  --verbose         show serverless-offline's output`);
  process.exit(0);
}

async function main() {
  // A stand-in CRM: prints each outcome notification the demo tenant's calls send, verified and deduped.
  const secret = newCallbackSecret();
  const receiver = await startWebhookReceiver({
    secrets: [secret.secret],
    onNotification: (n, id) => console.log(`[crm] ${n.type.padEnd(16)} ${n.data.call.callId}  webhook-id ${id}${n.type === 'call.completed' ? `  (${n.data.call.outcome.billSec ?? 0} s talk)` : ''}`),
  });
  const stack = await startLocalStack({
    callback: { url: receiver.url, secrets: [secret] },
    onNotifyLog: values.verbose ? (line) => console.log(`[notify] ${line}`) : undefined,
    apiPort: Number(values.port),
    pbxPort: Number(values['pbx-port']),
    dynamoPort: Number(values['dynamo-port']),
    dataDir: values['data-dir'],
    onOutput: values.verbose ? (line) => console.log(`[offline] ${line}`) : undefined,
  });
  const file = writeStackFile(stack);
  const [agent] = stack.demo.agents;
  console.log(`
Local stack ready in ${(stack.startupMs / 1000).toFixed(1)} s
  API             ${stack.apiUrl}   (health: ${stack.apiUrl}/v1/health)
  Console         ${stack.apiUrl}/console   (paste the demo API key)
  PBX simulator   ${stack.pbxSimulatorUrl}   (dials received: ${stack.pbxSimulatorUrl}/_sim/requests)
  DynamoDB        ${stack.dynamoEndpoint}   (dynalite, table ${stack.tableName}${values['data-dir'] ? `, data in ${values['data-dir']}` : ', in memory'})
  Demo tenant     ${stack.demo.tenantId}
  Demo API key    ${stack.demo.apiKey}
  Agents          ${stack.demo.agents.map((a) => `${a.crmUserId} (ext ${a.extension})`).join(', ')}
  Facts as JSON   ${file}

Place a call:
  curl -sS -X POST ${stack.apiUrl}/v1/calls \\
    -H 'Authorization: Bearer ${stack.demo.apiKey}' \\
    -H 'Content-Type: application/json' \\
    -H "Idempotency-Key: demo-$(date +%s)" \\
    -d '{"agent":{"crmUserId":"${agent!.crmUserId}"},"to":"+44 7766 889900","lead":{"id":"1234"}}'

The simulator plays each call out (rings 2 s, talks 8 s) and sends PBX Stats webhooks to
  ${stack.pbxEventsUrl.replace(/[^/]+$/, '<token>')}
and every state change is delivered, signed, to a stand-in CRM at ${receiver.url}: watch the [crm] lines.

Ctrl-C stops everything.`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping...');
    await stack.stop();
    await receiver.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
