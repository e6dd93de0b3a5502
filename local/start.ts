import { parseArgs } from 'node:util';
import { newCallbackSecret } from '../lib/notify/secrets';
import { writeConsoleModule } from '../scripts/build-console';
import { writeDocsModule } from '../scripts/build-docs';
import { writeOpenApiModule } from '../scripts/build-openapi';
import { reconcileLine, refusalLine } from './output';
import { startLocalStack, writeStackFile, type LocalStack } from './stack';
import { describeDelivery, startWebhookReceiver, type WebhookReceiver } from './webhook-receiver';
import { DEMO_LEAD_ID, startCrmStandIns, type CrmStandIns } from './crm-stand-ins';

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
  --verbose         show serverless-offline's output
Environment: C2C_STACK_FILE=path writes the stack's facts there instead of .local/stack.json (the CLI reads it too).`);
  process.exit(0);
}

const fault = (component: string) => (error: unknown) =>
  console.error(`[${component}] fault (the rest of the stack keeps running): ${error instanceof Error ? error.message : String(error)}`);

/** Set by the first SIGINT/SIGTERM: from then on the stack is going away on purpose. */
let stopping = false;

async function main() {
  // The console's script from its browser source, built in-process beside the start-up (no second tsx launch). A
  // failed build leaves the checked-in script in place and says so: it is no reason to stop the stack.
  const consoleBuilt = writeConsoleModule().catch((error: unknown) => {
    console.error(`console script not rebuilt: ${error instanceof Error ? error.message : String(error)}`);
  });
  // The contract served at /docs/api.md (every problem's `type`), from docs/api.md as it is now.
  try {
    writeDocsModule();
  } catch (error) {
    console.error(`docs page not rebuilt: ${error instanceof Error ? error.message : String(error)}`);
  }
  // The document served at /v1/openapi.json, from the request schemas as they are now.
  try {
    writeOpenApiModule();
  } catch (error) {
    console.error(`OpenAPI document not rebuilt: ${error instanceof Error ? error.message : String(error)}`);
  }
  // Ctrl-C during the start-up aborts it: startLocalStack stops what it had started, then we exit.
  const starting = new AbortController();
  // What has started so far, for a stop that may come at any moment.
  const running: { receiver?: WebhookReceiver; crms?: CrmStandIns; stack?: LocalStack } = {};
  let startup: Promise<unknown> = Promise.resolve();
  const stopAll = async () => {
    starting.abort();
    await startup.catch(() => undefined);
    await running.stack?.stop();
    await running.receiver?.close();
    await running.crms?.close();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping...`);
    // Every child gets 5 s in all (serverless-offline is killed after 3 s); past that, exit rather than hang.
    setTimeout(() => {
      console.error('Not stopped within 5 s: exiting');
      process.exit(1);
    }, 5_000).unref();
    stopAll().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('Stopping failed:', error instanceof Error ? error.message : error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // A stand-in CRM: prints a line for every delivery (each outcome notification, the doctor's ping, junk), answers
  // each as a CRM should, and never lets one end the process (local/webhook-receiver.ts).
  const secret = newCallbackSecret();
  const receiverStarting = startWebhookReceiver({
    secrets: [secret.secret],
    onDelivery: (delivery, parsed) => console.log(describeDelivery(delivery, parsed)),
    onError: fault('crm'),
  });
  startup = receiverStarting;
  const receiver = await receiverStarting;
  running.receiver = receiver;
  // The CRMs' stand-ins (HubSpot, Pipedrive, Salesforce): the demo tenant logs its calls in the HubSpot one, each
  // activity told as a `[crm]` line (local/crm-stand-ins.ts).
  const crmsStarting = startCrmStandIns({ onActivity: (line) => console.log(line) });
  startup = crmsStarting;
  const crms = await crmsStarting;
  running.crms = crms;
  const stackStarting = startLocalStack({
    signal: starting.signal,
    callback: { url: receiver.url, secrets: [secret] },
    crm: crms.demoSettings(new Date()),
    // The poller's faults are always shown; its routine lines only with --verbose.
    onNotifyLog: (line) => {
      if (values.verbose || line.startsWith('ERROR')) console.log(`[notify] ${line}`);
    },
    onComponentFault: (component, error) => fault(component)(error),
    // A call the reconciler settled or flagged: always shown (README step 6 waits for it).
    onReconcileLog: (line) => {
      const shown = reconcileLine(line);
      if (shown) console.log(shown);
      else if (values.verbose) console.log(`[reconcile] ${line}`);
    },
    apiPort: Number(values.port),
    pbxPort: Number(values['pbx-port']),
    dynamoPort: Number(values['dynamo-port']),
    dataDir: values['data-dir'],
    // Everything with --verbose; without it, one line per webhook delivery refused and why (docs/webhooks.md).
    onOutput: (line) => {
      if (values.verbose) console.log(`[offline] ${line}`);
      const refused = refusalLine(line);
      if (refused) console.log(refused);
    },
  });
  startup = stackStarting;
  const stack = await stackStarting;
  running.stack = stack;
  await consoleBuilt;
  if (stopping) return;
  // C2C_STACK_FILE puts the facts elsewhere, so a second stack (a test's) does not overwrite a developer's .local/stack.json.
  const file = writeStackFile(stack, process.env.C2C_STACK_FILE?.trim() || undefined, {
    crmStandIns: {
      hubspot: { apiUrl: crms.hubspot.url },
      pipedrive: { apiUrl: crms.pipedrive.url, token: crms.pipedrive.token },
      salesforce: { instanceUrl: crms.salesforce.url, clientId: 'fake-consumer-key', clientSecret: crms.salesforce.org.clientSecret },
    },
  });
  const [agent] = stack.demo.agents;
  // A literal key, new on each start: running the printed line again is the replay the README walks through.
  const idempotencyKey = `demo-${Date.now().toString(36)}`;
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

Stand-in CRMs (the demo tenant logs each call on its lead's record in HubSpot):
${crms.describe()}

Place a call:
  curl -sS -X POST ${stack.apiUrl}/v1/calls \\
    -H 'Authorization: Bearer ${stack.demo.apiKey}' \\
    -H 'Content-Type: application/json' \\
    -H 'Idempotency-Key: ${idempotencyKey}' \\
    -d '{"agent":{"crmUserId":"${agent!.crmUserId}"},"to":"+44 7766 889900","lead":{"id":"1234"}}'

The simulator plays each call out (rings 2 s, talks 8 s) and sends PBX Stats webhooks to
  ${stack.pbxEventsUrl.replace(/[^/]+$/, '<token>')}
and every state change is delivered, signed, to a stand-in CRM at ${receiver.url}: watch the [crm] lines.
Each call that ends is logged in the stand-in HubSpot on contact ${DEMO_LEAD_ID}: [crm] HubSpot: call ... logged on ${DEMO_LEAD_ID}.

Ctrl-C stops everything.`);
}

// The last resort: each component contains its own faults (above, local/stack.ts); one that slips through is
// logged and the stack keeps serving, since a demo that dies on the first surprise teaches nothing.
process.on('uncaughtException', (error) => console.error('[stack] unexpected fault (kept running):', error));
process.on('unhandledRejection', (error) => console.error('[stack] unexpected rejection (kept running):', error));

main().catch((error: unknown) => {
  if (stopping) return;
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
