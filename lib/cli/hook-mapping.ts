import { InvalidArgumentError } from 'commander';
import { effectiveMapping } from '../crm/mapping';
import { SOURCE_ADAPTERS, type WebhookSource } from '../crm/sources';
import { teamNameSchema } from '../model/agent';
import { ALL_LEAD_TYPES, type LeadType } from '../model/crm-connection';
import {
  payloadPathSchema,
  SOURCE_MAX_WAIT_SEC,
  webhookMappingSchema,
  type CallTargetKind,
  type LeadTypeMapping,
  type WebhookMapping,
} from '../store/webhook-sources';
import { UsageError } from './errors';
import { renderFields } from './io';

/** `c2c hook set-mapping`'s options as commander parses them, and the mapping they make (the command: hook-commands.ts). */
export interface SetMappingOptions {
  agent?: string[];
  agentBy?: CallTargetKind;
  team?: string | false;
  maxWaitSec?: number | false;
  notBefore?: string[] | false;
  to?: string[];
  lead?: string[] | false;
  leadType?: LeadType | false;
  leadTypePath?: string[];
  custom?: Record<string, string[]> | false;
  deliveryId?: string[] | false;
  defaultCountry?: string;
  prefix?: string;
  reset?: boolean;
  json?: boolean;
}

/** `a.b|c.d`: alternatives tried in order. */
export function parsePaths(value: string): string[] {
  const paths = value.split('|').map((p) => p.trim());
  for (const path of paths) {
    const parsed = payloadPathSchema.safeParse(path);
    if (!parsed.success) throw new InvalidArgumentError(`${JSON.stringify(path)}: ${parsed.error.issues[0]?.message}`);
  }
  if (paths.length > 5) throw new InvalidArgumentError('at most 5 alternatives');
  return paths;
}

export function parseTeam(value: string): string {
  const parsed = teamNameSchema.safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues[0]?.message ?? 'not a team name');
  return parsed.data;
}

export function parseMaxWait(value: string): number {
  const seconds = Number(value);
  if (!/^\d+$/.test(value) || seconds < 1 || seconds > SOURCE_MAX_WAIT_SEC)
    throw new InvalidArgumentError(`whole seconds, 1 to ${SOURCE_MAX_WAIT_SEC}`);
  return seconds;
}

/** `--lead-type`: one kind of record for every delivery. */
export function parseLeadType(value: string): LeadType {
  const kind = value.trim().toLowerCase();
  if (!(ALL_LEAD_TYPES as readonly string[]).includes(kind)) throw new InvalidArgumentError(`expected one of ${ALL_LEAD_TYPES.join(', ')}`);
  return kind as LeadType;
}

export function collectCustom(value: string, previous: Record<string, string[]> | undefined): Record<string, string[]> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('expected name=path (e.g. campaign=properties.campaign)');
  return { ...previous, [value.slice(0, eq).trim()]: parsePaths(value.slice(eq + 1)) };
}

export function nextMapping(current: WebhookMapping, source: WebhookSource, options: SetMappingOptions): WebhookMapping {
  const next: WebhookMapping = { ...current };
  const defaults = SOURCE_ADAPTERS[source].defaultMapping;
  const readsTarget = Boolean(options.agent || options.agentBy);
  if (readsTarget && typeof options.team === 'string')
    throw new UsageError('give --team (one team for every delivery) or --agent/--agent-by (read from the payload), not both');
  if (typeof options.team === 'string') {
    next.team = options.team;
    delete next.agent;
  } else if (options.team === false) {
    delete next.team;
  }
  if (readsTarget) {
    // After a constant team there is no path in force: start from the source's default one.
    const inForce = effectiveMapping(defaults, current).agent ?? defaults.agent;
    const by = options.agentBy ?? inForce?.by;
    const path = options.agent ?? inForce?.path;
    if (!by || !path) throw new UsageError('give both --agent and --agent-by');
    next.agent = { by, path };
    delete next.team;
  }
  if (options.maxWaitSec === false) delete next.maxWaitSec;
  else if (options.maxWaitSec !== undefined) next.maxWaitSec = options.maxWaitSec;
  if (next.maxWaitSec !== undefined && next.team === undefined && next.agent?.by !== 'team')
    throw new UsageError(
      '--max-wait-sec is for team calls: route the source to a team (--team, or --agent-by team), or drop the wait (--no-max-wait-sec)',
    );
  if (options.notBefore !== undefined) next.notBefore = options.notBefore === false ? null : options.notBefore;
  if (options.to) next.to = options.to;
  if (options.lead !== undefined) next.lead = options.lead === false ? null : options.lead;
  if (options.leadTypePath && options.leadType !== undefined)
    throw new UsageError('give --lead-type (one kind for every delivery) or --lead-type-path (read from the payload), not both');
  if (options.leadTypePath) next.leadType = { path: options.leadTypePath };
  else if (options.leadType !== undefined) next.leadType = options.leadType === false ? null : { value: options.leadType };
  if (options.custom !== undefined) next.customData = options.custom === false ? {} : options.custom;
  if (options.deliveryId !== undefined) {
    const { identity } = SOURCE_ADAPTERS[source];
    if (identity.kind === 'signed')
      throw new UsageError(`${source}: the delivery id is always ${identity.header}, which the signature covers`);
    next.deliveryId = options.deliveryId === false ? null : options.deliveryId;
  }
  if (options.defaultCountry !== undefined) next.defaultCountry = options.defaultCountry.toUpperCase();
  if (options.prefix !== undefined) next.prefix = options.prefix;
  const parsed = webhookMappingSchema.safeParse(next);
  if (!parsed.success)
    throw new UsageError(`Invalid mapping: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

export function renderMapping(mapping: ReturnType<typeof effectiveMapping>): string {
  const paths = (list: string[] | null) => (list ? list.join(' | ') : '(none)');
  const target: [string, string] = mapping.team
    ? ['team', `${mapping.team} (every delivery)`]
    : mapping.agent?.by === 'team'
      ? ['team (from the payload)', paths(mapping.agent.path)]
      : [`agent (${mapping.agent?.by ?? 'none'})`, paths(mapping.agent?.path ?? null)];
  return renderFields([
    target,
    ...(mapping.maxWaitSec ? [['max wait', `${mapping.maxWaitSec} s for a free agent`] as [string, string]] : []),
    ...(mapping.notBefore ? [['not before', paths(mapping.notBefore)] as [string, string]] : []),
    ['to', paths(mapping.to)],
    ['lead', paths(mapping.lead)],
    ['lead type', leadTypeText(mapping.leadType)],
    ...Object.entries(mapping.customData).map(([name, list]): [string, string] => [`custom ${name}`, paths(list)]),
    ['delivery id', mapping.deliveryId ? paths(mapping.deliveryId) : '(none: derived short-window key)'],
    ...(mapping.defaultCountry ? [['default country', mapping.defaultCountry] as [string, string]] : []),
    ...(mapping.prefix ? [['prefix', mapping.prefix] as [string, string]] : []),
  ]);
}

function leadTypeText(mapping: LeadTypeMapping | null): string {
  if (!mapping) return "(none: the CRM's default kind)";
  if ('value' in mapping) return `${mapping.value} (every delivery)`;
  const translated = Object.entries(mapping.values ?? {}).map(([from, to]) => `${from}=${to}`);
  return `${mapping.path.join(' | ')}${translated.length > 0 ? ` (also ${translated.join(', ')})` : ''}`;
}
