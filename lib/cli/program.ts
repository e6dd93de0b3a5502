import { Command, CommanderError, Option } from 'commander';
import { ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { ZodError } from 'zod';
import { version } from '../../package.json';
import { controlCharacterMessage, firstControlCharacter } from '../model/control-characters';
import { StoreError } from '../store/errors';
import { agentCommand } from './agent-commands';
import { callIndexesCommand } from './call-index-commands';
import { callsCommand } from './call-commands';
import { crmCommand } from './crm-commands';
import type { CliDeps, RunState } from './context';
import { dncCommand } from './dnc-commands';
import { doctorCommand } from './doctor';
import { CliError, ReportedError, UsageError } from './errors';
import { hookCommand } from './hook-commands';
import { escapingOutput, oneLine } from './io';
import { keyCommand } from './key-commands';
import { subscriptionsCommand } from './subscription-commands';
import { outcomesCommand } from './outcomes';
import { HOW_TO_CHOOSE_A_TABLE, type Target } from './target';
import { teamCommand } from './team-commands';
import { tenantCommand } from './tenant-commands';
import { DomainError } from '../model/domain-error';

export type { CliDeps } from './context';

const TARGET_HELP = `
Table selection (global options, before or after the command):
  default             the local stack (npm start) when .local/stack.json exists, or the stack whose
                      stack.json C2C_STACK_FILE names
  --local             the local stack, explicitly
  --endpoint URL --table NAME
                      any DynamoDB-compatible server
  --stage S [--region R]
                      the deployed table c2c-S, with the default AWS credential chain
  Environment: C2C_DYNAMODB_ENDPOINT and C2C_TABLE override the endpoint and table name;
  C2C_DEBUG=1 prints stack traces.

Examples:
  c2c tenant create acme --name "Acme Ltd" --crm-id 100 --client-id 200 --default-country GB \\
      --pbx-url https://acme.pbx.commpeak.com --url-shape click2call
  c2c key issue acme --name "HubSpot" --scopes calls:write,calls:read
  c2c agent import acme events/agents-sample.csv --dry-run
  c2c calls list acme --state unknown --stage prod`;

/**
 * The operator CLI as a commander program writing to `deps`' streams. Commander never exits the
 * process: its errors are thrown, and `run` turns every outcome into an exit code.
 */
export function buildProgram(deps: CliDeps, state: RunState = {}): Command {
  const program: Command = new Command('c2c')
    .description(
      'Operator CLI of the click-to-call service: tenants, API keys, agents, teams, calls, outcomes, webhooks, subscriptions, CRM call logging, the doctor, the call index migration',
    )
    .version(version, '-V, --version')
    .addOption(new Option('--local', 'use the local stack started by npm start (the default when it runs)'))
    .addOption(new Option('--endpoint <url>', 'a DynamoDB-compatible endpoint'))
    .addOption(new Option('--table <name>', 'the table name (with --endpoint; overrides the default elsewhere)'))
    .addOption(new Option('--stage <stage>', 'a deployed stage: table c2c-<stage>, AWS credentials from the default chain'))
    .addOption(new Option('--region <region>', 'AWS region of --stage (default AWS_REGION, else eu-west-1)'))
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void deps.stdout.write(text),
      writeErr: (text) => void deps.stderr.write(text),
    })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', () => everyCommandHelp(program))
    .addHelpText('after', TARGET_HELP);

  // Before any action: a value the command would store or print is refused as a usage error when it holds a control character.
  program.hook('preAction', (_program, action) => refuseControlCharacters(action));
  program.addCommand(tenantCommand(deps, state));
  program.addCommand(keyCommand(deps, state));
  program.addCommand(agentCommand(deps, state));
  program.addCommand(teamCommand(deps, state));
  program.addCommand(callsCommand(deps, state));
  program.addCommand(outcomesCommand(deps, state));
  program.addCommand(hookCommand(deps, state));
  program.addCommand(dncCommand(deps, state));
  program.addCommand(subscriptionsCommand(deps, state));
  program.addCommand(crmCommand(deps, state));
  program.addCommand(doctorCommand(deps, state));
  program.addCommand(callIndexesCommand(deps, state));
  // addCommand (unlike command()) does not copy settings: every subcommand must throw, not exit.
  forEachCommand(program, (command) => {
    command.exitOverride();
    command.configureOutput(program.configureOutput());
    command.showHelpAfterError('(add --help for usage)');
  });
  return program;
}

/**
 * Refuses a command line whose arguments or options (the command's and its parents') hold a control character,
 * naming the one to fix: identifiers and names never hold one (lib/model/control-characters.ts), and no other value
 * of the command line needs one.
 */
function refuseControlCharacters(action: Command): void {
  action.registeredArguments.forEach((argument, i) => {
    const char = controlCharacterIn(action.processedArgs[i]);
    if (char !== undefined) throw new UsageError(`<${argument.name()}>: ${controlCharacterMessage(char)}`);
  });
  for (let command: Command | null = action; command; command = command.parent) {
    for (const option of command.options) {
      const char = controlCharacterIn(command.getOptionValue(option.attributeName()));
      if (char !== undefined) throw new UsageError(`${option.long ?? option.flags}: ${controlCharacterMessage(char)}`);
    }
  }
}

/** The first control character in a parsed value: a string, or the lists and records option parsers build. */
function controlCharacterIn(value: unknown): string | undefined {
  if (typeof value === 'string') return firstControlCharacter(value);
  if (Array.isArray(value)) return value.map(controlCharacterIn).find((c) => c !== undefined);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value)
      .flat()
      .map(controlCharacterIn)
      .find((c) => c !== undefined);
  }
  return undefined;
}

/** The whole tree of commands, each with what it does: `c2c --help` shows every command, not only the top ones. */
function everyCommandHelp(program: Command): string {
  const help = program.createHelp();
  const leaves: Array<[string, string]> = [];
  const visit = (command: Command, path: string[]) => {
    for (const sub of command.commands) {
      const names = [...path, sub.name()];
      if (sub.commands.length > 0) visit(sub, names);
      else leaves.push([[...names, help.subcommandTerm(sub).replace(/^\S+\s*(\[options\]\s*)?/, '')].join(' ').trim(), sub.description()]);
    }
  };
  visit(program, []);
  const width = Math.max(...leaves.map(([term]) => term.length));
  return `\nEvery command (c2c <command> --help for its options):\n${leaves.map(([term, text]) => help.formatItem(term, width, text, help)).join('\n')}\n`;
}

function forEachCommand(command: Command, fn: (command: Command) => void): void {
  for (const sub of command.commands) {
    fn(sub);
    forEachCommand(sub, fn);
  }
}

/**
 * Runs the CLI on `argv` (as process.argv: node, script, args...) and returns the exit code:
 * 0 done, 1 the command failed, 2 the command line was wrong.
 */
export async function run(argv: readonly string[], given: CliDeps): Promise<number> {
  // Every byte the CLI prints, commander's own messages included, goes through the escaping streams.
  const deps: CliDeps = { ...given, stdout: escapingOutput(given.stdout), stderr: escapingOutput(given.stderr) };
  const state: RunState = {};
  const program = buildProgram(deps, state);
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its message already; help and --version end with 0.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof ReportedError) return error.exitCode;
    deps.stderr.write(`c2c: ${oneLine(describeError(error, state.target))}\n`);
    if (deps.env.C2C_DEBUG && error instanceof Error && error.stack) deps.stderr.write(`${error.stack}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}

/** One line an operator can act on, for any failure. */
export function describeError(error: unknown, target: Target | undefined): string {
  if (error instanceof CliError || error instanceof StoreError || error instanceof DomainError) return error.message;
  if (error instanceof ZodError) {
    return `Invalid input: ${error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ')}`;
  }
  if (!(error instanceof Error)) return String(error);
  const where = target?.description ?? 'the table';
  if (error instanceof ResourceNotFoundException) return `Table not found: ${where} (${HOW_TO_CHOOSE_A_TABLE})`;
  // The credential chain's and the signature's errors have no class this project depends on: told apart by name.
  if (error.name === 'CredentialsProviderError') {
    return 'No AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or log in with aws sso login)';
  }
  if (['UnrecognizedClientException', 'ExpiredTokenException', 'InvalidSignatureException'].includes(error.name)) {
    return `AWS refused the credentials (${error.name}): ${error.message}`;
  }
  if (error.name === 'AccessDeniedException') return `Access denied to ${where}: ${error.message}`;
  if (isConnectionRefused(error)) {
    const hint = target?.kind === 'local' ? ': is the local stack running (npm start)?' : '';
    return `Cannot reach DynamoDB at ${target?.endpoint ?? 'its endpoint'}${hint}`;
  }
  return `${error.name}: ${error.message}`;
}

function isConnectionRefused(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return true;
  if (error instanceof AggregateError && error.errors.some(isConnectionRefused)) return true;
  return error.cause !== undefined && isConnectionRefused(error.cause);
}
