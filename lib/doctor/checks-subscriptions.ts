/** The doctor's check of the tenant's webhook subscriptions: which are disabled, which are failing. */
import { subscriptionSchema } from '../model/subscription';
import { listOf, plural, safeUrl, type CheckResult } from './check-result';

/** What the REST-hook rules disable after (lib/subscriptions/delivery.ts FAILING_LIMIT_MS), for the wording. */
const DISABLE_AFTER = '3 days';

/**
 * Disabled subscriptions (for failing: a problem, their endpoints get nothing; paused through the API: a warning) and
 * enabled ones whose endpoint is failing now (a warning: disabled once it has failed for 3 days). Items that do not
 * pass the schema are named as such.
 */
export function checkSubscriptions(items: ReadonlyArray<Record<string, unknown>>): CheckResult {
  const title = 'Webhook subscriptions';
  const parsed = items.map((item) => subscriptionSchema.safeParse(item));
  const subscriptions = parsed.flatMap((p) => (p.success ? [p.data] : []));
  const corrupt = parsed.length - subscriptions.length;
  if (items.length === 0) return { id: 'subscriptions', title, status: 'ok', message: 'No webhook subscriptions.' };
  const name = (s: (typeof subscriptions)[number]) => `${s.id} (${safeUrl(s.url)?.host ?? 'no host'})`;
  const failedOut = subscriptions.filter((s) => s.status === 'disabled' && s.disabledReason?.startsWith('failing since'));
  const paused = subscriptions.filter((s) => s.status === 'disabled' && !failedOut.includes(s));
  const failing = subscriptions.filter((s) => s.status === 'enabled' && s.failingSince !== null);
  const details = {
    total: items.length,
    disabled: [...failedOut, ...paused].map((s) => ({ id: s.id, reason: s.disabledReason })),
    failing: failing.map((s) => ({ id: s.id, failingSince: s.failingSince })),
    ...(corrupt ? { invalid: corrupt } : {}),
  };
  const parts = [
    ...failedOut.map((s) => `${name(s)} is disabled: ${s.disabledReason}; its endpoint gets no events`),
    ...paused.map((s) => `${name(s)} is disabled (${s.disabledReason ?? 'no reason kept'})`),
    ...failing.map((s) => `${name(s)} is failing since ${s.failingSince} (disabled once it has failed for ${DISABLE_AFTER})`),
    ...(corrupt ? [`${plural(corrupt, 'subscription item')} that do not pass validation`] : []),
  ];
  if (parts.length === 0) {
    return {
      id: 'subscriptions',
      title,
      status: 'ok',
      message: `${plural(subscriptions.length, 'subscription')}, all enabled and delivering: ${listOf(subscriptions.map(name), 5)}.`,
    };
  }
  return {
    id: 'subscriptions',
    title,
    status: failedOut.length > 0 || corrupt > 0 ? 'problem' : 'warn',
    message: `${parts.join('; ')}.`,
    fix:
      'Fix the endpoint (`c2c subscriptions log <tenant> <id>` shows its answers; `c2c subscriptions test <tenant> <id>` sends a ping), ' +
      'then re-enable it: `PATCH /v1/subscriptions/{id}` with `{"status": "enabled"}`. Events from then on are delivered.',
    details,
  };
}
