/**
 * Calling hours as the law sets them, per destination country: a data table and the small computation that reads it.
 * A tenant opts in with the call policy's `legalCallingHours`; its own `callingHours` still apply on top (a call must be
 * inside both). Each rule's source is cited in docs/api.md ("Calling hours set by law"); a country without a row has
 * no statutory hours here, and only the tenant's own hours apply.
 *
 * Times are the called party's local time. A number tells its country, not its zone, so (as for the tenant's own
 * hours) a call must be inside the legal hours in every zone of the country.
 */

/** `[start, end)` in local time, `HH:MM`. */
export type LegalWindow = readonly [start: string, end: string];

/** A country's public holidays as data: fixed dates, and days counted from Easter Sunday (Gregorian). */
export interface HolidayRule {
  /** `MM-DD`. */
  fixed: readonly string[];
  /** Days after Easter Sunday: -2 Good Friday, 1 Easter Monday, 39 Ascension Thursday, 50 Whit Monday. */
  fromEaster: readonly number[];
}

export interface LegalHoursRule {
  /** ISO 3166-1 alpha-2. */
  country: string;
  /** The instrument the hours come from, as docs/api.md cites it. */
  source: string;
  /** Windows per weekday, 0 = Sunday ... 6 = Saturday; an empty list: no call that day. */
  week: readonly (readonly LegalWindow[])[];
  /** No call on these days (whatever `week` says). */
  holidays?: HolidayRule;
  /** The eve of a holiday has these windows instead of its weekday's (Italy's "prefestivi"). */
  eveOfHoliday?: readonly LegalWindow[];
}

const every = (windows: readonly LegalWindow[]) => [windows, windows, windows, windows, windows, windows, windows];
const weekdays = (windows: readonly LegalWindow[], saturday: readonly LegalWindow[] = [], sunday: readonly LegalWindow[] = []) => [
  sunday,
  windows,
  windows,
  windows,
  windows,
  windows,
  saturday,
];

/** The table. Keep docs/api.md's "Calling hours set by law" in step with it (a test compares the two). */
export const LEGAL_HOURS: Readonly<Record<string, LegalHoursRule>> = {
  US: {
    country: 'US',
    source: 'TCPA rules, 47 CFR 64.1200(c)(1)',
    week: every([['08:00', '21:00']]),
  },
  CA: {
    country: 'CA',
    source: 'CRTC Unsolicited Telecommunications Rules, Part III (Telemarketing Rules)',
    week: weekdays([['09:00', '21:30']], [['10:00', '18:00']], [['10:00', '18:00']]),
  },
  FR: {
    country: 'FR',
    source: 'Code de la consommation art. L223-1 and D223-9 (décret n° 2022-1313, in force since 1 March 2023)',
    week: weekdays([
      ['10:00', '13:00'],
      ['14:00', '20:00'],
    ]),
    // Code du travail art. L3133-1: 1 Jan, Easter Monday, 1 May, 8 May, Ascension, Whit Monday, 14 Jul, 15 Aug, 1 Nov, 11 Nov, 25 Dec.
    holidays: { fixed: ['01-01', '05-01', '05-08', '07-14', '08-15', '11-01', '11-11', '12-25'], fromEaster: [1, 39, 50] },
  },
  ES: {
    country: 'ES',
    source: 'Ley General para la Defensa de los Consumidores y Usuarios (RDL 1/2007) art. 96.2',
    week: weekdays([['09:00', '21:00']]),
    // The national holidays (fiestas nacionales); a region's own days cannot be told from a number.
    holidays: { fixed: ['01-01', '01-06', '05-01', '08-15', '10-12', '11-01', '12-06', '12-08', '12-25'], fromEaster: [-2] },
  },
  IT: {
    country: 'IT',
    source: 'Codice di condotta per le attività di telemarketing e teleselling (Garante, GU 27 March 2024, in force 28 September 2024)',
    week: weekdays([['09:00', '20:00']], [['10:00', '19:00']]),
    // The national holidays; a town's patron saint's day cannot be told from a number.
    holidays: { fixed: ['01-01', '01-06', '04-25', '05-01', '06-02', '08-15', '11-01', '12-08', '12-25', '12-26'], fromEaster: [1] },
    eveOfHoliday: [['10:00', '19:00']],
  },
  AU: {
    country: 'AU',
    source: 'Telecommunications (Telemarketing and Research Calls) Industry Standard 2017',
    week: weekdays([['09:00', '20:00']], [['09:00', '17:00']]),
    // The national public holidays: New Year's Day, Australia Day, Good Friday, Easter Monday, Anzac Day, Christmas, Boxing Day.
    holidays: { fixed: ['01-01', '01-26', '04-25', '12-25', '12-26'], fromEaster: [-2, 1] },
  },
};

/** Easter Sunday of a Gregorian year (the anonymous Gregorian algorithm: Meeus, Jones, Butcher), as `MM-DD`. */
export function easterSunday(year: number): string {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return `${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** A rule's holidays in one year, as `MM-DD`, sorted. */
export function holidaysOf(rule: HolidayRule, year: number): string[] {
  const easter = easterSunday(year);
  const easterMs = Date.UTC(year, Number(easter.slice(0, 2)) - 1, Number(easter.slice(3, 5)));
  const moving = rule.fromEaster.map((days) => new Date(easterMs + days * 86_400_000).toISOString().slice(5, 10));
  return [...new Set([...rule.fixed, ...moving])].sort();
}

/** A local calendar day: `YYYY-MM-DD` and its weekday (0 = Sunday). */
interface LocalDay {
  date: string;
  weekday: number;
}

const dayAfter = (date: string): string => new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

function isHoliday(rule: LegalHoursRule, date: string): boolean {
  return rule.holidays !== undefined && holidaysOf(rule.holidays, Number(date.slice(0, 4))).includes(date.slice(5, 10));
}

/** The windows of one local day under a rule: none on a holiday, the eve's on the eve of one, else the weekday's. */
export function legalWindowsOn(rule: LegalHoursRule, day: LocalDay): readonly LegalWindow[] {
  if (isHoliday(rule, day.date)) return [];
  const weekday = rule.week[day.weekday] ?? [];
  if (rule.eveOfHoliday && weekday.length > 0 && isHoliday(rule, dayAfter(day.date))) return rule.eveOfHoliday;
  return weekday;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether a local day and minute of it is inside the rule's hours. */
export function insideLegalHours(rule: LegalHoursRule, day: LocalDay, minute: number): boolean {
  return legalWindowsOn(rule, day).some(([start, end]) => minute >= minutesOf(start) && minute < minutesOf(end));
}

/** The minutes (0-14) modulo 15 on which a rule's windows open: where the search for the next opening steps. */
export function legalOpeningPhases(country: string): number[] {
  const rule = LEGAL_HOURS[country];
  if (!rule) return [];
  const starts = [...rule.week.flat(), ...(rule.eveOfHoliday ?? [])].map(([start]) => minutesOf(start) % 15);
  return [...new Set(starts)];
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The local calendar day and minute of `at` in a zone (one formatter per zone, kept: building one is the costly part). */
export function localTimeIn(timeZone: string, at: Date): { day: LocalDay; minute: number } {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, format);
  }
  const parts = format.formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(get('weekday'));
  return {
    day: { date: `${get('year')}-${get('month')}-${get('day')}`, weekday },
    minute: Number(get('hour')) * 60 + Number(get('minute')),
  };
}

/** Why a call is outside the legal hours, or nothing: checked in every zone of the country, as the tenant's hours are. */
export function checkLegalHours(country: string, zones: readonly string[], at: Date): { detail: string } | undefined {
  const rule = LEGAL_HOURS[country];
  if (!rule) return undefined;
  for (const zone of zones.length > 0 ? zones : ['UTC']) {
    const { day, minute } = localTimeIn(zone, at);
    if (!insideLegalHours(rule, day, minute)) {
      const windows = legalWindowsOn(rule, day);
      const today =
        windows.length === 0
          ? `no calls on ${day.date}${isHoliday(rule, day.date) ? ' (a public holiday)' : ''}`
          : `${windows.map(([s, e]) => `${s}-${e}`).join(', ')} on ${day.date}`;
      return { detail: `The law allows calls to ${country} only at set hours (${rule.source}): ${today}, local time in ${zone}.` };
    }
  }
  return undefined;
}
