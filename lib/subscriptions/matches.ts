import type { CallState } from '../model/call-states';
import type { Subscription } from '../model/subscription';

/** What of a call a subscription's filter reads: a stored call and the call resource both have it. */
export interface FilteredCall {
  agent?: { crmUserId?: string | null } | null;
  team?: string | null;
  source: string;
}

/**
 * Whether a subscription receives `event` of `call`: the event's name is one of its `events` (or they are `["*"]`),
 * and every member of its filter holds (agent, team, source, states). Pure: the subscriptions transport's `wants`.
 * Whether the subscription is enabled is not read here: a disabled one is passed over by whoever lists the targets.
 */
export function matches(subscription: Pick<Subscription, 'events' | 'filter'>, event: { state: CallState }, call: FilteredCall): boolean {
  const { events, filter } = subscription;
  if (!events.includes('*') && !events.includes(`call.${event.state}`)) return false;
  if (!filter) return true;
  if (filter.states !== undefined && !filter.states.includes(event.state)) return false;
  if (filter.agent !== undefined && call.agent?.crmUserId !== filter.agent) return false;
  if (filter.team !== undefined && call.team !== filter.team) return false;
  if (filter.source !== undefined && call.source !== filter.source) return false;
  return true;
}
