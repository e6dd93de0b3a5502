import * as z from 'zod';
import { callRequestSchema, type CallRequest } from '../calls/request';
import type { FieldError } from '../model/domain-error';
import type { CallTargetKind, LeadTypeMapping, PathList, WebhookMapping } from '../store/webhook-sources';
import { MappingError } from './errors';

/** A source's mapping with every field decided: its defaults overlaid with the tenant's overrides. */
export interface EffectiveMapping {
  /**
   * Where the payload names whom to call: an agent by one of its keys, or a team (`by: 'team'`, any free member).
   * `null` when the source calls the constant `team`.
   */
  agent: { by: CallTargetKind; path: PathList } | null;
  /** The team every delivery of this source calls, whatever the payload says. */
  team?: string;
  /** How long a team call waits for a free agent (`queued`); without it none free is a 429 the sender retries. */
  maxWaitSec?: number;
  /** Optional in the payload: the earliest time to dial (the call is `scheduled` until then). */
  notBefore: PathList | null;
  to: PathList;
  /** Optional in the payload: a delivery without it places a call with no lead. */
  lead: PathList | null;
  /**
   * The kind of record the lead id names (`lead.type`, for call logging): a constant, or read from the payload (any
   * case), `values` translating the sender's own spelling (HubSpot's object type ids). Without it, or without a lead,
   * the call carries no type.
   */
  leadType: LeadTypeMapping | null;
  /** Optional in the payload, entry by entry. */
  customData: Record<string, PathList>;
  /** Where the sender's delivery id is; none found means the service derives a short-window key. */
  deliveryId: PathList | null;
  defaultCountry?: string;
  prefix?: string;
}

export function effectiveMapping(defaults: EffectiveMapping, overrides: WebhookMapping = {}): EffectiveMapping {
  // Whom to call is one setting, overridden as a whole: an agent path (which may name a team) or a constant team.
  const target =
    overrides.team !== undefined
      ? { agent: null, team: overrides.team }
      : overrides.agent !== undefined
        ? { agent: overrides.agent }
        : { agent: defaults.agent, ...(defaults.team === undefined ? {} : { team: defaults.team }) };
  const maxWaitSec = overrides.maxWaitSec ?? defaults.maxWaitSec;
  return {
    ...target,
    ...(maxWaitSec === undefined ? {} : { maxWaitSec }),
    notBefore: overrides.notBefore === undefined ? defaults.notBefore : overrides.notBefore,
    to: overrides.to ?? defaults.to,
    lead: overrides.lead === undefined ? defaults.lead : overrides.lead,
    leadType: overrides.leadType === undefined ? defaults.leadType : overrides.leadType,
    customData: overrides.customData ?? defaults.customData,
    deliveryId: overrides.deliveryId === undefined ? defaults.deliveryId : overrides.deliveryId,
    defaultCountry: overrides.defaultCountry ?? defaults.defaultCountry,
    prefix: overrides.prefix ?? defaults.prefix,
  };
}

type Lookup = { kind: 'found'; value: string; path: string } | { kind: 'missing' } | { kind: 'invalid'; path: string; message: string };

/**
 * Reads one value by its alternatives, first present wins. An object with a `value` member stands
 * for its value: HubSpot wraps each property that way (`properties.phone.value`), and so do
 * Pipedrive's phone and email lists (`data.phones.0`).
 */
export function lookup(payload: unknown, headers: Readonly<Record<string, string>>, paths: PathList): Lookup {
  for (const path of paths) {
    let value: unknown;
    if (path.startsWith('header:')) {
      value = headers[path.slice('header:'.length)];
    } else {
      value = payload;
      for (const segment of path.split('.')) value = child(value, segment);
    }
    if (isRecord(value) && Object.hasOwn(value, 'value')) value = value.value;
    if (value === undefined || value === null) continue;
    if (typeof value === 'string') {
      if (value.trim() === '') continue;
      return { kind: 'found', value: value.trim(), path };
    }
    if (typeof value === 'number' && Number.isFinite(value) && Math.abs(value) < 1e21) return { kind: 'found', value: String(value), path };
    if (typeof value === 'boolean') return { kind: 'found', value: String(value), path };
    return {
      kind: 'invalid',
      path,
      message: `is ${Array.isArray(value) ? 'a list' : 'an object'}, not a value: map a path deeper into it`,
    };
  }
  return { kind: 'missing' };
}

function child(value: unknown, segment: string): unknown {
  if (Array.isArray(value)) return /^\d{1,4}$/.test(segment) ? value[Number(segment)] : undefined;
  // Own members only: a path such as `__proto__.x` must not walk into Object.prototype.
  if (isRecord(value)) return Object.hasOwn(value, segment) ? value[segment] : undefined;
  return undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export interface MappedDelivery {
  request: CallRequest;
  /** The sender's delivery id, when the mapping found one. */
  deliveryId?: string;
}

/**
 * Turns a payload into a call request. Every problem is reported at once, each under the payload
 * path that caused it, so whoever configures the CRM can fix them in one go.
 */
export function mapPayload(payload: unknown, headers: Readonly<Record<string, string>>, mapping: EffectiveMapping): MappedDelivery {
  const errors: FieldError[] = [];
  /** Which payload path fed each field of the call request, to name it when the schema refuses a value. */
  const origin = new Map<string, string>();

  const required = (field: string, paths: PathList): string | undefined => {
    const found = lookup(payload, headers, paths);
    if (found.kind === 'found') {
      origin.set(field, found.path);
      return found.value;
    }
    if (found.kind === 'invalid') errors.push({ path: found.path, message: found.message });
    else errors.push({ path: paths[0]!, message: missingMessage(field, paths) });
    return undefined;
  };
  const optional = (field: string, paths: PathList | null): string | undefined => {
    if (!paths) return undefined;
    const found = lookup(payload, headers, paths);
    if (found.kind === 'found') {
      origin.set(field, found.path);
      return found.value;
    }
    if (found.kind === 'invalid') errors.push({ path: found.path, message: found.message });
    return undefined;
  };
  /**
   * A time as the call request takes it (RFC 3339 with an offset), or epoch milliseconds: HubSpot sends its
   * date-time properties that way. Anything else is refused under its path rather than read as "now".
   */
  const optionalTime = (field: string, paths: PathList | null): string | undefined => {
    const value = optional(field, paths);
    const path = origin.get(field);
    if (value === undefined || path === undefined) return undefined;
    if (/^\d{13}$/.test(value)) return new Date(Number(value)).toISOString();
    if (isoDateTime.safeParse(value).success) return value;
    errors.push({ path, message: TIME_MESSAGE });
    return undefined;
  };

  // A constant team is taken as it is; a path by 'team' reads the team's name from the payload. The schema below
  // refuses a name that is not a team's under the payload path it came from, as it does a bad agent.
  const target = mapping.team === undefined ? mapping.agent : null;
  const team = mapping.team ?? (target?.by === 'team' ? required('team', target.path) : undefined);
  const agentBy = target && target.by !== 'team' ? target.by : undefined;
  const agent = target && agentBy ? required('agent', target.path) : undefined;
  const to = required('to', mapping.to);
  const lead = optional('lead', mapping.lead);
  const leadType = readLeadType(mapping.leadType, (paths) => optional('lead.type', paths));
  const notBefore = optionalTime('notBefore', mapping.notBefore);
  const customData: Record<string, string> = {};
  for (const [name, paths] of Object.entries(mapping.customData)) {
    const value = optional(`customData.${name}`, paths);
    if (value !== undefined) customData[name] = value;
  }
  const deliveryId = mapping.deliveryId ? lookup(payload, headers, mapping.deliveryId) : undefined;
  if (errors.length > 0) throw new MappingError(errors);

  const candidate = {
    ...(agentBy ? { agent: { [agentBy]: agent } } : {}),
    ...(team === undefined ? {} : { team }),
    ...(mapping.maxWaitSec === undefined ? {} : { maxWaitSec: mapping.maxWaitSec }),
    ...(notBefore === undefined ? {} : { notBefore }),
    to,
    ...(lead === undefined ? {} : { lead: { id: lead, ...(leadType === undefined ? {} : { type: leadType }) } }),
    ...(Object.keys(customData).length > 0 ? { customData } : {}),
    ...(mapping.defaultCountry ? { defaultCountry: mapping.defaultCountry } : {}),
    ...(mapping.prefix ? { prefix: mapping.prefix } : {}),
  };
  const parsed = callRequestSchema.safeParse(candidate);
  if (!parsed.success) {
    throw new MappingError(
      parsed.error.issues.map((issue) => {
        const [head, second] = issue.path.map(String);
        const field =
          head === 'customData' && second
            ? `customData.${second}`
            : head === 'lead'
              ? second === 'type'
                ? 'lead.type'
                : 'lead'
              : (head ?? '');
        return { path: origin.get(field) ?? `(mapping: ${issue.path.join('.') || 'request'})`, message: issue.message };
      }),
    );
  }
  return { request: parsed.data, ...(deliveryId?.kind === 'found' ? { deliveryId: deliveryId.value } : {}) };
}

/**
 * The lead type a mapping gives: its constant, or the payload's value in lower case, translated when the source spells
 * it its own way. A value that is no lead type is left for the call request's schema to refuse under its path.
 */
function readLeadType(mapping: LeadTypeMapping | null, read: (paths: PathList) => string | undefined): string | undefined {
  if (!mapping) return undefined;
  if ('value' in mapping) return mapping.value;
  const value = read(mapping.path)?.toLowerCase();
  return value === undefined ? undefined : (mapping.values?.[value] ?? value);
}

const isoDateTime = z.iso.datetime({ offset: true });
const TIME_MESSAGE = 'a date-time with an offset (RFC 3339, e.g. 2026-03-12T14:30:00+01:00), or epoch milliseconds';

function missingMessage(field: string, paths: PathList): string {
  const others = paths.slice(1);
  return `required (mapped to ${field}) but missing${others.length ? `; also tried ${others.join(', ')}` : ''}`;
}
