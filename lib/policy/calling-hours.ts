import type { CallingHours, CallingWindow } from '../model/call-policy';

/**
 * The calling hours as an operator writes them: `Mon-Fri 09:00-13:00,14:00-20:00; Sat 10:00-14:00`. Groups are
 * separated by `;`; each names its days (`Mon`, `Mon-Fri`, `Mon,Wed,Fri`, `daily`) and then its windows (`HH:MM-HH:MM`,
 * separated by commas), local to the lead. A window whose end is before its start runs past midnight.
 */

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
/** Monday first, as a working week is read. */
const WEEK_ORDER = [1, 2, 3, 4, 5, 6, 0];
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

export class CallingHoursSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CallingHoursSyntaxError';
  }
}

/** Parses the text form; throws {@link CallingHoursSyntaxError} naming what is wrong. */
export function parseCallingHours(text: string): CallingHours {
  const groups = text
    .split(';')
    .map((g) => g.trim())
    .filter((g) => g !== '');
  if (groups.length === 0) throw new CallingHoursSyntaxError('no hours given (write e.g. "Mon-Fri 09:00-18:00", or none)');
  const windows: CallingWindow[] = [];
  for (const group of groups) {
    const match = /^([A-Za-z][A-Za-z,\s-]*?)\s+(\d[\d:,\s-]*)$/.exec(group);
    if (!match) throw new CallingHoursSyntaxError(`"${group}": expected days then windows, e.g. "Mon-Fri 09:00-13:00,14:00-20:00"`);
    const days = parseDays(match[1]!.replace(/\s+/g, ''));
    for (const range of match[2]!.replace(/\s+/g, '').split(',')) {
      const [start, end, ...rest] = range.split('-');
      if (start === undefined || end === undefined || rest.length > 0 || !HHMM.test(start) || !HHMM.test(end)) {
        throw new CallingHoursSyntaxError(`"${range}": expected a window HH:MM-HH:MM, e.g. 09:00-13:00`);
      }
      if (start === end) throw new CallingHoursSyntaxError(`"${range}": a window must not start and end at the same time`);
      windows.push({ days, start, end });
    }
  }
  return { windows };
}

function parseDays(text: string): number[] {
  if (/^daily$/i.test(text)) return [...WEEK_ORDER];
  const days = new Set<number>();
  for (const item of text.split(',')) {
    const [from, to, ...rest] = item.split('-');
    if (from === undefined || rest.length > 0)
      throw new CallingHoursSyntaxError(`"${item}": expected a day or a range of days, e.g. Mon-Fri`);
    const first = dayOf(from);
    const last = to === undefined ? first : dayOf(to);
    // Monday-first positions, so that Fri-Mon wraps over the weekend.
    for (let i = WEEK_ORDER.indexOf(first); ; i = (i + 1) % 7) {
      days.add(WEEK_ORDER[i]!);
      if (WEEK_ORDER[i] === last) break;
    }
  }
  return WEEK_ORDER.filter((d) => days.has(d));
}

const FULL_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

function dayOf(name: string): number {
  const lower = name.toLowerCase();
  const day = FULL_NAMES.findIndex((full) => full === lower || full.slice(0, 3) === lower);
  if (day < 0) throw new CallingHoursSyntaxError(`"${name}": expected a day: ${DAY_NAMES.join(', ')}`);
  return day;
}

/** The text form of calling hours (what {@link parseCallingHours} reads back); `never` when no window opens. */
export function formatCallingHours(hours: CallingHours): string {
  const groups = new Map<string, { days: number[]; ranges: string[] }>();
  for (const window of hours.windows) {
    if (window.days.length === 0) continue;
    const days = WEEK_ORDER.filter((d) => window.days.includes(d));
    const key = days.join(',');
    const group = groups.get(key) ?? { days, ranges: [] };
    group.ranges.push(`${window.start}-${window.end}`);
    groups.set(key, group);
  }
  if (groups.size === 0) return 'never';
  return [...groups.values()].map((g) => `${formatDays(g.days)} ${g.ranges.join(',')}`).join('; ');
}

function formatDays(days: number[]): string {
  const positions = days.map((d) => WEEK_ORDER.indexOf(d)).sort((a, b) => a - b);
  const runs: Array<[number, number]> = [];
  for (const p of positions) {
    const last = runs.at(-1);
    if (last && last[1] === p - 1) last[1] = p;
    else runs.push([p, p]);
  }
  const name = (p: number) => DAY_NAMES[WEEK_ORDER[p]!]!;
  return runs.map(([a, b]) => (a === b ? name(a) : b === a + 1 ? `${name(a)},${name(b)}` : `${name(a)}-${name(b)}`)).join(',');
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether a local day (0 = Sunday) and minute of the day fall inside one of the windows. */
export function insideCallingHours(hours: CallingHours, day: number, minute: number): boolean {
  return hours.windows.some((w) => {
    const start = minutesOf(w.start);
    const end = minutesOf(w.end);
    if (start < end) return w.days.includes(day) && minute >= start && minute < end;
    if (start === end) return false;
    // Past midnight: the evening belongs to the window's day, the small hours to the day after it.
    return (w.days.includes(day) && minute >= start) || (w.days.includes((day + 6) % 7) && minute < end);
  });
}

/** The minutes of the hour (modulo 15) at which a window opens: where the next opening is looked for. */
export function openingPhases(hours: CallingHours): number[] {
  return [...new Set(hours.windows.map((w) => minutesOf(w.start) % 15))].sort((a, b) => a - b);
}
