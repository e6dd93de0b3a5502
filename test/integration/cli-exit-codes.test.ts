/**
 * The CLI as a whole (issue 19, point 11): `c2c --help` shows every command with what it does; a wrong command line is
 * exit 2 and a failed operation exit 1, for every command alike (a table over the whole command tree); when no table
 * is found the CLI says how to point it at a stack; and `c2c` runs built JavaScript, with no TypeScript loader.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../lib/cli/program';
import { runCli, startCliTable, type CliTable } from '../support/cli';
import { repoRoot } from '../support/package-stack';

let cli: CliTable;
let csv = '';
/** A file each importing command reads as valid, so that the table is what fails (the agents' CSV by default). */
const files: Record<string, string> = {};

beforeAll(async () => {
  cli = await startCliTable('exit-codes');
  csv = join(cli.workDir, 'agents.csv');
  writeFileSync(csv, 'crmUserId,extension\nu-1,1000\n');
  files['dnc import'] = join(cli.workDir, 'numbers.csv');
  writeFileSync(files['dnc import'], 'number\n+447766889900\n');
});

afterAll(async () => {
  await cli?.stop();
});

/** Every command that does something (a leaf of the tree), with its path and its required arguments. */
function leaves(): Array<{ path: string[]; command: Command }> {
  const sink = { write: () => true };
  const out: Array<{ path: string[]; command: Command }> = [];
  const visit = (command: Command, path: string[]) => {
    for (const sub of command.commands) {
      if (sub.commands.length > 0) visit(sub, [...path, sub.name()]);
      else out.push({ path: [...path, sub.name()], command: sub });
    }
  };
  visit(buildProgram({ stdout: sink, stderr: sink, env: {}, stackFile: '/nonexistent' }), []);
  return out;
}

/** A well-formed value of each argument and required option, by name: the command line is right, only the table is not. */
const ARGUMENTS: Record<string, string> = {
  tenantId: 'acme',
  crmUserId: 'u-1',
  keyId: 'k_12345678',
  team: 'sales',
  callId: 'c_01HZX3Y4Z5A6B7C8D9E0F1G2H3',
  secretId: 'sec_1',
  tokenId: 'tok_1',
  source: 'standard',
  crm: 'hubspot',
  states: 'completed',
};
const REQUIRED_OPTIONS: Record<string, string[]> = {
  '--extension': ['--extension', '1000'],
  '--number': ['--number', '+447766889900'],
  '--tenant': ['--tenant', 'acme'],
  '--name': ['--name', 'Acme'],
  '--scopes': ['--scopes', 'calls:read'],
  '--url': ['--url', 'https://crm.example.com/c2c'],
  '--crm-id': ['--crm-id', '1'],
  '--client-id': ['--client-id', '2'],
  '--default-country': ['--default-country', 'GB'],
  '--pbx-url': ['--pbx-url', 'https://acme.pbx.commpeak.com'],
  '--url-shape': ['--url-shape', 'click2call'],
};
/** What a few commands need besides, to be a complete command line. */
const EXTRA: Record<string, string[]> = {
  'tenant update': ['--retention-days', '30'],
  'tenant delete': ['--yes'],
  'agent availability': ['--away'],
  'outcomes pbx-token issue': ['--api-url', 'https://api.example.com'],
  'outcomes dead-letters redrive': ['--all'],
  'hook url': ['--api-url', 'https://api.example.com'],
  'hook set-secret': ['--generate'],
  'hook set-mapping': ['--agent', 'data.agent'],
  'hook set-options': ['--public-url', 'https://c2c.example.com/v1/hooks/standard/acme'],
  'subscriptions migrate': ['--all'],
  'crm connect': ['--token-env', 'C2C_EXIT_CODES_TOKEN', '--api-url', 'https://93.184.215.14'],
};

function commandLine({ path, command }: { path: string[]; command: Command }): string[] {
  const args = command.registeredArguments
    .filter((a) => a.required)
    .map((a) => (a.name() === 'file' ? (files[path.join(' ')] ?? csv) : (ARGUMENTS[a.name()] ?? `unknown-argument-${a.name()}`)));
  const options = command.options.filter((o) => o.mandatory).flatMap((o) => REQUIRED_OPTIONS[o.long ?? ''] ?? [`${o.long}-unknown`]);
  return [...path, ...args, ...options, ...(EXTRA[path.join(' ')] ?? [])];
}

describe('c2c --help', () => {
  it('shows every command with what it does, and each group names each of its commands', async () => {
    const help = await runCli(['--help'], { stackFile: '/nonexistent' });
    expect(help.code).toBe(0);
    const text = help.stdout.replace(/\s+/g, ' ');
    for (const leaf of leaves()) {
      expect(text, leaf.path.join(' ')).toContain(`${leaf.path.join(' ')} `);
      expect(text, leaf.path.join(' ')).toContain(leaf.command.description().replace(/\s+/g, ' '));
    }
    const sink = { write: () => true };
    const groups: Command[] = [];
    const visit = (command: Command) =>
      command.commands.forEach((sub) => (sub.commands.length > 0 ? (groups.push(sub), visit(sub)) : undefined));
    visit(buildProgram({ stdout: sink, stderr: sink, env: {}, stackFile: '/nonexistent' }));
    for (const group of groups) {
      for (const sub of group.commands)
        expect(group.description(), `${group.name()} names ${sub.name()}`).toMatch(new RegExp(`\\b${sub.name()}\\b`));
    }
  });
});

describe('exit codes, the same for every command', () => {
  const table = leaves().map((leaf) => [leaf.path.join(' '), leaf] as const);

  it.each(table)('%s: an unknown option is a usage error (2)', async (_name, leaf) => {
    const result = await cli.c2c([...commandLine(leaf), '--no-such-option']);
    expect(result.code, result.stderr).toBe(2);
  });

  it.each(table.filter(([, leaf]) => leaf.command.registeredArguments.some((a) => a.required)))(
    '%s: a missing argument is a usage error (2)',
    async (_name, leaf) => {
      const result = await cli.c2c(leaf.path);
      expect(result.code, result.stderr).toBe(2);
    },
  );

  /** Commands that read no table with the options given: `hook url` only prints a URL from --api-url. */
  const READS_NO_TABLE = ['hook url'];

  it.each(table.filter(([name]) => !READS_NO_TABLE.includes(name)))(
    '%s: a table that does not exist is an operational error (1) that says how to point at a stack',
    async (_name, leaf) => {
      const result = await runCli(['--endpoint', cli.dynamo.endpoint, '--table', 'c2c-no-such-table', ...commandLine(leaf)], {
        stackFile: join(cli.workDir, 'no-stack.json'),
        // `crm connect` reads its secret from the environment variable its command line names; `call-indexes strip`
        // the mode the stage runs in.
        env: { ...process.env, C2C_EXIT_CODES_TOKEN: 'pat-exit-codes-0000', CALL_INDEXES: 'narrow' },
      });
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(/Table not found: .*C2C_STACK_FILE.*--endpoint/);
    },
  );

  it('a value the tenant cannot hold is a usage error (2), as a value the option parser refuses', async () => {
    const base = commandLine({ path: ['tenant', 'create'], command: leaves().find((l) => l.path.join(' ') === 'tenant create')!.command });
    const badDigits = base.map((v, i, all) => (all[i - 1] === '--crm-id' ? 'abc' : v));
    expect((await cli.c2c(badDigits)).code).toBe(2);
    const badCountry = base.map((v, i, all) => (all[i - 1] === '--default-country' ? 'XX' : v));
    expect((await cli.c2c(badCountry)).code).toBe(2);
  });

  it('no table chosen is a usage error (2) that says how to point at a stack', async () => {
    const result = await runCli(['tenant', 'show', 'acme'], { stackFile: join(cli.workDir, 'no-stack.json') });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('C2C_STACK_FILE');
    expect(result.stderr).toContain('--endpoint');
  });
});

describe('the c2c executable', () => {
  it('is built JavaScript: tsx is no runtime dependency, and the bin runs with no node_modules at all', async () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
      dependencies: Record<string, string>;
      scripts: Record<string, string>;
    };
    expect(Object.keys(pkg.dependencies)).not.toContain('tsx');
    expect(pkg.scripts.prepare).toMatch(/build:cli/);
    expect(readFileSync(join(repoRoot, pkg.bin.c2c!), 'utf8')).not.toMatch(/tsx|\.ts['"]/);
    // The bin and its bundle alone, in a folder of their own: nothing to resolve a TypeScript file or a package from.
    const alone = mkdtempSync(join(tmpdir(), 'c2c-alone-'));
    try {
      mkdirSync(join(alone, 'bin'));
      mkdirSync(join(alone, 'dist'));
      cpSync(join(repoRoot, 'bin/c2c.cjs'), join(alone, 'bin/c2c.cjs'));
      cpSync(join(repoRoot, 'dist/cli.cjs'), join(alone, 'dist/cli.cjs'));
      writeFileSync(join(alone, 'package.json'), '{"private": true}');
      const run = (args: string[]) =>
        new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
          execFile(
            process.execPath,
            [join(alone, 'bin/c2c.cjs'), ...args],
            { cwd: alone, env: { PATH: process.env.PATH } },
            (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
          );
        });
      const help = await run(['--help']);
      expect(help.code, help.stderr).toBe(0);
      expect(help.stdout).toContain('tenant update <tenantId>');
      const noTable = await run(['tenant', 'show', 'acme']);
      expect(noTable.code).toBe(2);
      expect(noTable.stderr).toContain('C2C_STACK_FILE');
      const listed = await run(['--endpoint', cli.dynamo.endpoint, '--table', cli.table.name, 'key', 'list', 'nobody']);
      // It reached the table: the tenant is not there.
      expect(listed.code, listed.stderr).toBe(1);
      expect(listed.stderr).toContain('Tenant nobody not found');
    } finally {
      rmSync(alone, { recursive: true, force: true });
    }
  });
});
