/**
 * The stand-in Salesforce org's data model: record ids, the records a Task can point at, and the Task object's fields
 * as the Object Reference describes them (types, lengths, picklists, what may be set on create and on update), with
 * the refusals the REST API answers (`[{message, errorCode, fields}]`). Written apart from the transport's own
 * helpers (lib/notify/transports/salesforce-fields.ts), so that a mistake there is not repeated here.
 */

export interface SalesforceError {
  message: string;
  errorCode: string;
  fields: string[];
}

export type RecordType = 'Lead' | 'Contact' | 'Account' | 'Opportunity' | 'Case' | 'User' | 'Task';

export const KEY_PREFIXES: Record<RecordType, string> = {
  Lead: '00Q',
  Contact: '003',
  Account: '001',
  Opportunity: '006',
  Case: '500',
  User: '005',
  Task: '00T',
};

const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/** The 18-character form of a 15-character id: a letter per 5 characters saying which of them are capitals. */
export function to18(id15: string): string {
  let suffix = '';
  for (let start = 0; start < 15; start += 5) {
    let flags = 0;
    [...id15.slice(start, start + 5)].forEach((c, i) => {
      if (/[A-Z]/.test(c)) flags += 2 ** i;
    });
    suffix += SUFFIX_ALPHABET[flags];
  }
  return id15 + suffix;
}

/** The 15-character id an id names, or undefined when it is not one (wrong length, characters, or case-safe suffix). */
export function canonicalId(id: string): string | undefined {
  if (!/^[A-Za-z0-9]+$/.test(id) || (id.length !== 15 && id.length !== 18)) return undefined;
  if (id.length === 18 && to18(id.slice(0, 15)).slice(15) !== id.slice(15).toUpperCase()) return undefined;
  return id.slice(0, 15);
}

type FieldType = 'id' | 'reference' | 'string' | 'textarea' | 'combobox' | 'picklist' | 'date' | 'datetime' | 'int' | 'boolean';

export interface FieldSpec {
  label: string;
  type: FieldType;
  createable: boolean;
  updateable: boolean;
  nillable: boolean;
  length?: number;
  picklist?: string[];
  /** Values the picklist shows but the API refuses (Cadence: Sales Engagement's own). */
  notSettable?: string[];
  restricted?: boolean;
  refersTo?: RecordType[];
  defaultValue?: string;
}

const f = (label: string, type: FieldType, extra: Partial<FieldSpec> = {}): FieldSpec => ({
  label,
  type,
  createable: true,
  updateable: true,
  nillable: true,
  ...extra,
});
const readOnly = { createable: false, updateable: false };

/** The Task fields of the call-center feature: an org (or a run-as user) without it sees none of them. */
export const CALL_CENTER_FIELDS = ['CallType', 'CallDurationInSeconds', 'CallDisposition', 'CallObject'];

/** Task's fields (Object Reference, Task), those a call log touches and the read-only ones beside them. */
export const TASK_FIELDS: Record<string, FieldSpec> = {
  Id: f('Activity ID', 'id', { ...readOnly, nillable: false, length: 18 }),
  WhoId: f('Name ID', 'reference', { refersTo: ['Lead', 'Contact'], length: 18 }),
  WhatId: f('Related To ID', 'reference', { refersTo: ['Account', 'Opportunity', 'Case'], length: 18 }),
  OwnerId: f('Assigned To ID', 'reference', { refersTo: ['User'], nillable: false, length: 18 }),
  Subject: f('Subject', 'combobox', { length: 255 }),
  ActivityDate: f('Due Date Only', 'date'),
  Status: f('Status', 'picklist', {
    nillable: false,
    picklist: ['Not Started', 'In Progress', 'Completed', 'Waiting on someone else', 'Deferred'],
    restricted: true,
    defaultValue: 'Not Started',
  }),
  Priority: f('Priority', 'picklist', { nillable: false, picklist: ['High', 'Normal', 'Low'], restricted: true, defaultValue: 'Normal' }),
  Description: f('Description', 'textarea', { length: 32_000 }),
  Type: f('Type', 'picklist', { picklist: ['Call', 'Email', 'Meeting', 'Other'] }),
  TaskSubtype: f('Task Subtype', 'picklist', {
    updateable: false,
    picklist: ['Task', 'Email', 'ListEmail', 'Cadence', 'Call', 'LinkedIn'],
    notSettable: ['Cadence'],
    restricted: true,
  }),
  CallType: f('Call Type', 'picklist', { picklist: ['Inbound', 'Internal', 'Outbound'], restricted: true }),
  CallDurationInSeconds: f('Call Duration', 'int'),
  CallDisposition: f('Call Result', 'string', { length: 255 }),
  CallObject: f('Call Object Identifier', 'string', { length: 255 }),
  IsReminderSet: f('Reminder Set', 'boolean', { nillable: false }),
  ReminderDateTime: f('Reminder Date/Time', 'datetime'),
  AccountId: f('Account ID', 'reference', { ...readOnly, refersTo: ['Account'] }),
  IsClosed: f('Closed', 'boolean', { ...readOnly, nillable: false }),
  CreatedDate: f('Created Date', 'datetime', { ...readOnly, nillable: false }),
};

const err = (errorCode: string, message: string, fields: string[] = []): SalesforceError => ({ errorCode, message, fields });

/** How the org resolves a reference: the type of the record an id names, if it exists. */
export type RecordLookup = (id15: string) => RecordType | undefined;

/**
 * The refusals of a Task create or update, in the order Salesforce reports them: the body's shape and field names
 * first (nothing else is looked at then), values' formats next, then each value against the field and the org.
 */
export function taskRefusals(
  body: unknown,
  operation: 'create' | 'update',
  fields: Record<string, FieldSpec>,
  lookup: RecordLookup,
): SalesforceError[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return [err('JSON_PARSER_ERROR', 'Cannot deserialize instance of Task from the request body: a JSON object is expected')];
  }
  const entries = Object.entries(body as Record<string, unknown>).filter(([name]) => name !== 'attributes');
  const unknown = entries.filter(([name]) => !fields[name]);
  if (unknown.length > 0) return unknown.map(([name]) => err('INVALID_FIELD', `No such column '${name}' on sobject of type Task`));
  const closed = entries
    .filter(([name]) => !(operation === 'create' ? fields[name]!.createable : fields[name]!.updateable))
    .map(([n]) => n);
  if (closed.length > 0) {
    return [
      err(
        'INVALID_FIELD_FOR_INSERT_UPDATE',
        `Unable to create/update fields: ${closed.join(', ')}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
        closed,
      ),
    ];
  }
  for (const [name, value] of entries) {
    const problem = formatProblem(fields[name]!, value);
    if (problem) return [err('JSON_PARSER_ERROR', `Cannot deserialize instance of ${problem} for field ${name}`)];
  }
  const errors: SalesforceError[] = [];
  for (const [name, value] of entries) {
    const spec = fields[name]!;
    // Past the format check a value is a string, a number or a boolean.
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    if (value === null || value === '') {
      if (!spec.nillable) errors.push(err('REQUIRED_FIELD_MISSING', `Required fields are missing: [${name}]`, [name]));
      continue;
    }
    if (spec.length !== undefined && typeof value === 'string' && value.length > spec.length && spec.type !== 'reference') {
      errors.push(
        err('STRING_TOO_LONG', `${spec.label}: data value too large: ${value.slice(0, 20)}... (max length=${spec.length})`, [name]),
      );
    }
    if (spec.type === 'picklist' && spec.restricted && (!spec.picklist!.includes(text) || spec.notSettable?.includes(text))) {
      errors.push(
        err('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', `${spec.label}: bad value for restricted picklist field: ${text}`, [name]),
      );
    }
    if (spec.type === 'reference') {
      const id15 = canonicalId(text);
      const type = id15 === undefined ? undefined : lookup(id15);
      if (id15 === undefined) errors.push(err('MALFORMED_ID', `${spec.label}: id value of incorrect type: ${text}`, [name]));
      else if (type === undefined) errors.push(err('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', [name]));
      else if (!spec.refersTo!.includes(type))
        errors.push(err('FIELD_INTEGRITY_EXCEPTION', `${spec.label}: id value of incorrect type: ${text}`, [name]));
    }
  }
  return errors;
}

/** Why a JSON value cannot be read as the field's type (Salesforce's deserializer refuses it before any rule runs). */
function formatProblem(spec: FieldSpec, value: unknown): string | undefined {
  if (value === null) return undefined;
  switch (spec.type) {
    case 'int':
      return typeof value === 'number' && Number.isInteger(value) ? undefined : `int from ${JSON.stringify(value)}`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `boolean from ${JSON.stringify(value)}`;
    case 'date':
      return typeof value === 'string' && isIsoDate(value) ? undefined : `date from ${JSON.stringify(value)} (expected YYYY-MM-DD)`;
    case 'datetime':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? undefined : `datetime from ${JSON.stringify(value)}`;
    default:
      return typeof value === 'string' ? undefined : `string from ${JSON.stringify(value)}`;
  }
}

function isIsoDate(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return false;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return date.toISOString().slice(0, 10) === value;
}

/** The describe of Task as a user sees it (`GET /sobjects/Task/describe`): the shape the transport's check reads. */
export function taskDescribe(fields: Record<string, FieldSpec>, createable: boolean): Record<string, unknown> {
  return {
    name: 'Task',
    label: 'Task',
    keyPrefix: KEY_PREFIXES.Task,
    createable,
    updateable: createable,
    queryable: true,
    fields: Object.entries(fields).map(([name, spec]) => ({
      name,
      label: spec.label,
      type: spec.type,
      length: spec.length ?? 0,
      createable: createable && spec.createable,
      updateable: createable && spec.updateable,
      nillable: spec.nillable,
      filterable: true,
      restrictedPicklist: spec.restricted ?? false,
      defaultedOnCreate: spec.defaultValue !== undefined || name === 'OwnerId',
      referenceTo: spec.refersTo ?? [],
      picklistValues: (spec.picklist ?? []).map((value) => ({
        value,
        label: value,
        active: true,
        defaultValue: value === spec.defaultValue,
      })),
    })),
  };
}
