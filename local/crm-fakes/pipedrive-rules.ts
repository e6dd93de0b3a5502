/**
 * What the Pipedrive fake (./pipedrive.ts) checks of `POST /api/v1/callLogs`, from Pipedrive's API reference, "Add a
 * call log" (docs/crm-logging.md, "Sources"): the required fields, the types, the outcome enum, the
 * `YYYY-MM-DD HH:MM:SS` times, the UUID of `lead_id`, a deal or a lead but not both. The messages follow the
 * reference's one example (`"outcome" is required.`).
 *
 * Unknown fields: the reference does not say whether Pipedrive refuses or ignores them; the fake refuses them, so that
 * a misspelt field fails a test instead of vanishing from the CRM (docs/crm-logging.md, "Pipedrive", limits).
 */

export const OUTCOMES = ['connected', 'no_answer', 'left_message', 'left_voicemail', 'wrong_number', 'busy'] as const;

const INTEGER_FIELDS = ['user_id', 'activity_id', 'person_id', 'org_id', 'deal_id'] as const;
const STRING_FIELDS = [
  'subject',
  'duration',
  'outcome',
  'from_phone_number',
  'to_phone_number',
  'start_time',
  'end_time',
  'lead_id',
  'note',
] as const;
const REQUIRED = ['to_phone_number', 'outcome', 'start_time', 'end_time'] as const;
const KNOWN = new Set<string>([...INTEGER_FIELDS, ...STRING_FIELDS]);

const TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A body the fake accepted: the reference's fields, typed. */
export interface CallLogInput {
  outcome: (typeof OUTCOMES)[number];
  to_phone_number: string;
  start_time: string;
  end_time: string;
  user_id?: number;
  activity_id?: number;
  person_id?: number;
  org_id?: number;
  deal_id?: number;
  lead_id?: string;
  subject?: string;
  duration?: string;
  from_phone_number?: string;
  note?: string;
}

/** The first thing wrong with a body, in Pipedrive's words (a 400), or the body as accepted. */
export function validateCallLog(body: unknown): { ok: true; input: CallLogInput } | { ok: false; error: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, error: '"value" must be of type object' };
  const fields = body as Record<string, unknown>;
  for (const key of Object.keys(fields)) if (!KNOWN.has(key)) return { ok: false, error: `"${key}" is not allowed` };
  for (const key of REQUIRED) if (fields[key] === undefined || fields[key] === null) return { ok: false, error: `"${key}" is required.` };
  for (const key of INTEGER_FIELDS) {
    const value = fields[key];
    if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < 1))
      return { ok: false, error: `"${key}" must be a positive integer` };
  }
  for (const key of STRING_FIELDS) {
    const value = fields[key];
    if (value !== undefined && typeof value !== 'string') return { ok: false, error: `"${key}" must be a string` };
  }
  if (fields.to_phone_number === '') return { ok: false, error: '"to_phone_number" is not allowed to be empty' };
  if (!(OUTCOMES as readonly unknown[]).includes(fields.outcome))
    return { ok: false, error: `"outcome" must be one of [${OUTCOMES.join(', ')}]` };
  for (const key of ['start_time', 'end_time'] as const)
    if (!isPipedriveTime(fields[key] as string)) return { ok: false, error: `"${key}" must be in format YYYY-MM-DD HH:MM:SS` };
  if (typeof fields.duration === 'string' && !/^\d+$/.test(fields.duration))
    return { ok: false, error: '"duration" must be the duration of the call in seconds' };
  if (typeof fields.lead_id === 'string' && !UUID.test(fields.lead_id)) return { ok: false, error: '"lead_id" must be a valid GUID' };
  if (fields.deal_id !== undefined && fields.lead_id !== undefined)
    return { ok: false, error: 'A call log can be associated with either a deal or a lead, but not both at once.' };
  return { ok: true, input: fields as unknown as CallLogInput };
}

/** `YYYY-MM-DD HH:MM:SS` naming a real instant (no 25:00, no 31 February). */
export function isPipedriveTime(text: string): boolean {
  const match = TIME.exec(text);
  if (!match) return false;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  const at = new Date(Date.UTC(y!, mo! - 1, d, h, mi, s));
  return (
    at.getUTCFullYear() === y &&
    at.getUTCMonth() === mo! - 1 &&
    at.getUTCDate() === d &&
    at.getUTCHours() === h &&
    at.getUTCMinutes() === mi &&
    at.getUTCSeconds() === s
  );
}
