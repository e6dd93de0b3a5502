import * as z from 'zod';
import { recordingLinkOf, type PlacedCall } from './cdr';
import type { CallPlan } from './playout';

/** The events PBX Stats can send a webhook for. */
export const webhookEvents = ['start', 'answer', 'end'] as const;
export type WebhookEvent = (typeof webhookEvents)[number];

/** The `event` value of each: the names PBX Stats shows in its settings. */
const EVENT_NAMES: Record<WebhookEvent, string> = { start: 'Call Start', answer: 'Call Answer', end: 'Call End' };

/**
 * One webhook as PBX Stats configures it: URL, method (GET query string, POST form, POST JSON),
 * retries (default 3), delay in seconds (default 0), the events, and custom parameters.
 */
export const webhookConfigSchema = z.strictObject({
  url: z.url(),
  method: z.enum(['GET', 'POST_FORM', 'POST_JSON']).default('GET'),
  retries: z.number().int().min(0).max(10).default(3),
  /** Before each send, after the event happened. */
  delaySec: z.number().min(0).max(3600).default(0),
  /** Between a failed send and its retry. PBX Stats does not document it: a setting of the simulator. */
  retryDelaySec: z.number().min(0).max(3600).default(1),
  events: z
    .array(z.enum(webhookEvents))
    .min(1)
    .default([...webhookEvents]),
  /** Sent with every event, beside the Click2Call custom data the call was placed with. */
  customParams: z.record(z.string(), z.string()).default({}),
  timeoutMs: z.number().int().min(10).max(60_000).default(5_000),
});
export type WebhookConfig = z.infer<typeof webhookConfigSchema>;
export type WebhookConfigInput = z.input<typeof webhookConfigSchema>;

/** The body of `PUT /_sim/webhooks`: one webhook, or `{webhooks: [...]}` (an empty list turns them off). */
export const webhooksBodySchema = z.union([
  z.strictObject({ webhooks: z.array(webhookConfigSchema) }),
  webhookConfigSchema.transform((w) => ({ webhooks: [w] })),
]);

/** One send of one webhook, as `GET /_sim/webhooks/deliveries` shows it. */
export interface WebhookDeliveryRecord {
  seq: number;
  at: string;
  event: WebhookEvent;
  uniqueId: string;
  method: WebhookConfig['method'];
  /** 1 for the first send, then one more per retry. */
  attempt: number;
  /** The HTTP status, absent when no answer came. */
  status?: number;
  error?: string;
  ok: boolean;
}

const DELIVERY_CAPACITY = 10_000;

/** The parameters PBX Stats sends with an event: the CDR's names, times as `YYYY-MM-DD HH:mm:ss` UTC. */
export function webhookParams(
  event: WebhookEvent,
  call: PlacedCall,
  plan: CallPlan,
  customParams: Record<string, string>,
): Record<string, string> {
  const at = (ms: number) => pbxTime(new Date(call.placedAt.getTime() + ms));
  const params: Record<string, string> = {
    ...customParams,
    ...call.customFields,
    event: EVENT_NAMES[event],
    uniqueid: call.uniqueId,
    extension: call.legA,
    destination: `${call.prefix ?? ''}${call.legB}`,
    call_start: at(0),
  };
  if (plan.answerAfterMs !== undefined && event !== 'start') params.call_answer = at(plan.answerAfterMs);
  if (event === 'end') {
    Object.assign(params, {
      call_end: at(plan.endAfterMs),
      duration: String(plan.durationSec),
      bill_duration: String(plan.billSec),
      hangup_cause: plan.hangupCause,
      recording_link: recordingLinkOf(call.uniqueId, plan),
    });
  }
  return params;
}

function pbxTime(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * Plays placed calls out on timers and sends each configured webhook at the right moment, with
 * its method, delay and retries. Nothing is scheduled while no webhook is configured.
 */
export class WebhookDispatcher {
  #configs: WebhookConfig[] = [];
  #deliveries: WebhookDeliveryRecord[] = [];
  #seq = 0;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #inFlight = new Set<AbortController>();
  #closed = false;

  get configs(): WebhookConfig[] {
    return this.#configs.map((c) => ({ ...c }));
  }

  /** @throws {z.ZodError} on an invalid webhook */
  set(configs: readonly WebhookConfigInput[]): void {
    this.#configs = configs.map((c) => webhookConfigSchema.parse(c));
  }

  deliveries(since = 0): WebhookDeliveryRecord[] {
    return this.#deliveries.filter((d) => d.seq > since);
  }

  clearDeliveries(): void {
    this.#deliveries = [];
  }

  /** Schedules the events of a call just placed, to the configured webhooks and to `extra` (this call's own). */
  playOut(call: PlacedCall, plan: CallPlan, extra: readonly WebhookConfigInput[] = []): void {
    if (this.#closed) return;
    const offsets: Array<[WebhookEvent, number]> = [['start', 0]];
    if (plan.answerAfterMs !== undefined) offsets.push(['answer', plan.answerAfterMs]);
    offsets.push(['end', plan.endAfterMs]);
    const elapsed = Date.now() - call.placedAt.getTime();
    for (const config of [...this.#configs, ...extra.map((c) => webhookConfigSchema.parse(c))]) {
      for (const [event, offsetMs] of offsets) {
        if (!config.events.includes(event)) continue;
        const params = webhookParams(event, call, plan, config.customParams);
        this.#after(Math.max(0, offsetMs + config.delaySec * 1000 - elapsed), () => this.#send(config, event, call.uniqueId, params, 1));
      }
    }
  }

  /** Stops every timer and aborts every send in flight. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const controller of this.#inFlight) controller.abort();
  }

  #after(ms: number, fn: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      // #send catches its own network errors; anything else is logged here rather than left unhandled, which would end the process.
      fn().catch((err: unknown) => console.error('[pbx-sim] webhook send fault:', err instanceof Error ? err.message : err));
    }, ms);
    this.#timers.add(timer);
  }

  async #send(
    config: WebhookConfig,
    event: WebhookEvent,
    uniqueId: string,
    params: Record<string, string>,
    attempt: number,
  ): Promise<void> {
    if (this.#closed) return;
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(), config.timeoutMs);
    this.#inFlight.add(controller);
    let status: number | undefined;
    let error: string | undefined;
    try {
      const response = await fetch(...requestOf(config, params, controller.signal));
      status = response.status;
      await response.body?.cancel().catch(() => undefined);
    } catch (err) {
      error = err instanceof Error ? (err.name === 'AbortError' ? 'timeout' : err.message) : String(err);
    } finally {
      clearTimeout(timeout);
      this.#inFlight.delete(controller);
    }
    if (this.#closed) return;
    const ok = status !== undefined && status >= 200 && status < 300;
    this.#seq += 1;
    this.#deliveries.push({
      seq: this.#seq,
      at: new Date().toISOString(),
      event,
      uniqueId,
      method: config.method,
      attempt,
      ok,
      ...(status !== undefined && { status }),
      ...(error !== undefined && { error }),
    });
    if (this.#deliveries.length > DELIVERY_CAPACITY + 1000) this.#deliveries = this.#deliveries.slice(-DELIVERY_CAPACITY);
    if (!ok && attempt <= config.retries) {
      this.#after(config.retryDelaySec * 1000, () => this.#send(config, event, uniqueId, params, attempt + 1));
    }
  }
}

function requestOf(config: WebhookConfig, params: Record<string, string>, signal: AbortSignal): [string, RequestInit] {
  switch (config.method) {
    case 'GET': {
      const url = new URL(config.url);
      for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
      return [url.toString(), { method: 'GET', signal }];
    }
    case 'POST_FORM':
      return [
        config.url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(params).toString(),
          signal,
        },
      ];
    case 'POST_JSON':
      return [config.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params), signal }];
  }
}
