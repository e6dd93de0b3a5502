import { Command, InvalidArgumentError, Option } from 'commander';
import type { ZodError } from 'zod';
import type { CallingHours } from '../model/call-policy';
import { CallingHoursSyntaxError, parseCallingHours } from '../policy/calling-hours';
import type { JsonObject } from '../tenants/merge-patch';
import { isCountryCode } from '../tenants/settings';
import { CliError, UsageError } from './errors';

/**
 * What an option's parser answers for `none` (the setting cleared). Not `null`: commander stores an empty string for an
 * option whose parser answers `null`.
 */
export const NONE = Symbol('none');
/** `--calling-hours legal`: the law's hours per destination country (`legalCallingHours`), the tenant's own kept. */
export const LEGAL = Symbol('legal');
type OrNone<T> = T | typeof NONE;

/** The options of `tenant create` and `tenant update`, as commander parses them ({@link NONE}: the operator wrote `none`). */
export interface TenantSettingOptions {
  name?: string;
  crmId?: string;
  clientId?: string;
  defaultCountry?: string;
  pbxUrl?: string;
  urlShape?: 'click2call' | 'stats';
  status?: 'active' | 'suspended';
  pbxUser?: OrNone<string>;
  pbxPasswordEnv?: string;
  pbxTimeoutMs?: OrNone<number>;
  cdrUrl?: OrNone<string>;
  cdrKeyEnv?: string;
  cdrKeyHeader?: OrNone<string>;
  allowedCountries?: OrNone<string[]>;
  callingHours?: OrNone<CallingHours> | typeof LEGAL;
  legalCallingHours?: boolean;
  outsideCallingHours?: 'refuse' | 'defer';
  capTenantPerSecond?: number;
  capAgentPerMinute?: number;
  capDestination?: { max: number; windowSec: number };
  denyPrefixes?: OrNone<string[]>;
  allowPremiumRate?: boolean;
  allowSharedCost?: boolean;
  allowUnknownType?: boolean;
  retentionDays?: number;
  refusedRetentionDays?: number;
  dedupeWindowSec?: number;
  maxWaitingCalls?: number;
  readsPerSecond?: number;
}

/** Where each tenant field comes from on the command line, so that a schema error names the option to fix. */
const OPTION_OF_FIELD: Array<[string, string]> = [
  ['tenantId', '<tenantId>'],
  ['name', '--name'],
  ['status', '--status'],
  ['crmId', '--crm-id'],
  ['clientId', '--client-id'],
  ['defaultCountry', '--default-country'],
  ['pbx.baseUrl', '--pbx-url'],
  ['pbx.urlShape', '--url-shape'],
  ['pbx.basicAuth.username', '--pbx-user'],
  ['pbx.basicAuth.password', '--pbx-password-env'],
  ['pbx.basicAuth', '--pbx-user'],
  ['pbx.timeoutMs', '--pbx-timeout-ms'],
  ['pbx.cdrApiUrl', '--cdr-url'],
  ['pbx.cdrApiKeyHeader', '--cdr-key-header'],
  ['pbx.cdrApiKey', '--cdr-key-env'],
  ['policy.allowedCountries', '--allowed-countries'],
  ['policy.callingHours', '--calling-hours'],
  ['policy.outsideCallingHours', '--outside-calling-hours'],
  ['policy.caps.perTenantPerSecond', '--cap-tenant-per-second'],
  ['policy.caps.perAgentPerMinute', '--cap-agent-per-minute'],
  ['policy.caps.perDestination', '--cap-destination'],
  ['policy.denyPrefixes', '--deny-prefixes'],
  ['policy.allowPremiumRate', '--allow-premium-rate'],
  ['policy.allowSharedCost', '--allow-shared-cost'],
  ['policy.allowUnknownType', '--allow-unknown-type'],
  ['policy.retentionDays', '--retention-days'],
  ['policy.refusedRetentionDays', '--refused-retention-days'],
  ['policy.dedupeWindowSec', '--dedupe-window-sec'],
  ['policy.maxWaitingCalls', '--max-waiting-calls'],
  ['policy.readsPerSecond', '--reads-per-second'],
];

/** The PBX and identity options: required by `create`, each optional on `update`. */
export function addIdentityOptions(command: Command, required: boolean): Command {
  const add = (flags: string, description: string, parse?: (value: string) => unknown) => {
    const option = new Option(flags, description);
    if (parse) option.argParser(parse);
    if (required) option.makeOptionMandatory();
    command.addOption(option);
  };
  add('--name <name>', 'display name');
  add('--crm-id <digits>', 'the CRM id the PBX knows this client by');
  add('--client-id <digits>', 'the PBX client id');
  add('--default-country <cc>', 'ISO 3166-1 alpha-2 country of national numbers, e.g. GB', parseCountry);
  add('--pbx-url <url>', 'the PBX base URL, e.g. https://acme.pbx.commpeak.com');
  command.addOption(
    required
      ? new Option('--url-shape <shape>', 'the PBX Click2Call URL shape').choices(['click2call', 'stats']).makeOptionMandatory()
      : new Option('--url-shape <shape>', 'the PBX Click2Call URL shape').choices(['click2call', 'stats']),
  );
  return command;
}

/** The options every tenant setting has, on `create` and `update` alike; `none` clears an optional one. */
export function addSettingOptions(command: Command): Command {
  return command
    .option(
      '--pbx-user <user>',
      'PBX HTTP Basic user (with --pbx-password-env); none: no Basic auth',
      noneOr((v) => v),
    )
    .option('--pbx-password-env <VAR>', 'name of the environment variable holding the PBX password (never on the command line)')
    .option(
      '--pbx-timeout-ms <ms>',
      'PBX request timeout, 100-29000 ms (default: the service-wide PBX_TIMEOUT_MS); none: that default',
      noneOr(parseInteger),
    )
    .option(
      '--cdr-url <url>',
      'PBX Stats CDR search URL, used by the reconciler; none: no CDR search (removes its key too)',
      noneOr((v) => v),
    )
    .option('--cdr-key-env <VAR>', 'name of the environment variable holding the CDR API key')
    .option(
      '--cdr-key-header <header>',
      'header the CDR API key is sent in (default X-Api-Key); none: that default',
      noneOr((v) => v),
    )
    .option(
      '--allowed-countries <list>',
      'comma-separated ISO codes leads may be in, e.g. GB,IE (default: the default country only); none: that default',
      noneOr(parseCountryList),
    )
    .option(
      '--calling-hours <hours>',
      'when leads may be rung, in their own time zone: "Mon-Fri 09:00-13:00,14:00-20:00; Sat 10:00-14:00" (default: any time); ' +
        "legal: the hours the law sets in the lead's country (US, CA, FR with its holidays, ES, IT, AU; docs/api.md), on top of " +
        "the own hours; none: any time (own hours and the law's both off)",
      (value: string) => (value.trim().toLowerCase() === 'legal' ? LEGAL : noneOr(parseHours)(value)),
    )
    .option('--legal-calling-hours', "apply the law's calling hours of the lead's country on top of the own hours (default off)")
    .option('--no-legal-calling-hours', "do not apply the law's calling hours")
    .addOption(
      new Option(
        '--outside-calling-hours <what>',
        'a call asked for outside the calling hours: refused, or deferred to the next opening (default refuse)',
      ).choices(['refuse', 'defer']),
    )
    .option('--cap-tenant-per-second <n>', 'call requests a second for the tenant (default 20)', parseInteger)
    .option('--cap-agent-per-minute <n>', 'calls a minute per agent (default 10)', parseInteger)
    .option('--cap-destination <n/seconds>', 'calls to one number per window, e.g. 3/900 (the default)', parseCap)
    .option(
      '--deny-prefixes <list>',
      'comma-separated E.164 prefixes never dialled, e.g. +4490,+882 (default none); none: no prefix',
      noneOr(parsePrefixes),
    )
    .option('--allow-premium-rate', 'allow premium-rate numbers (default: refused)')
    .option('--no-allow-premium-rate', 'refuse premium-rate numbers')
    .option('--allow-shared-cost', 'allow shared-cost numbers (default: refused)')
    .option('--no-allow-shared-cost', 'refuse shared-cost numbers')
    .option('--allow-unknown-type', 'allow numbers whose type is unknown (default: refused)')
    .option('--no-allow-unknown-type', 'refuse numbers whose type is unknown')
    .option('--retention-days <n>', 'days a call and its events are kept (default 400)', parseInteger)
    .option('--refused-retention-days <n>', 'days a call that never reached the PBX is kept (default 30)', parseInteger)
    .option(
      '--dedupe-window-sec <n>',
      'window of the key derived for a request without Idempotency-Key, 1-3600 s (default 60)',
      parseInteger,
    )
    .option('--max-waiting-calls <n>', 'scheduled and queued calls the tenant may have at once (default 1000)', parseInteger)
    .option('--reads-per-second <n>', "the tenant's read budget on the API's read routes (default 50)", parseInteger);
}

/**
 * The change the options make, as a JSON Merge Patch of the tenant (lib/tenants/merge-patch.ts): a member for each
 * option given, `null` for `none`. Secrets are read from the environment here, never from the command line.
 */
export function settingsPatch(options: TenantSettingOptions, env: NodeJS.ProcessEnv): JsonObject {
  const pbx: JsonObject = {};
  const policy: JsonObject = {};
  const caps: JsonObject = {};
  const set = (target: JsonObject, name: string, value: JsonObject[string] | undefined) => {
    if (value !== undefined) target[name] = value;
  };
  set(pbx, 'urlShape', options.urlShape);
  set(pbx, 'baseUrl', options.pbxUrl);
  if (options.pbxUser === NONE) {
    if (options.pbxPasswordEnv !== undefined) throw new UsageError('--pbx-user none removes the Basic auth: no --pbx-password-env with it');
    pbx.basicAuth = null;
  } else if (options.pbxUser !== undefined || options.pbxPasswordEnv !== undefined) {
    const password = options.pbxPasswordEnv === undefined ? undefined : secretFromEnv(env, options.pbxPasswordEnv, 'the PBX password');
    pbx.basicAuth = {
      ...(options.pbxUser !== undefined ? { username: options.pbxUser } : {}),
      ...(password !== undefined ? { password } : {}),
    };
  }
  set(pbx, 'timeoutMs', valueOf(options.pbxTimeoutMs));
  if (options.cdrUrl === NONE) {
    if (options.cdrKeyEnv !== undefined || options.cdrKeyHeader)
      throw new UsageError('--cdr-url none removes the CDR search: no --cdr-key-env or --cdr-key-header with it');
    Object.assign(pbx, { cdrApiUrl: null, cdrApiKey: null, cdrApiKeyHeader: null });
  } else {
    set(pbx, 'cdrApiUrl', options.cdrUrl);
    if (options.cdrKeyEnv !== undefined) pbx.cdrApiKey = secretFromEnv(env, options.cdrKeyEnv, 'the CDR API key');
    set(pbx, 'cdrApiKeyHeader', valueOf(options.cdrKeyHeader));
  }
  set(policy, 'allowedCountries', valueOf(options.allowedCountries));
  if (options.callingHours === LEGAL) {
    if (options.legalCallingHours === false)
      throw new UsageError('--calling-hours legal and --no-legal-calling-hours contradict each other');
    policy.legalCallingHours = true;
  } else {
    const hours = valueOf(options.callingHours);
    set(policy, 'callingHours', hours ? { windows: hours.windows } : hours);
    // `none`: any time, so the law's hours are off too (unless this very command turns them on).
    if (hours === null && options.legalCallingHours === undefined) policy.legalCallingHours = false;
  }
  set(policy, 'legalCallingHours', options.legalCallingHours);
  set(policy, 'outsideCallingHours', options.outsideCallingHours);
  set(caps, 'perTenantPerSecond', options.capTenantPerSecond);
  set(caps, 'perAgentPerMinute', options.capAgentPerMinute);
  set(caps, 'perDestination', options.capDestination);
  if (Object.keys(caps).length > 0) policy.caps = caps;
  set(policy, 'denyPrefixes', valueOf(options.denyPrefixes));
  set(policy, 'allowPremiumRate', options.allowPremiumRate);
  set(policy, 'allowSharedCost', options.allowSharedCost);
  set(policy, 'allowUnknownType', options.allowUnknownType);
  set(policy, 'retentionDays', options.retentionDays);
  set(policy, 'refusedRetentionDays', options.refusedRetentionDays);
  set(policy, 'dedupeWindowSec', options.dedupeWindowSec);
  set(policy, 'maxWaitingCalls', options.maxWaitingCalls);
  set(policy, 'readsPerSecond', options.readsPerSecond);
  const patch: JsonObject = {};
  set(patch, 'name', options.name);
  set(patch, 'status', options.status);
  set(patch, 'crmId', options.crmId);
  set(patch, 'clientId', options.clientId);
  set(patch, 'defaultCountry', options.defaultCountry);
  if (Object.keys(pbx).length > 0) patch.pbx = pbx;
  if (Object.keys(policy).length > 0) patch.policy = policy;
  return patch;
}

/** Secrets come from the environment, so they stay out of shell history and `ps`. */
function secretFromEnv(env: NodeJS.ProcessEnv, name: string, what: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError(`${JSON.stringify(name)} is not an environment variable name`);
  const value = env[name];
  if (value === undefined || value === '') throw new CliError(`Environment variable ${name} (${what}) is not set`);
  return value;
}

/** A tenant the options would make invalid: a usage error naming each option to fix. */
export function invalidSettings(error: ZodError): UsageError {
  const issues = error.issues.map((issue) => {
    const path = issue.path.join('.');
    const option = OPTION_OF_FIELD.find(([field]) => path === field || path.startsWith(`${field}.`))?.[1];
    return `${option ?? (path || 'tenant')}: ${issue.message}`;
  });
  return new UsageError(`Invalid tenant: ${[...new Set(issues)].join('; ')}`, { cause: error });
}

const noneOr =
  <T>(parse: (value: string) => T) =>
  (value: string): OrNone<T> =>
    value.trim().toLowerCase() === 'none' ? NONE : parse(value);

/** The member a patch gets for an option: absent when not given, `null` for `none`. */
const valueOf = <T>(value: OrNone<T> | undefined): T | null | undefined => (value === NONE ? null : value);

function parseCountry(value: string): string {
  const code = value.trim().toUpperCase();
  if (!isCountryCode(code))
    throw new InvalidArgumentError(`${JSON.stringify(value)} is not an ISO 3166-1 alpha-2 country code (e.g. GB, US, FR)`);
  return code;
}

function parseCountryList(value: string): string[] {
  const codes = value
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  if (codes.length === 0) throw new InvalidArgumentError('expected a comma-separated list such as GB,IE');
  return [...new Set(codes.map(parseCountry))];
}

function parseHours(value: string): CallingHours {
  try {
    return parseCallingHours(value);
  } catch (error) {
    if (error instanceof CallingHoursSyntaxError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

function parseCap(value: string): { max: number; windowSec: number } {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!match) throw new InvalidArgumentError('expected calls/seconds, e.g. 3/900');
  const [max, windowSec] = [Number(match[1]), Number(match[2])];
  if (max < 1 || windowSec < 1) throw new InvalidArgumentError('both numbers must be at least 1');
  return { max, windowSec };
}

function parsePrefixes(value: string): string[] {
  const prefixes = value
    .split(',')
    .map((p) => p.trim().replace(/^\+/, ''))
    .filter((p) => p !== '');
  if (prefixes.length === 0) throw new InvalidArgumentError('expected comma-separated prefixes such as +4490,+882');
  const bad = prefixes.find((p) => !/^\d{1,15}$/.test(p));
  if (bad !== undefined) throw new InvalidArgumentError(`"${bad}": a prefix is 1-15 digits, with or without a leading +`);
  return [...new Set(prefixes)];
}

export function parseInteger(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('expected a whole number');
  return Number(value);
}
