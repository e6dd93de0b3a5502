import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { run } from '../../lib/cli/program';
import { createDocumentClient, type Table } from '../../lib/store/client';
import { createTable, startDynalite, type LocalDynamo } from '../../local/dynamo';
import { TEST_SEAL_KEY } from './env';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the c2c CLI in-process (argv without `node c2c`), capturing what it prints. */
export async function runCli(argv: string[], options: { stackFile: string; env?: NodeJS.ProcessEnv; isTTY?: boolean }): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(['node', 'c2c', ...argv], {
    stdout: { write: (text: string) => (stdout += text), isTTY: options.isTTY ?? false },
    stderr: { write: (text: string) => (stderr += text), isTTY: options.isTTY ?? false },
    // The handlers' test key (test/support/env.ts): what the CLI seals, the handlers and the tests open.
    env: { C2C_LOCAL_SEAL_KEY: TEST_SEAL_KEY, ...options.env },
    stackFile: options.stackFile,
  });
  return { code, stdout, stderr };
}

/** The JSON a successful command printed; fails the test, with its stderr, when it did not succeed. */
/** The command's JSON output, read as T: the shape the test expects and then asserts on. */
export function jsonOf<T = unknown>(result: CliResult): T {
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

export interface CliTable {
  dynamo: LocalDynamo;
  table: Table;
  /** A scratch folder (stack files, CSV imports); removed by stop(). */
  workDir: string;
  /** `c2c <args>` against this table (--endpoint/--table), with no local stack file in sight. */
  c2c(args: string[], options?: { env?: NodeJS.ProcessEnv; stackFile?: string; isTTY?: boolean }): Promise<CliResult>;
  stop(): Promise<void>;
}

/** A real dynalite with a fresh table, for CLI tests. */
export async function startCliTable(prefix: string): Promise<CliTable> {
  const dynamo = await startDynalite();
  const tableName = `c2c-${prefix}-${randomUUID().slice(0, 8)}`;
  await createTable(dynamo.endpoint, tableName);
  const table = { doc: createDocumentClient({ region: 'local', endpoint: dynamo.endpoint }), name: tableName };
  const workDir = mkdtempSync(join(tmpdir(), `c2c-${prefix}-`));
  return {
    dynamo,
    table,
    workDir,
    c2c: (args, options = {}) =>
      runCli(['--endpoint', dynamo.endpoint, '--table', tableName, ...args], {
        stackFile: options.stackFile ?? join(workDir, 'no-stack.json'),
        env: options.env,
        isTTY: options.isTTY,
      }),
    stop: async () => {
      table.doc.destroy();
      await dynamo.close();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}
