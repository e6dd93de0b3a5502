import { DoNotCallRepository } from '../lib/store/do-not-call';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pbxEventsUrl } from '../lib/calls/pbx-event-tokens';
import { loadConfig } from '../lib/config';
import { crmConnectionFlags, notifySettingsOf, subscriptionTransports } from '../lib/compose/notifier';
import { NotificationDeliverer, type DeliveryReport } from '../lib/notify/deliver';
import { registeredTransports } from '../lib/notify/transports';
import { CallDispatch } from '../lib/calls/dispatch';
import { DispatchDue, type DispatchReport } from '../lib/calls/dispatch-due';
import { ReconcileCalls, type ReconcileReport } from '../lib/calls/reconcile';
import { Click2CallClient } from '../lib/pbx/click2call';
import { CallCaps } from '../lib/policy/caps';
import { AgentPresenceRepository } from '../lib/store/agent-presence';
import { AgentRepository } from '../lib/store/agents';
import { RateLimitRepository } from '../lib/store/rate-limits';
import { EnvelopeSealer, LocalKeyProvider, newLocalKey } from '../lib/secrets/seal';
import { CallRepository } from '../lib/store/calls';
import { createDocumentClient } from '../lib/store/client';
import { LOCAL_CURSOR_SECRET } from '../lib/store/pagination';
import { DeadLetterRepository } from '../lib/store/dead-letters';
import { TenantRepository } from '../lib/store/tenants';
import type { CallbackSettings } from '../lib/model/tenant';
import type { PlayoutSetting } from './pbx-sim/playout';
import { startPbxSimulator, type PbxSimulator } from './pbx-sim/simulator';
import type { WebhookConfig } from './pbx-sim/webhooks';
import { createTable, startDynalite, type LocalDynamo } from './dynamo';
import { freePort } from './ports';
import { DEMO_AGENTS, seedDemo, type DemoFacts } from './seed';
import type { CrmSettings } from '../lib/model/crm-connection';
import { runCleanups, startPoller, stopChild, waitForHealth } from './lifecycle';
import { TenantSync } from './tenant-sync';
import { buildFolderFor, removeBuildFolder, sweepBuildFolders } from './build-folder';

export const LOCAL_STAGE = 'local';
export const LOCAL_TABLE_NAME = `c2c-${LOCAL_STAGE}`;
const ROOT = path.resolve(__dirname, '..');

export interface LocalStackOptions {
  /** API port (serverless-offline); 0 picks a free one. */
  apiPort?: number;
  pbxPort?: number;
  dynamoPort?: number;
  /** Keep DynamoDB data in this folder instead of memory. */
  dataDir?: string;
  /** Extra environment for the handlers (e.g. a shorter PBX timeout in tests). */
  env?: Record<string, string>;
  /** Where serverless-offline's output goes; silent by default. */
  onOutput?: (line: string) => void;
  /** How the simulator plays calls out; default {@link DEMO_PLAYOUT}. */
  playout?: PlayoutSetting;
  /** How the simulator sends its PBX Stats webhooks to the demo tenant's URL (default GET, as PBX Stats' first option). */
  pbxWebhookMethod?: WebhookConfig['method'];
  /** The demo tenant's outcome callback (URL and secrets); left as it is when absent. */
  callback?: CallbackSettings;
  /** The demo tenant's CRM connections (npm start: the HubSpot stand-in, local/crm-stand-ins.ts); left as they are when absent. */
  crm?: CrmSettings;
  /** How often the in-process notification poller runs (default 500 ms); 0 turns it off. */
  notifyPollMs?: number;
  /** Where the poller's warnings go; silent by default. */
  onNotifyLog?: (line: string) => void;
  /** Where the in-process reconciler's lines go (a call settled from its CDR, a call flagged); silent by default. */
  onReconcileLog?: (line: string) => void;
  /** How often the in-process scheduler runs (default 1000 ms); 0 turns it off (tests then call `runScheduler`). */
  schedulerPollMs?: number;
  /** How often the in-process reconciler runs (default {@link LOCAL_RECONCILE}); 0 turns it off (tests then call `runReconciler`). */
  reconcilePollMs?: number;
  /** How often the simulator is brought in step with the table's tenants and agents (default 2000 ms). */
  tenantSyncMs?: number;
  /** The service folder serverless-offline runs from (default: this repository); tests run a copy. */
  serviceDir?: string;
  /**
   * Told of a fault in one component (`pbx-sim`, `notify`, `offline`) that the stack outlives: the simulator's own
   * errors, a notification pass that threw, serverless-offline exiting on its own. Silent by default.
   */
  onComponentFault?: (component: string, error: unknown) => void;
  /** Aborting it during the start-up stops what has started and rejects (Ctrl-C before the stack is ready). */
  signal?: AbortSignal;
}

/**
 * The local reconciler's cadence: the deployed one (every 2 minutes, a call 60 s old at least, 5 tries) leaves an
 * `unknown` call unsettled for about 10 minutes. The simulator's CDRs exist as soon as a call is placed, so locally a
 * call is looked up once 15 s old (past the 8 s PBX timeout), every 10 s, and flagged after 3 searches: settled or
 * flagged within a minute of its GET. RECONCILE_MIN_AGE_SEC and RECONCILE_MAX_TRIES in the environment still win.
 */
export const LOCAL_RECONCILE = { intervalMs: 10_000, minAgeSec: 15, maxTries: 3 } as const;

/** Calls in the demo ring 2 s and talk 8 s: a whole call life in ten seconds. */
export const DEMO_PLAYOUT: PlayoutSetting = { default: { outcome: 'answered', ringSec: 2, talkSec: 8 } };

export interface LocalStack {
  apiUrl: string;
  pbxSimulatorUrl: string;
  dynamoEndpoint: string;
  tableName: string;
  demo: DemoFacts;
  simulator: PbxSimulator;
  /** The demo tenant's PBX Stats webhook URL (what an operator pastes into PBX Stats). */
  pbxEventsUrl: string;
  /** The local key that seals secrets at rest (C2C_LOCAL_SEAL_KEY of the handlers): the CLI needs it too. */
  sealKey: string;
  /** One notification pass now, besides the poller's (tests that cannot wait). */
  deliverNotifications(): Promise<DeliveryReport>;
  /** One pass of the scheduler: due scheduled calls, queued calls with an agent free (lib/calls/dispatch-due.ts). */
  runScheduler(): Promise<DispatchReport>;
  /** One pass of the reconciler (lib/calls/reconcile.ts), besides its timer's. */
  runReconciler(): Promise<ReconcileReport>;
  startupMs: number;
  stop(): Promise<void>;
}

/**
 * The whole service on this machine: dynalite in-process with the deployed table definition, the
 * PBX simulator, the demo tenant, and the handlers served by serverless-offline from the same
 * serverless.yml that deploys them.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const started = performance.now();
  const cleanups: Array<() => Promise<void>> = [];
  const onFault = (component: string) => (error: unknown) => {
    try {
      options.onComponentFault?.(component, error);
    } catch {
      // A reporter that throws must not turn a contained fault into an uncontained one.
    }
  };
  const checkAborted = () => {
    if (options.signal?.aborted) throw new Error('the local stack was stopped while starting');
  };
  try {
    checkAborted();
    const dynamo: LocalDynamo = await startDynalite({ port: options.dynamoPort ?? 0, path: options.dataDir });
    cleanups.push(() => dynamo.close());
    await createTable(dynamo.endpoint, LOCAL_TABLE_NAME);

    // Set once the API listens: from then on the simulator registers every agent's extension and sends each call's
    // PBX Stats events to the tenant that placed it (local/tenant-sync.ts).
    const synced: { sync?: TenantSync } = {};
    const simulator = await startPbxSimulator({
      port: options.pbxPort ?? 0,
      extensions: DEMO_AGENTS.map((a) => a.extension),
      playout: options.playout ?? DEMO_PLAYOUT,
      onError: onFault('pbx-sim'),
      isRegistered: (extension) => synced.sync?.isRegistered(extension) ?? Promise.resolve(false),
      webhooksFor: (_dial, customFields) => synced.sync?.webhooksFor(customFields) ?? Promise.resolve([]),
    });
    cleanups.push(() => simulator.close());
    checkAborted();

    const table = { doc: createDocumentClient({ region: 'local', endpoint: dynamo.endpoint }), name: LOCAL_TABLE_NAME };
    cleanups.push(() => Promise.resolve().then(() => table.doc.destroy()));
    const sealKey = options.env?.C2C_LOCAL_SEAL_KEY ?? process.env.C2C_LOCAL_SEAL_KEY ?? localSealKey(options.dataDir);
    const sealer = new EnvelopeSealer(new LocalKeyProvider(sealKey));
    const demo = await seedDemo(table, simulator.url, { callback: options.callback, crm: options.crm, sealer });

    const apiPort = options.apiPort || (await freePort());
    const lambdaPort = await freePort();
    const serviceDir = options.serviceDir ?? ROOT;
    sweepBuildFolders(serviceDir);
    const buildFolder = buildFolderFor(apiPort);
    cleanups.push(() => Promise.resolve(removeBuildFolder(serviceDir, buildFolder)));
    const reconcileEnv = {
      RECONCILE_MIN_AGE_SEC: String(LOCAL_RECONCILE.minAgeSec),
      RECONCILE_MAX_TRIES: String(LOCAL_RECONCILE.maxTries),
    };
    const offline = spawn(
      process.execPath,
      [path.join(ROOT, 'node_modules/serverless/bin/serverless.js'), 'offline', 'start', '--stage', LOCAL_STAGE, '--useInProcess'],
      {
        cwd: serviceDir,
        env: {
          ...reconcileEnv,
          ...process.env,
          ...options.env,
          C2C_ESBUILD_WORK_FOLDER: buildFolder,
          // serverless-offline serves plain http: the URL `c2c hook url` prints, and HubSpot signs, starts with http://.
          API_SCHEME: 'http',
          PORT: String(apiPort),
          OFFLINE_LAMBDA_PORT: String(lambdaPort),
          DYNAMODB_ENDPOINT: dynamo.endpoint,
          AWS_REGION: 'eu-west-1',
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          EGRESS_IP: '127.0.0.1',
          // The local stage's PBX simulator and stand-in CRM listen on loopback, which deployed stages refuse (lib/net/outbound.ts).
          ALLOW_PRIVATE_OUTBOUND: 'true',
          // Off AWS the handlers seal secrets under this key instead of KMS (lib/secrets/seal.ts).
          C2C_LOCAL_SEAL_KEY: sealKey,
          // serverless.yml's deployed value is a CloudFormation reference serverless-offline cannot resolve.
          CURSOR_SECRET: LOCAL_CURSOR_SECRET,
          // The console (/console) shows the simulator's calls on the local stack only.
          PBX_SIMULATOR_URL: simulator.url,
          SLS_TELEMETRY_DISABLED: '1',
          SLS_NOTIFICATIONS_MODE: 'off',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    cleanups.push(() => stopChild(offline));
    pipeLines(offline, teeToLogDir(options.onOutput));
    let stopped = false;
    cleanups.push(() => {
      stopped = true;
      return Promise.resolve();
    });
    offline.once('exit', (code, signal) => {
      if (!stopped)
        onFault('offline')(new Error(`serverless-offline exited (${signal ?? `code ${code}`}): the API is down, restart npm start`));
    });

    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await waitForHealth(apiUrl, offline, 90_000, options.signal);

    // The simulator's PBX Stats webhooks go to each tenant's pbx-events URL, as an operator would set them up: the
    // demo's with the token the seed issued, every other tenant's with one the sync issues (local/tenant-sync.ts).
    const eventsUrl = pbxEventsUrl(apiUrl, demo.tenantId, demo.pbxEventsToken ?? '');
    const sync = new TenantSync({
      table,
      apiUrl,
      method: options.pbxWebhookMethod ?? 'GET',
      known: new Map([[demo.tenantId, demo.pbxEventsToken ?? '']]),
      onError: onFault('tenant-sync'),
    });
    synced.sync = sync;
    const syncLoop = sync.start(options.tenantSyncMs ?? 2_000);
    cleanups.push(() => syncLoop.stop());

    // No DynamoDB streams in dynalite: the same deliverer the stream and schedule run in AWS, on a poller.
    const config = loadConfig({ ...reconcileEnv, ...process.env, ...options.env, TABLE_NAME: LOCAL_TABLE_NAME });
    const log =
      (level: string) =>
      (message: string, ...extra: unknown[]) =>
        options.onNotifyLog?.(`${level} ${message} ${JSON.stringify(extra[0] ?? {})}`);
    const notifySettings = notifySettingsOf(config);
    const deliverer = new NotificationDeliverer({
      calls: new CallRepository(table),
      getTenant: (tenantId) => new TenantRepository(table, sealer).get(tenantId),
      sink: new DeadLetterRepository(table),
      settings: notifySettings,
      logger: { info: log('INFO'), warn: log('WARN'), error: log('ERROR') },
      // The stand-in CRM listens on loopback.
      transports: registeredTransports({
        timeoutMs: notifySettings.timeoutMs,
        outbound: { allowPrivate: true },
        crmConnections: crmConnectionFlags(new TenantRepository(table, sealer)),
      }),
      // The webhook subscriptions, as the notify functions deliver to them (lib/compose/notifier.ts).
      transportsFor: subscriptionTransports({
        table,
        sealer,
        timeoutMs: notifySettings.timeoutMs,
        outbound: { allowPrivate: true },
        logger: { warn: log('WARN') },
      }),
    });
    const poller = startPoller(
      () => deliverer.deliverDue(),
      options.notifyPollMs ?? 500,
      (error) => {
        log('ERROR')('Notification pass failed', { error: String(error) });
        onFault('notify')(error);
      },
    );
    // Stopped first, then the attempts to slow endpoints it left running are waited for (each ends by its timeout).
    cleanups.push(() => deliverer.idle());
    cleanups.push(() => poller.stop());

    // No EventBridge schedule off AWS: the same scheduler the dispatchDue function runs, on a timer.
    const calls = new CallRepository(table);
    const scheduler = new DispatchDue({
      calls,
      agents: new AgentRepository(table),
      presence: new AgentPresenceRepository(table),
      caps: new CallCaps(new RateLimitRepository(table)),
      sender: new CallDispatch({
        calls,
        pbx: new Click2CallClient({ outbound: { allowPrivate: true } }),
        pbxTimeoutMs: config.PBX_TIMEOUT_MS,
        logger: { info: log('INFO'), warn: log('WARN') },
      }),
      getTenant: (tenantId) => new TenantRepository(table, sealer).get(tenantId),
      dnc: new DoNotCallRepository(table),
      pbxTimeoutMs: config.PBX_TIMEOUT_MS,
      logger: { info: log('INFO'), warn: log('WARN') },
    });
    if ((options.schedulerPollMs ?? 1000) > 0) {
      const schedulerLoop = startPoller(
        () => scheduler.runOnce(),
        options.schedulerPollMs ?? 1000,
        (error) => {
          log('ERROR')('Scheduler pass failed', { error: String(error) });
          onFault('scheduler')(error);
        },
      );
      cleanups.push(() => schedulerLoop.stop());
    }

    const reconcileLog =
      (level: string) =>
      (message: string, ...extra: unknown[]) =>
        options.onReconcileLog?.(`${level} ${message} ${JSON.stringify(extra[0] ?? {})}`);
    // The reconciler on the local cadence (LOCAL_RECONCILE), in place of the reconcile function's 2-minute schedule
    // (off for the local stage in serverless.yml): the one that settles or flags a call says so (onReconcileLog).
    const reconciler = new ReconcileCalls({
      calls,
      tenants: new TenantRepository(table, sealer),
      logger: { info: reconcileLog('INFO'), warn: reconcileLog('WARN') },
      maxTries: config.RECONCILE_MAX_TRIES,
      minAgeSec: config.RECONCILE_MIN_AGE_SEC,
      cdrTimeoutMs: 10_000,
      outbound: { allowPrivate: true },
    });
    const reconcileLoop = startPoller(
      () => reconciler.run(),
      options.reconcilePollMs ?? LOCAL_RECONCILE.intervalMs,
      (error) => {
        log('ERROR')('Reconciler pass failed', { error: String(error) });
        onFault('reconcile')(error);
      },
    );
    cleanups.push(() => reconcileLoop.stop());

    const stack: LocalStack = {
      apiUrl,
      pbxSimulatorUrl: simulator.url,
      dynamoEndpoint: dynamo.endpoint,
      tableName: LOCAL_TABLE_NAME,
      demo,
      simulator,
      pbxEventsUrl: eventsUrl,
      sealKey,
      deliverNotifications: () => deliverer.deliverDue(),
      runScheduler: () => scheduler.runOnce(),
      runReconciler: () => reconciler.run(),
      startupMs: Math.round(performance.now() - started),
      stop: () => runCleanups(cleanups),
    };
    return stack;
  } catch (error) {
    await runCleanups(cleanups);
    throw error;
  }
}

/** The facts scripts need, as `.local/stack.json`. */
export function writeStackFile(
  stack: LocalStack,
  file = path.join(ROOT, '.local/stack.json'),
  extra: Record<string, unknown> = {},
): string {
  mkdirSync(path.dirname(file), { recursive: true });
  const facts = {
    apiUrl: stack.apiUrl,
    pbxSimulatorUrl: stack.pbxSimulatorUrl,
    dynamoEndpoint: stack.dynamoEndpoint,
    tableName: stack.tableName,
    // The CLI seals what it writes with the handlers' key (the file is readable by its owner only).
    sealKey: stack.sealKey,
    demo: stack.demo,
    ...extra,
  };
  writeFileSync(file, `${JSON.stringify(facts, null, 2)}\n`, { mode: 0o600 });
  return file;
}

/**
 * The local stack's seal key: a fresh one per start when data lives in memory; kept beside the data
 * with --data-dir, since a new key would leave the kept secrets unreadable.
 */
function localSealKey(dataDir: string | undefined): string {
  if (!dataDir) return newLocalKey();
  const file = path.join(dataDir, 'c2c-seal.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const key = newLocalKey();
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

/**
 * With C2C_LOG_DIR set (the test suite sets it), every line the handlers log under serverless-offline is also
 * kept in that folder, so the suite's log scan covers the end-to-end tests too.
 */
function teeToLogDir(onOutput: ((line: string) => void) | undefined): ((line: string) => void) | undefined {
  const dir = process.env.C2C_LOG_DIR;
  if (!dir) return onOutput;
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `offline-${process.pid}-${Date.now()}.log`);
  return (line) => {
    try {
      appendFileSync(file, `${line}\n`);
    } catch {
      // The folder was cleared under us (another test run's set-up empties it): make it again and keep going.
      mkdirSync(dir, { recursive: true });
      appendFileSync(file, `${line}\n`);
    }
    onOutput?.(line);
  };
}

function pipeLines(child: ChildProcess, onOutput: ((line: string) => void) | undefined) {
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) onOutput?.(maskPbxEventsToken(line));
    });
  }
}

/**
 * serverless-offline prints every request's path, and a PBX-event URL carries its token (a credential) in the path.
 * API Gateway's access log names the route (`/v1/pbx-events/{tenantId}/{token}`), never the path; the local stack's
 * output does the same for the token.
 */
export const maskPbxEventsToken = (line: string) => line.replace(/(\/pbx-events\/[^/\s"]+\/)[^/\s"?]+/g, '$1<token>');
