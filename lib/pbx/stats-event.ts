import { JsonTooDeepError, parseJsonBounded } from '../json/bounded';
import { zonedTimeToUtc } from '../time/zone';
import { PbxError } from './errors';

/**
 * PBX Stats webhooks (Call Start, Call Answer, Call End), read tolerantly.
 *
 * Their field names are not documented precisely, accounts can rename hangup causes, and the same
 * webhook may come as a query string, a form or JSON. So every field is looked up through a list
 * of aliases (compared without case, spaces, dashes or underscores), nested JSON and bracketed
 * form names are flattened, and nothing unknown is ever an error: it is kept as sent. To accept a
 * new spelling, add it to {@link FIELD_ALIASES} or {@link EVENT_ALIASES} (and a case to the tests).
 *
 * Custom data rides along in the same events, so it must never pass for the PBX: our call id is read
 * by its exact name only, the echo of a call's custom data is set aside once the call is known, and
 * custom data names that would read as any field here are refused when a call is requested.
 */

export type PbxEventKind = 'start' | 'answer' | 'end';

/** The name under which we send our call id to the PBX, and the only one read back as it. */
export const CALL_ID_FIELD = 'c2c_call_id';

/** Field aliases, most specific first. The first alias present wins. */
export const FIELD_ALIASES = {
  event: ['event', 'call_event', 'event_type', 'event_name', 'webhook_event', 'webhook_type', 'type', 'trigger', 'action'],
  uniqueId: ['unique_id', 'uniqueid', 'pbx_unique_id', 'call_unique_id', 'call_uniqueid'],
  callId: [CALL_ID_FIELD],
  at: ['timestamp', 'event_time', 'event_timestamp', 'event_date', 'datetime', 'date', 'time', 'created_at'],
  startedAt: ['call_start', 'start_time', 'started_at', 'start_date', 'start'],
  answeredAt: ['call_answer', 'answer_time', 'answered_at', 'answer_date', 'answer'],
  endedAt: ['call_end', 'end_time', 'ended_at', 'hangup_time', 'end_date', 'end'],
  durationSec: ['duration', 'call_duration', 'total_duration', 'duration_sec'],
  billSec: ['billsec', 'bill_duration', 'bill_sec', 'billable_seconds', 'billable_duration', 'talk_time', 'talktime', 'conversation_time'],
  hangupCause: ['hangup_cause', 'hangupcause', 'cause', 'disposition', 'dial_status', 'dialstatus', 'call_status'],
  recordingUrl: ['recording_link', 'recording_url', 'recording', 'recordingfile', 'recording_file', 'record_url'],
} as const satisfies Record<string, readonly string[]>;

/** Values of the event field, normalized the same way as field names. */
export const EVENT_ALIASES: Record<PbxEventKind, readonly string[]> = {
  start: ['call_start', 'start', 'started', 'call_started', 'new_call', 'ring', 'ringing', 'call_ring', 'dial', 'dialing', 'originate'],
  answer: ['call_answer', 'answer', 'answered', 'call_answered', 'connect', 'connected', 'pickup', 'bridge'],
  end: ['call_end', 'end', 'ended', 'call_ended', 'hangup', 'call_hangup', 'hung_up', 'finished', 'completed', 'call_completed'],
};

/** Limits on what one event may store: it is kept whole, but never unbounded. */
export const EVENT_LIMITS = { maxFields: 200, maxNameLength: 128, maxValueLength: 4096, maxBodyBytes: 64 * 1024 } as const;

export type PbxEventTransport = 'query' | 'form' | 'json';

/** An event's fields as received: flat names to string values, every one kept (within {@link EVENT_LIMITS}). */
export interface RawPbxEvent {
  transport: PbxEventTransport;
  fields: Record<string, string>;
  /** Fields dropped or values cut to stay within the limits. */
  truncated: boolean;
}

/** What an event says, as far as it can be read. Absent means not sent or not readable. */
export interface PbxStatsEvent {
  /** `undefined` when the event type is present but none we know: kept, not applied. */
  kind?: PbxEventKind;
  /** The event type exactly as sent. */
  typeAsSent: string;
  uniqueId?: string;
  callId?: string;
  at?: string;
  startedAt?: string;
  answeredAt?: string;
  endedAt?: string;
  durationSec?: number;
  billSec?: number;
  hangupCause?: string;
  recordingUrl?: string;
}

/** The input cannot be read as an event at all; `field` names what is missing or broken. */
export class PbxEventFormatError extends PbxError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'PbxEventFormatError';
  }
}

const normalizeName = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');
const NORMALIZED_ALIASES = Object.fromEntries(
  Object.entries(FIELD_ALIASES).map(([field, aliases]) => [field, aliases.map(normalizeName)]),
) as Record<keyof typeof FIELD_ALIASES, string[]>;
const EVENT_BY_VALUE = new Map<string, PbxEventKind>(
  (Object.entries(EVENT_ALIASES) as Array<[PbxEventKind, readonly string[]]>).flatMap(([kind, values]) =>
    values.map((value) => [normalizeName(value), kind] as [string, PbxEventKind]),
  ),
);

/**
 * Collects the fields of a request: the query string always (PBX Stats custom parameters may ride
 * there even on a POST), then the body as JSON or as a form, whichever it is. Body fields win over
 * query fields of the same name.
 *
 * @throws {PbxEventFormatError} on a body too large, or declared JSON that does not parse or nests too deep
 */
export function readPbxEventRequest(request: { query: Record<string, string>; contentType?: string; rawBody: string }): RawPbxEvent {
  const collector = new FieldCollector();
  for (const [name, value] of Object.entries(request.query)) collector.add(name, value);
  let transport: PbxEventTransport = 'query';
  const body = request.rawBody.trim();
  if (body !== '') {
    if (Buffer.byteLength(body, 'utf8') > EVENT_LIMITS.maxBodyBytes) {
      throw new PbxEventFormatError('body', `The body is larger than ${EVENT_LIMITS.maxBodyBytes} bytes.`);
    }
    const contentType = (request.contentType ?? '').toLowerCase();
    const declaredJson = /\bjson\b/.test(contentType);
    const declaredForm = contentType.startsWith('application/x-www-form-urlencoded');
    if (declaredJson || (!declaredForm && (body.startsWith('{') || body.startsWith('[')))) {
      let parsed: unknown;
      try {
        parsed = parseJsonBounded(body);
      } catch (error) {
        if (error instanceof JsonTooDeepError) throw new PbxEventFormatError('body', error.message);
        throw new PbxEventFormatError('body', 'The body is not valid JSON.');
      }
      if (typeof parsed !== 'object' || parsed === null) throw new PbxEventFormatError('body', 'The JSON body is not an object.');
      collector.addTree('', parsed);
      transport = 'json';
    } else {
      for (const [name, value] of new URLSearchParams(body)) collector.add(name, value);
      transport = 'form';
    }
  }
  return { transport, fields: collector.fields, truncated: collector.truncated };
}

class FieldCollector {
  readonly fields: Record<string, string> = {};
  truncated = false;
  private count = 0;

  add(name: string, value: string): void {
    const key = name.slice(0, EVENT_LIMITS.maxNameLength);
    if (key !== name) this.truncated = true;
    if (!Object.hasOwn(this.fields, key)) {
      if (this.count >= EVENT_LIMITS.maxFields) {
        this.truncated = true;
        return;
      }
      this.count++;
    }
    if (value.length > EVENT_LIMITS.maxValueLength) this.truncated = true;
    this.fields[key] = value.slice(0, EVENT_LIMITS.maxValueLength);
  }

  addTree(prefix: string, value: unknown, depth = 0): void {
    if (value === null || value === undefined) {
      if (prefix) this.add(prefix, '');
    } else if (typeof value === 'object') {
      if (depth >= 5) {
        this.add(prefix, JSON.stringify(value));
        return;
      }
      for (const [name, child] of Object.entries(value)) this.addTree(prefix ? `${prefix}.${name}` : name, child, depth + 1);
    } else if (typeof value === 'string') {
      this.add(prefix || 'value', value);
    } else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
      this.add(prefix || 'value', String(value));
    }
  }
}

/** Options of {@link parsePbxStatsEvent}. */
export interface ParsePbxEventOptions {
  /** Zone of timestamps sent without an offset (UTC when absent). */
  timeZone?: string;
  /**
   * The custom data the call was placed with. PBX Stats echoes it beside its own fields, so a field
   * with one of these names and the very value we sent is the echo, not the PBX speaking: it is
   * never read as one of the event's fields, and the PBX's own field of that meaning wins.
   */
  customData?: Record<string, string>;
}

/**
 * Reads what an event says from its fields.
 *
 * Our call id is matched by its exact name only ({@link CALL_ID_FIELD}, at the top level or as the
 * last segment of a nested name), never through the tolerant normalization of the other fields: it
 * is the one field we write ourselves, so a look-alike (`c2c-call-id`, `C2C_Call_Id`) is someone else's.
 *
 * @throws {PbxEventFormatError} when no event type is given, or neither a unique id nor our call id
 */
export function parsePbxStatsEvent(fields: Record<string, string>, options: ParsePbxEventOptions = {}): PbxStatsEvent {
  const own = options.customData ? withoutEcho(fields, options.customData) : fields;
  const lookup = indexFields(own);
  const get = (field: keyof typeof FIELD_ALIASES) => {
    for (const alias of NORMALIZED_ALIASES[field]) {
      const value = lookup.get(alias);
      if (value !== undefined && value.trim() !== '') return value.trim();
    }
    return undefined;
  };

  const typeAsSent = get('event');
  if (typeAsSent === undefined) {
    throw new PbxEventFormatError(
      'event',
      `No event type: send one of the fields ${FIELD_ALIASES.event.slice(0, 3).join(', ')} (e.g. "Call Start").`,
    );
  }
  const uniqueId = get('uniqueId');
  const callId = exactCallId(own);
  if (uniqueId === undefined && callId === undefined) {
    throw new PbxEventFormatError('unique_id', 'No call identifier: send unique_id, or c2c_call_id as a custom parameter.');
  }
  const time = (field: keyof typeof FIELD_ALIASES) => parseTimestamp(get(field), options.timeZone);
  const event: PbxStatsEvent = {
    kind: EVENT_BY_VALUE.get(normalizeName(typeAsSent)),
    typeAsSent,
    uniqueId,
    callId,
    at: time('at'),
    startedAt: time('startedAt'),
    answeredAt: time('answeredAt'),
    endedAt: time('endedAt'),
    durationSec: parseSeconds(get('durationSec')),
    billSec: parseSeconds(get('billSec')),
    hangupCause: get('hangupCause'),
    recordingUrl: get('recordingUrl'),
  };
  return Object.fromEntries(Object.entries(event).filter(([, v]) => v !== undefined)) as unknown as PbxStatsEvent;
}

/** Where a field is found: its last name segment, and whether it is nested (`custom.x`, `custom_fields[x]`). */
function placeOf(name: string): { segment: string; nested: boolean } {
  const segments = name.split(/[.[\]]+/).filter(Boolean);
  return segments.length <= 1 ? { segment: name, nested: false } : { segment: segments.at(-1) ?? '', nested: true };
}

/**
 * Which of the parser's fields a field named `name` would be read as, if any: the very matching the
 * parser applies (last segment, normalized, every alias), and also the whole name normalized (`unique.id`),
 * in case an account echoes a dotted name flat; for our call id its normalized look-alikes too, though the
 * parser reads only the exact name. Custom data must never be sent under such a name: it comes back in
 * the events beside the PBX's own fields (lib/calls/request.ts refuses it).
 */
export function pbxEventFieldOf(name: string): keyof typeof FIELD_ALIASES | undefined {
  const keys = [normalizeName(placeOf(name).segment), normalizeName(name)].filter((key) => key !== '');
  return (Object.keys(NORMALIZED_ALIASES) as Array<keyof typeof FIELD_ALIASES>).find((field) =>
    keys.some((key) => NORMALIZED_ALIASES[field].includes(key)),
  );
}

/** Our call id: the exact top-level name first, then the exact last segment of a nested name. */
function exactCallId(fields: Record<string, string>): string | undefined {
  let nested: string | undefined;
  for (const [name, raw] of Object.entries(fields)) {
    const value = raw.trim();
    if (value === '') continue;
    if (name === CALL_ID_FIELD) return value;
    const place = placeOf(name);
    if (nested === undefined && place.nested && place.segment === CALL_ID_FIELD) nested = value;
  }
  return nested;
}

/** The fields without the echo of our custom data (same name, at the top level or nested, and same value). */
function withoutEcho(fields: Record<string, string>, customData: Record<string, string>): Record<string, string> {
  const isEcho = (name: string, value: string) => {
    for (const candidate of [name, placeOf(name).segment]) {
      if (Object.hasOwn(customData, candidate) && customData[candidate]?.trim() === value.trim()) return true;
    }
    return false;
  };
  return Object.fromEntries(Object.entries(fields).filter(([name, value]) => !isEcho(name, value)));
}

/**
 * Normalized name -> value. A top-level name wins over a nested one (`custom.duration`,
 * `custom_fields[duration]`), which is found by its last segment.
 */
function indexFields(fields: Record<string, string>): Map<string, string> {
  const topLevel = new Map<string, string>();
  const nested = new Map<string, string>();
  for (const [name, value] of Object.entries(fields)) {
    const place = placeOf(name);
    const key = normalizeName(place.segment);
    const index = place.nested ? nested : topLevel;
    if (!index.has(key)) index.set(key, value);
  }
  for (const [key, value] of nested) if (!topLevel.has(key)) topLevel.set(key, value);
  return topLevel;
}

const ZONELESS = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/;
const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})$/i;

/** ISO 8601 with an offset, `YYYY-MM-DD HH:mm:ss` in the given zone, or Unix seconds/milliseconds. */
export function parseTimestamp(value: string | undefined, timeZone = 'UTC'): string | undefined {
  if (value === undefined) return undefined;
  if (/^\d{9,10}(\.\d+)?$/.test(value)) return new Date(Number(value) * 1000).toISOString();
  if (/^\d{12,13}$/.test(value)) return new Date(Number(value)).toISOString();
  const zoneless = ZONELESS.exec(value);
  if (zoneless) {
    const [year, month, day, hour, minute, second] = zoneless.slice(1, 7).map((part) => Number(part ?? 0)) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const ms = zoneless[7] ? Math.round(Number(`0.${zoneless[7]}`) * 1000) : 0;
    const date = zonedTimeToUtc({ year, month, day, hour, minute, second, ms }, timeZone);
    return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
  }
  if (WITH_OFFSET.test(value)) {
    const date = new Date(value.replace(' ', 'T').replace(/\s+/g, ''));
    return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
  }
  return undefined;
}

/** Seconds as `42`, `42.5`, `00:00:42` or `0:42`; anything else is not read (and kept raw). */
export function parseSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const clock = /^(?:(\d+):)?(\d{1,2}):(\d{2})$/.exec(value);
  if (clock) return Number(clock[1] ?? 0) * 3600 + Number(clock[2]) * 60 + Number(clock[3]);
  return undefined;
}
