/**
 * Every command the doctor suggests is a command the CLI takes (issue 19: its advice `c2c tenant create --cdr-url ...`
 * failed with "exists already"). The suggestions are read from the doctor's source, where each is quoted in backticks,
 * their placeholders filled with sample values, and each is parsed by the CLI's own commander program with every
 * action replaced by nothing: a missing argument, an unknown option or a required option left out fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommanderError, type Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../lib/cli/program';

const DOCTOR_DIR = join(__dirname, '../../../lib/doctor');
const SUBCOMMANDS = ['tenant', 'key', 'agent', 'team', 'calls', 'outcomes', 'hook', 'crm', 'doctor'];

/** The source without its comments: what the doctor can print. */
const sources = readdirSync(DOCTOR_DIR)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => ({
    file: f,
    text: readFileSync(join(DOCTOR_DIR, f), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, ''),
  }));

/** Sample values of the placeholders the suggestions use (`<tenant>` and `<API URL>` are filled by the doctor itself). */
const SAMPLES: Record<string, string> = {
  tenant: 'acme',
  'API URL': 'https://api.example.com',
  crmUserId: 'u-17',
  ext: '1000',
  digits: '1000',
  source: 'standard',
  url: 'https://acme.pbx.commpeak.com',
  VAR: 'SOME_VAR',
  name: 'Acme',
  cc: 'GB',
  'client id': '3MVG9example',
  id: 'sub_3fK9xQ2mA7bC4dE5',
};

function suggestions(): Array<{ file: string; command: string }> {
  return sources.flatMap(({ file, text }) => [...text.matchAll(/\\?`(c2c [^`\\]+)\\?`/g)].map((m) => ({ file, command: m[1]! })));
}

function fill(command: string): string[] {
  const filled = command.replace(/<([^>]+)>/g, (_, name: string) => {
    const sample = SAMPLES[name];
    if (sample === undefined) throw new Error(`no sample for the placeholder <${name}> in "${command}"`);
    return sample;
  });
  return filled.split(/\s+/);
}

/** The CLI's program with every action a no-op: parsing checks the command line, and nothing runs. */
function dryProgram(): Command {
  const sink = { write: () => true, isTTY: false };
  const program = buildProgram({ stdout: sink, stderr: sink, env: {}, stackFile: '/nonexistent/stack.json' });
  const visit = (command: Command) => {
    if (command.commands.length === 0) command.action(() => undefined);
    command.commands.forEach(visit);
  };
  visit(program);
  return program;
}

describe("the doctor's suggested commands", () => {
  it('are found: each c2c command in what the doctor prints is quoted, so that this test reads it', () => {
    const found = suggestions();
    expect(found.length).toBeGreaterThan(15);
    const bare = sources.flatMap(({ file, text }) =>
      [...text.replace(/\\?`c2c [^`\\]+\\?`/g, '').matchAll(new RegExp(`\\bc2c (${SUBCOMMANDS.join('|')})\\b[^'"\`]*`, 'g'))].map(
        (m) => `${file}: ${m[0]}`,
      ),
    );
    expect(bare).toEqual([]);
  });

  it.each(suggestions().map((s) => [s.command, s.file]))('%s (%s) parses as a command of the CLI', async (command) => {
    const argv = fill(command).slice(1);
    try {
      await dryProgram().parseAsync(['node', 'c2c', ...argv]);
    } catch (error) {
      if (!(error instanceof CommanderError) || error.exitCode !== 0) throw error;
    }
  });
});
