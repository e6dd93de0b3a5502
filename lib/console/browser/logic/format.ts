/**
 * Times, durations and counts as the console writes them. Pure (no DOM): unit-tested in Node
 * (test/unit/console/logic.test.ts). Times are the browser's local time.
 */

export function pad(n: number | string, width?: number) {
  return String(n).padStart(width || 2, '0');
}
export function clock(iso: string) {
  const d = new Date(iso);
  return isNaN(d.getTime()) ? '' : pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
}
export function dateTime(iso: string) {
  const d = new Date(iso);
  return isNaN(d.getTime()) ? '' : localDate(d) + ' ' + clock(iso);
}
export function localDate(d: Date) {
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate());
}
/** A time today as its clock, another day with its date too. */
export function when(iso: string | null | undefined) {
  if (!iso) return '';
  const d = new Date(iso);
  if (isNaN(d.getTime())) return '';
  return localDate(d) === localDate(new Date()) ? clock(iso) : dateTime(iso);
}
/** An offset from UTC in minutes east, as RFC 3339 writes it (+01:00). */
export function utcOffset(minutes: number) {
  const abs = Math.abs(minutes);
  return (minutes < 0 ? '-' : '+') + pad(Math.floor(abs / 60)) + ':' + pad(abs % 60);
}
/** The browser's offset from UTC at that moment, as RFC 3339 writes it (+01:00). */
export function offsetOf(d: Date) {
  return utcOffset(-d.getTimezoneOffset());
}
/** RFC 3339 in the browser's time zone with its offset, what `notBefore` and `until` take: 2026-03-02T14:30:00+01:00. */
export function rfc3339Local(d: Date) {
  return localDate(d) + 'T' + pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + offsetOf(d);
}
export function seconds(ms: number) {
  return (ms / 1000).toFixed(ms < 10000 ? 2 : 1).replace(/\.?0+$/, '') + ' s';
}
export function duration(sec: number | null | undefined) {
  const total = Math.round(sec || 0);
  if (total < 60) return total + ' s';
  const h = Math.floor(total / 3600),
    m = Math.floor((total % 3600) / 60),
    s = total % 60;
  return (h ? h + 'h ' : '') + m + 'm ' + pad(s) + 's';
}
export function percent(rate: number) {
  return Math.round((rate || 0) * 100) + '%';
}
export function count(n: number, one: string, many: string) {
  return n + ' ' + (n === 1 ? one : many);
}
export function errorText(error: unknown) {
  return error instanceof Error ? error.message : String(error);
}
/** The browser's time zone (IANA name), UTC when it cannot say. */
export function timeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}
