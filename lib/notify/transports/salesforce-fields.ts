import type { LoggableState } from '../../model/crm-connection';
import type { StoredCall } from '../../store/calls';
import type { SequencedEvent } from '../transport';

/**
 * The REST API version every request names (docs/crm-logging.md, "Salesforce"): Winter '25. Pinned, so a new
 * release cannot change what our requests mean unseen; Salesforce supports a version at least three years.
 */
export const SALESFORCE_API_VERSION = 'v62.0';

/** Field lengths of the Task object (Object Reference, Task). */
const SUBJECT_MAX = 255;
const DESCRIPTION_MAX = 32_000;
const CALL_DISPOSITION_MAX = 255;
const CALL_OBJECT_MAX = 255;

/** What the call came to, as Salesforce's Call Result (`CallDisposition`, free text): one value per final state. */
export const CALL_DISPOSITIONS: Record<LoggableState, string> = {
  completed: 'Connected',
  no_answer: 'No answer',
  busy: 'Busy',
  failed: 'Failed',
  rejected: 'Rejected',
  not_sent: 'Not sent',
  cancelled: 'Cancelled',
};

/** The key prefixes of the two kinds a Task's `WhoId` takes; every other record is its `WhatId`. */
const WHO_PREFIXES: Record<string, string> = { '00Q': 'Lead', '003': 'Contact' };
const USER_PREFIX = '005';

const CHECKSUM_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/**
 * A Salesforce record id: 15 case-sensitive characters, or those and the 3-character case-safe suffix that encodes
 * which of them are upper case (each 5-character chunk's upper-case positions as a 5-bit index).
 */
export function isSalesforceId(id: string): boolean {
  if (!/^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/.test(id)) return false;
  return id.length === 15 || id.slice(15).toUpperCase() === caseSafeSuffix(id.slice(0, 15));
}

export function caseSafeSuffix(id15: string): string {
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15.charAt(chunk * 5 + i);
      if (c >= 'A' && c <= 'Z') bits |= 1 << i;
    }
    suffix += CHECKSUM_ALPHABET.charAt(bits);
  }
  return suffix;
}

/** Where a lead id goes on the Task: Leads and Contacts are the Who (a person), any other record the What. */
export function relationOf(leadId: string): { field: 'WhoId' | 'WhatId'; kind: string } {
  const kind = WHO_PREFIXES[leadId.slice(0, 3)];
  return kind ? { field: 'WhoId', kind } : { field: 'WhatId', kind: `record ${leadId.slice(0, 3)}` };
}

/** The Task fields of a call: what a create sends, and what an update of the same Task sends (no create-only field). */
export interface TaskFields {
  create: Record<string, string | number>;
  update: Record<string, string | number>;
}

/**
 * The Task that logs `call` at its final `event` (docs/crm-logging.md has the table). A lead id that is no Salesforce
 * id cannot be logged anywhere: the reason, for a dead letter. The owner is the agent when its crmUserId is a User id;
 * otherwise the field is left out and Salesforce makes the connected app's run-as user the owner.
 */
export function taskFieldsOf(call: StoredCall, event: SequencedEvent): TaskFields | { error: string } {
  const leadId = call.lead?.id ?? '';
  if (!isSalesforceId(leadId))
    return { error: 'lead.id is not a Salesforce record id (15 or 18 letters and digits): nothing to log the call on' };
  const state = event.state as LoggableState;
  const disposition = CALL_DISPOSITIONS[state] ?? event.state;
  const ownerId = call.agent.crmUserId;
  const common: Record<string, string | number> = {
    Subject: cut(`Outbound call: ${disposition}`, SUBJECT_MAX),
    Status: 'Completed',
    ActivityDate: activityDateOf(call, event),
    CallType: 'Outbound',
    CallDurationInSeconds: talkSecondsOf(call, state),
    CallDisposition: cut(disposition, CALL_DISPOSITION_MAX),
    CallObject: cut(call.callId, CALL_OBJECT_MAX),
    Description: cut(descriptionOf(call, event, disposition), DESCRIPTION_MAX),
    [relationOf(leadId).field]: leadId,
    ...(ownerId && isSalesforceId(ownerId) && ownerId.startsWith(USER_PREFIX) ? { OwnerId: ownerId } : {}),
  };
  // TaskSubtype is set on create only: Salesforce refuses it on update.
  return { create: { TaskSubtype: 'Call', ...common }, update: common };
}

/** Talk time: the PBX's billed seconds of an answered call (else its answer-to-end time); 0 for a call never answered. */
export function talkSecondsOf(call: StoredCall, state: string): number {
  if (state !== 'completed') return 0;
  const { billSec, answeredAt, endedAt } = call.outcome;
  if (typeof billSec === 'number' && billSec >= 0) return Math.round(billSec);
  if (answeredAt && endedAt) return Math.max(0, Math.round((Date.parse(endedAt) - Date.parse(answeredAt)) / 1000));
  return 0;
}

/** The day the call was placed (its `dialing` event, else the final one), in UTC: Salesforce keeps the date at midnight UTC. */
export function activityDateOf(call: StoredCall, event: SequencedEvent): string {
  const placed = call.events.find((e) => e.state === 'dialing')?.at ?? event.at;
  return new Date(placed).toISOString().slice(0, 10);
}

function descriptionOf(call: StoredCall, event: SequencedEvent, disposition: string): string {
  const agent = call.agent.crmUserId ?? call.agent.email ?? call.agent.extension ?? call.routing?.chosen ?? 'unknown';
  const { hangupCause, billSec, recordingUrl } = call.outcome;
  const lines = [
    `Outbound call to ${call.to} by agent ${agent}.`,
    `Outcome: ${disposition}${event.state === 'completed' && typeof billSec === 'number' ? ` (${Math.round(billSec)} s talk time)` : ''}.`,
    ...(call.reason ? [`Reason: ${call.reason}`] : []),
    ...(hangupCause ? [`Hangup cause: ${hangupCause}`] : []),
    ...(recordingUrl ? [`Recording: ${recordingUrl}`] : []),
    `Click-to-call id: ${call.callId}`,
  ];
  return lines.join('\n');
}

const cut = (text: string, max: number) => (text.length > max ? text.slice(0, max) : text);

/** A SOQL string literal: quotes, backslashes and the control escapes SOQL knows are escaped (SOQL reference, "Quoted String Escape Sequences"). */
export function soqlString(value: string): string {
  const escaped = value.replace(/[\\'"\n\r\t\b\f]/g, (c) => ESCAPES[c]!);
  return `'${escaped}'`;
}
const ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '"': '\\"',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

/** The look-up of the Task an earlier attempt may have created: by our call id, kept in `CallObject`. */
export function lookupQuery(callId: string): string {
  return `SELECT Id FROM Task WHERE CallObject = ${soqlString(callId)} ORDER BY CreatedDate ASC LIMIT 1`;
}

/** Salesforce's error array (`[{message, errorCode, fields}]`) in its own words, cut short; undefined when the body is not one. */
export function errorWordsOf(body: unknown): { codes: string[]; words: string } | undefined {
  if (!Array.isArray(body) || body.length === 0) return undefined;
  const errors = body.filter((e): e is { errorCode?: unknown; message?: unknown; fields?: unknown } => typeof e === 'object' && e !== null);
  const codes = errors.map((e) => (typeof e.errorCode === 'string' ? e.errorCode : 'UNKNOWN'));
  const words = errors
    .map((e, i) => {
      const fields = Array.isArray(e.fields) && e.fields.length > 0 ? ` [${e.fields.filter((f) => typeof f === 'string').join(', ')}]` : '';
      return `${codes[i]}: ${typeof e.message === 'string' ? e.message : ''}${fields}`;
    })
    .join('; ');
  // Salesforce quotes a refused value in its message ("data value too large: ..."): a number in it is masked.
  return { codes, words: maskDigitRuns(words).slice(0, 300) };
}

/**
 * Runs of 8 or more digits standing alone (a phone number, perhaps) masked as the logs mask numbers
 * (lib/policy/phone.ts, `maskNumber`), written here so the notifier's bundle stays free of the phone metadata.
 */
export function maskDigitRuns(text: string): string {
  return text.replace(/(?<![0-9A-Za-z])(\+?)(\d{8,})(?![0-9A-Za-z])/g, (_, plus: string, digits: string) => {
    const head = plus ? `+${digits.slice(0, 2)}` : '';
    return `${head}${'*'.repeat(digits.length - 3 - (plus ? 2 : 0))}${digits.slice(-3)}`;
  });
}

/** The Task fields logging needs, and whether each must be createable (describe's words) for the run-as user. */
const NEEDED_FIELDS = [
  'Subject',
  'Status',
  'ActivityDate',
  'TaskSubtype',
  'CallType',
  'CallDurationInSeconds',
  'CallDisposition',
  'CallObject',
  'Description',
  'WhoId',
  'WhatId',
  'OwnerId',
];

interface DescribedField {
  name?: unknown;
  createable?: unknown;
  filterable?: unknown;
  picklistValues?: unknown;
}

/**
 * What the Task describe (`GET /sobjects/Task/describe`, as the run-as user) says is missing for logging, in words
 * an admin can act on; an empty list when nothing is.
 */
export function taskDescribeProblems(describe: unknown): string[] {
  if (typeof describe !== 'object' || describe === null) return ['the Task describe is not a JSON object'];
  const object = describe as { createable?: unknown; queryable?: unknown; fields?: unknown };
  const problems: string[] = [];
  if (object.createable !== true)
    problems.push('the run-as user cannot create Tasks (Task is not createable: grant the "Edit Tasks" permission)');
  if (object.queryable !== true) problems.push('the run-as user cannot query Tasks (Task is not queryable)');
  const fields = new Map(
    (Array.isArray(object.fields) ? (object.fields as DescribedField[]) : []).map((f) => [typeof f.name === 'string' ? f.name : '', f]),
  );
  const missing = NEEDED_FIELDS.filter((name) => fields.get(name)?.createable !== true);
  if (missing.length > 0) problems.push(`Task fields missing or not createable for the run-as user: ${missing.join(', ')}`);
  if (fields.get('CallObject') && fields.get('CallObject')?.filterable !== true) problems.push('Task.CallObject is not filterable');
  for (const [field, value] of [
    ['Status', 'Completed'],
    ['TaskSubtype', 'Call'],
    ['CallType', 'Outbound'],
  ] as const) {
    const described = fields.get(field);
    if (described && !hasActiveValue(described.picklistValues, value))
      problems.push(`Task.${field} has no active picklist value '${value}'`);
  }
  return problems;
}

function hasActiveValue(values: unknown, value: string): boolean {
  return Array.isArray(values) && values.some((v: { value?: unknown; active?: unknown }) => v?.value === value && v?.active === true);
}
