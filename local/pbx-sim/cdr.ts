/** The simulated PBX Stats CDRs: one per call the simulator really placed, and their search. */

import { DEFAULT_PLAYOUT, planCall, type CallPlan } from './playout';

/** A call record as the PBX Stats CDR search API returns it. */
export interface Cdr {
  uniqueid: string;
  /** ISO 8601, UTC. */
  call_start: string;
  /** ISO 8601, UTC. */
  call_end: string;
  /** Seconds from call start to hangup. */
  duration: number;
  /** Seconds from answer to hangup. */
  bill_duration: number;
  /** The dialled destination, prefix included, as the Click2Call answer echoes `leg_b`. */
  destination: string;
  /** The agent's extension (`leg_a`). */
  extension: string;
  hangup_cause: string;
  recording_link: string;
  /** The custom data of the Click2Call GET (its query string). */
  custom_fields: Record<string, string>;
}

/** A call the simulator placed: what the CDR is made from. */
export interface PlacedCall {
  uniqueId: string;
  legA: string;
  legB: string;
  prefix?: string;
  customFields: Record<string, string>;
  placedAt: Date;
}

/** The search filters of `POST /api/cdrs`. */
export interface CdrFilters {
  uniqueid?: string;
  hangup_cause?: string;
  /** Inclusive lower bound on `call_start`. */
  from?: Date;
  /** Exclusive upper bound on `call_start`. */
  until?: Date;
  /** Every other form field: must equal the CDR's custom field of that name. */
  customFields: Record<string, string>;
}

/** A search form that cannot be read (an unparseable date). */
export class CdrFilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CdrFilterError';
  }
}

const RECORDING_HOST = 'https://sim.pbx.commpeak.local';

/**
 * The one place a placed call becomes a CDR, from the same plan that its webhooks play out
 * (by default: answered after 2 s, 40 s of talk).
 */
export function createCdr(call: PlacedCall, plan: CallPlan = planCall(DEFAULT_PLAYOUT)): Cdr {
  const callEnd = new Date(call.placedAt.getTime() + plan.endAfterMs);
  return {
    uniqueid: call.uniqueId,
    call_start: call.placedAt.toISOString(),
    call_end: callEnd.toISOString(),
    duration: plan.durationSec,
    bill_duration: plan.billSec,
    destination: `${call.prefix ?? ''}${call.legB}`,
    extension: call.legA,
    hangup_cause: plan.hangupCause,
    recording_link: recordingLinkOf(call.uniqueId, plan),
    custom_fields: { ...call.customFields },
  };
}

/** Answered calls are recorded; the others have no recording. */
export function recordingLinkOf(uniqueId: string, plan: CallPlan): string {
  return plan.billSec > 0 ? `${RECORDING_HOST}/recordings/${encodeURIComponent(uniqueId)}.mp3` : '';
}

/**
 * Reads the form of a CDR search. `date_from` / `date_to` accept `YYYY-MM-DD`, `YYYY-MM-DD HH:mm:ss` (UTC)
 * or ISO 8601; a bare `date_to` date includes that whole day.
 *
 * @throws {CdrFilterError} on a date that cannot be read
 */
export function parseCdrFilters(form: URLSearchParams): CdrFilters {
  const filters: CdrFilters = { customFields: {} };
  for (const [name, value] of form) {
    switch (name) {
      case 'uniqueid':
        filters.uniqueid = value;
        break;
      case 'hangup_cause':
        filters.hangup_cause = value;
        break;
      case 'date_from':
        filters.from = parseDateBound(name, value, false);
        break;
      case 'date_to':
        filters.until = parseDateBound(name, value, true);
        break;
      default:
        filters.customFields[name] = value;
    }
  }
  return filters;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME_WITHOUT_ZONE = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

function parseDateBound(name: string, value: string, isUpperBound: boolean): Date {
  let date: Date;
  if (DATE_ONLY.test(value)) {
    date = new Date(`${value}T00:00:00Z`);
    if (isUpperBound) date = new Date(date.getTime() + 24 * 3600 * 1000);
  } else if (DATE_TIME_WITHOUT_ZONE.test(value)) {
    date = new Date(`${value.replace(' ', 'T')}Z`);
  } else {
    date = new Date(value);
  }
  if (Number.isNaN(date.getTime())) throw new CdrFilterError(`${name} is not a date: ${value}`);
  return date;
}

/** Whether a CDR passes every filter. */
export function cdrMatches(cdr: Cdr, filters: CdrFilters): boolean {
  if (filters.uniqueid !== undefined && cdr.uniqueid !== filters.uniqueid) return false;
  if (filters.hangup_cause !== undefined && cdr.hangup_cause !== filters.hangup_cause) return false;
  const start = Date.parse(cdr.call_start);
  if (filters.from !== undefined && start < filters.from.getTime()) return false;
  if (filters.until !== undefined && start >= filters.until.getTime()) return false;
  return Object.entries(filters.customFields).every(
    ([name, value]) => Object.hasOwn(cdr.custom_fields, name) && cdr.custom_fields[name] === value,
  );
}

/** CDRs by unique id, oldest dropped first beyond `capacity`. */
export class CdrStore {
  readonly #byUniqueId = new Map<string, Cdr>();

  constructor(private readonly capacity: number) {}

  add(cdr: Cdr): void {
    this.#byUniqueId.set(cdr.uniqueid, cdr);
    if (this.#byUniqueId.size > this.capacity) {
      const oldest = this.#byUniqueId.keys().next();
      if (!oldest.done) this.#byUniqueId.delete(oldest.value);
    }
  }

  search(filters: CdrFilters): Cdr[] {
    return [...this.#byUniqueId.values()].filter((cdr) => cdrMatches(cdr, filters));
  }

  all(): Cdr[] {
    return [...this.#byUniqueId.values()];
  }
}
