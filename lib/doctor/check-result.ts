/**
 * The verdict of one check of `c2c doctor` and the small wording helpers every check shares.
 */

export type CheckStatus = 'ok' | 'warn' | 'problem';

export type CheckId =
  | 'tenant'
  | 'pbx-settings'
  | 'pbx-dns'
  | 'pbx-connect'
  | 'egress-ip'
  | 'allowlist'
  | 'agents'
  | 'agent-extensions'
  | 'duplicate-extensions'
  | 'webhook-sources'
  | 'callback'
  | 'pbx-events'
  | 'outcomes'
  | 'flagged-calls'
  | 'notifications'
  | 'subscriptions'
  | 'crm-hubspot'
  | 'crm-pipedrive'
  | 'crm-salesforce';

export interface CheckResult {
  id: CheckId;
  title: string;
  status: CheckStatus;
  /** What was found, in plain words. */
  message: string;
  /** What to do about it; absent when nothing needs doing. */
  fix?: string;
  /** The facts behind the message (timings, names, counts), for `--json`. */
  details?: Record<string, unknown>;
}

const RANK: Record<CheckStatus, number> = { ok: 0, warn: 1, problem: 2 };

export const worst = (statuses: readonly CheckStatus[]): CheckStatus =>
  statuses.reduce<CheckStatus>((a, b) => (RANK[b] > RANK[a] ? b : a), 'ok');

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
export const listOf = (names: readonly string[], max = 10) =>
  names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;

// 1. The tenant ------------------------------------------------------------------------------------------------

export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function safeUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
