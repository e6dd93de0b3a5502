import { clock } from './format';
import type { DeliveryAttempt } from '../types';

/** How many recent attempts the console shows per subscription. */
export const RECENT_DELIVERIES = 3;

/** One attempt in a line: `12:03:04 call.completed delivered 200 · 42 ms`, then the retry or the error when there is one. */
export function attemptText(a: DeliveryAttempt): string {
  const parts = [clock(a.attemptedAt), a.event, a.status];
  if (a.responseCode !== null) parts.push(String(a.responseCode));
  let text = parts.join(' ');
  if (a.latencyMs !== null) text += ' \u00b7 ' + a.latencyMs + ' ms';
  if (a.attempt > 1) text += ' \u00b7 try ' + a.attempt;
  if (a.error) text += ' \u00b7 ' + a.error;
  if (a.nextAttemptAt) text += ' \u00b7 next ' + clock(a.nextAttemptAt);
  return text;
}
