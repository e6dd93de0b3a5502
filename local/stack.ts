import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createDocumentClient } from '../lib/store/client';
import { startPbxSimulator, type PbxSimulator } from './pbx-sim/simulator';
import { createTable, startDynalite, type LocalDynamo } from './dynamo';
import { freePort } from './ports';
import { DEMO_AGENTS, seedDemo, type DemoFacts } from './seed';

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
}

export interface LocalStack {
  apiUrl: string;
  pbxSimulatorUrl: string;
  dynamoEndpoint: string;
  tableName: string;
  demo: DemoFacts;
  simulator: PbxSimulator;
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
  try {
    const dynamo: LocalDynamo = await startDynalite({ port: options.dynamoPort ?? 0, path: options.dataDir });
    cleanups.push(() => dynamo.close());
    await createTable(dynamo.endpoint, LOCAL_TABLE_NAME);

    const simulator = await startPbxSimulator({ port: options.pbxPort ?? 0, extensions: DEMO_AGENTS.map((a) => a.extension) });
    cleanups.push(() => simulator.close());

    const table = { doc: createDocumentClient({ region: 'local', endpoint: dynamo.endpoint }), name: LOCAL_TABLE_NAME };
    const demo = await seedDemo(table, simulator.url);
    table.doc.destroy();

    const apiPort = options.apiPort || (await freePort());
    const lambdaPort = await freePort();
    const offline = spawn(process.execPath, [path.join(ROOT, 'node_modules/serverless/bin/serverless.js'), 'offline', 'start', '--stage', LOCAL_STAGE], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...options.env,
        PORT: String(apiPort),
        OFFLINE_LAMBDA_PORT: String(lambdaPort),
        DYNAMODB_ENDPOINT: dynamo.endpoint,
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        EGRESS_IP: '127.0.0.1',
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(() => stopChild(offline));
    pipeLines(offline, options.onOutput);

    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await waitForHealth(apiUrl, offline, 90_000);
    const stack: LocalStack = {
      apiUrl,
      pbxSimulatorUrl: simulator.url,
      dynamoEndpoint: dynamo.endpoint,
      tableName: LOCAL_TABLE_NAME,
      demo,
      simulator,
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
export function writeStackFile(stack: LocalStack, file = path.join(ROOT, '.local/stack.json')): string {
  mkdirSync(path.dirname(file), { recursive: true });
  const facts = {
    apiUrl: stack.apiUrl,
    pbxSimulatorUrl: stack.pbxSimulatorUrl,
    dynamoEndpoint: stack.dynamoEndpoint,
    tableName: stack.tableName,
    demo: stack.demo,
  };
  writeFileSync(file, `${JSON.stringify(facts, null, 2)}\n`, { mode: 0o600 });
  return file;
}

async function runCleanups(cleanups: Array<() => Promise<void>>) {
  for (const cleanup of cleanups.reverse()) {
    await cleanup().catch(() => undefined);
  }
  cleanups.length = 0;
}

function pipeLines(child: ChildProcess, onOutput: ((line: string) => void) | undefined) {
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) onOutput?.(line);
    });
  }
}

async function waitForHealth(apiUrl: string, child: ChildProcess, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error('serverless-offline exited before it was ready');
    try {
      const res = await fetch(`${apiUrl}/v1/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`serverless-offline was not ready within ${timeoutMs} ms`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
