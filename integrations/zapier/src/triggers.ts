import type { Bundle, ZObject } from 'zapier-platform-core';
import { apiUrl, raiseForProblem } from './api';
import {
  ENDED_STATES,
  EVENT_OUTPUT_FIELDS,
  lastEventOf,
  sampleEvent,
  toZapierEvent,
  type CallNotification,
  type CallResource,
  type ZapierCallEvent,
} from './calls';
import { verifyDelivery } from './signature';

/**
 * The three triggers, each a REST Hook on the service's subscriptions (docs/api.md "Subscriptions"): turning a Zap on
 * creates a subscription whose URL is the Zap's hook, filtered to the trigger's events and the agent or team the user
 * chose; turning it off deletes it. Each delivery is verified with the subscription's own signing secret before the Zap
 * runs on it. `performList` reads recent calls, so the Zap editor shows real samples before any event has been sent.
 */

interface HookTriggerSpec {
  key: string;
  noun: string;
  label: string;
  description: string;
  /** The subscription's `events`: `call.<state>` names, or `*`. */
  events: readonly string[];
  /** Whether a call's state is one this trigger fires on (performList's samples and a delivery's type). */
  fires: (state: string) => boolean;
  sample: ZapierCallEvent;
}

interface SubscribeData {
  id: string;
  secret?: string;
}

const FILTER_FIELDS = [
  {
    key: 'agent',
    label: 'Agent',
    type: 'string' as const,
    required: false,
    helpText: "Only calls of this agent: its CRM user id (the `crmUserId` the service knows it by). Leave empty for every agent's calls.",
  },
  {
    key: 'team',
    label: 'Team',
    type: 'string' as const,
    required: false,
    helpText: 'Only calls placed to this team (e.g. `sales`; names are case-sensitive). Leave empty for calls of every team and agent.',
  },
];

function filterOf(bundle: Bundle): { agent?: string; team?: string } | undefined {
  const agent = typeof bundle.inputData.agent === 'string' ? bundle.inputData.agent.trim() : '';
  const team = typeof bundle.inputData.team === 'string' ? bundle.inputData.team.trim() : '';
  if (!agent && !team) return undefined;
  return { ...(agent ? { agent } : {}), ...(team ? { team } : {}) };
}

function hookTrigger(spec: HookTriggerSpec) {
  const performSubscribe = async (z: ZObject, bundle: Bundle) => {
    const zapId = bundle.meta.zap?.id ?? 'unknown';
    const filter = filterOf(bundle);
    const response = await z.request({
      url: apiUrl(z, bundle, '/v1/subscriptions'),
      method: 'POST',
      body: {
        url: bundle.targetUrl,
        events: spec.events,
        ...(filter ? { filter } : {}),
        description: `Zapier ${zapId}`,
      },
    });
    // The whole answer, its signing secret included (shown once): Zapier keeps it as this Zap's subscribeData.
    return response.data as SubscribeData;
  };

  const performUnsubscribe = async (z: ZObject, bundle: Bundle) => {
    const id = bundle.subscribeData?.id;
    if (!id) throw new z.errors.Error('This Zap has no subscription to remove (subscribeData.id is missing)', 'no_subscription', 400);
    const response = await z.request({
      url: apiUrl(z, bundle, `/v1/subscriptions/${encodeURIComponent(id)}`),
      method: 'DELETE',
      skipThrowForStatus: true,
    });
    // Gone already (the service removes a subscription whose endpoint answered 410, an operator may have): done too.
    if (response.status === 204 || response.status === 404) return { id, deleted: true };
    raiseForProblem(response, z);
    response.throwForStatus();
    return { id, deleted: true };
  };

  const perform = (z: ZObject, bundle: Bundle): ZapierCallEvent[] => {
    const subscription: SubscribeData | undefined = bundle.subscribeData;
    const verified = verifyDelivery(subscription?.secret, bundle.rawRequest);
    if (!verified.ok)
      throw new z.errors.Error(`Refused a delivery that the service did not sign: ${verified.reason}`, 'invalid_signature', 401);
    const notification = parseNotification(verified.body);
    // A ping (POST /v1/subscriptions/{id}/test), a subscription notice or an event of another trigger runs no Zap.
    if (!notification || !notification.type.startsWith('call.')) return [];
    const state = notification.type.slice('call.'.length);
    if (!spec.fires(state)) return [];
    return [toZapierEvent(notification.data.call, notification.data.event)];
  };

  const performList = async (z: ZObject, bundle: Bundle): Promise<ZapierCallEvent[]> => {
    const filter = filterOf(bundle);
    const response = await z.request({
      url: apiUrl(z, bundle, '/v1/calls'),
      params: { limit: '50', ...(filter?.agent ? { agent: filter.agent } : {}) },
    });
    const calls = (response.data as { calls: CallResource[] }).calls;
    const samples: ZapierCallEvent[] = [];
    for (const call of calls) {
      if (filter?.team && call.team !== filter.team) continue;
      const event = lastEventOf(call, spec.fires);
      if (event) samples.push(toZapierEvent(call, event));
    }
    return samples.slice(0, 10);
  };

  return {
    key: spec.key,
    noun: spec.noun,
    display: { label: spec.label, description: spec.description },
    operation: {
      type: 'hook' as const,
      inputFields: FILTER_FIELDS,
      performSubscribe,
      performUnsubscribe,
      perform,
      performList,
      sample: spec.sample,
      outputFields: EVENT_OUTPUT_FIELDS,
    },
  };
}

function parseNotification(body: string): CallNotification | undefined {
  try {
    const parsed = JSON.parse(body) as Partial<CallNotification> | null;
    if (!parsed || typeof parsed.type !== 'string') return undefined;
    if (parsed.type.startsWith('call.') && (!parsed.data?.call || !parsed.data.event)) return undefined;
    return parsed as CallNotification;
  } catch {
    return undefined;
  }
}

const ended = (state: string) => (ENDED_STATES as readonly string[]).includes(state);

export const callEnded = hookTrigger({
  key: 'call_ended',
  noun: 'Call',
  label: 'Call Ended',
  description:
    'Triggers when a call ends: completed, not answered, busy, failed, rejected, not sent or cancelled, with its outcome, duration, agent and lead.',
  events: ENDED_STATES.map((state) => `call.${state}`),
  fires: ended,
  sample: sampleEvent('completed', 4, '2026-11-26T10:01:35.000Z'),
});

export const callAnswered = hookTrigger({
  key: 'call_answered',
  noun: 'Call',
  label: 'Call Answered',
  description: "Triggers when the lead answers a call: the agent's and the lead's phones are connected.",
  events: ['call.answered'],
  fires: (state) => state === 'answered',
  sample: sampleEvent('answered', 3, '2026-11-26T10:00:08.000Z'),
});

export const callStateChanged = hookTrigger({
  key: 'call_state_changed',
  noun: 'Call',
  label: 'Call State Changed',
  description: 'Triggers on every change of a call: accepted, scheduled, queued, dialing, answered, ended... one run per state, in order.',
  events: ['*'],
  fires: () => true,
  sample: sampleEvent('dialing', 2, '2026-11-26T10:00:00.310Z'),
});
