import type { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { DomainError } from '../model/domain-error';
import type { HookDelivery } from '../model/hook-delivery';
import type { HookDeliveryRepository } from '../store/hook-deliveries';
import { UnknownSourceError, WebhookBodyError, WebhookUnauthorizedError } from '../crm/errors';
import type { InboundWebhook, WebhookCallResult } from '../crm/receive';
import { isWebhookSource } from '../crm/sources';
import { webhookCallAnswer } from './call-answers';
import { HttpProblem } from './errors';
import type { HttpResult } from './handler';
import { problemOf } from './problems';

/** A delivery's verdict, as the log keeps it and the operator's line says it. */
export type DeliveryVerdict = Omit<HookDelivery, 'at' | 'source' | 'requestId'>;

/** Refusals that name no tenant of ours: logged as a line, never written under a tenant id a stranger chose. */
const NOT_A_TENANT = new Set(['malformed_tenant_id', 'unknown_tenant']);

export interface DeliveryLogDeps {
  receiver: { execute(inbound: InboundWebhook): Promise<WebhookCallResult> };
  deliveries: Pick<HookDeliveryRepository, 'record'>;
  logger: Pick<PowertoolsLogger, 'warn'>;
}

/**
 * `POST /v1/hooks/{source}/{tenantId}` with its delivery log: the answer is the receiver's, unchanged; once it is
 * known (the call placed or refused), one line says why a delivery was refused (`Webhook delivery refused`, which
 * `npm start` prints) and one item records the verdict under the tenant's source, kept 7 days. The write comes after
 * the dial, never before it, and its failure never changes the answer the sender gets.
 */
export class LoggedWebhookReceiver {
  constructor(private readonly deps: DeliveryLogDeps) {}

  async execute(inbound: InboundWebhook, requestId: string): Promise<HttpResult> {
    let result: HttpResult | undefined;
    let failure: unknown;
    try {
      const { outcome, refusalStatus } = await this.deps.receiver.execute(inbound);
      result = webhookCallAnswer(outcome, refusalStatus);
    } catch (error) {
      failure = error;
    }
    const verdict = result ? verdictOfResult(result) : verdictOfError(failure);
    if (verdict.verdict !== 'accepted') {
      this.deps.logger.warn('Webhook delivery refused', {
        source: inbound.source.slice(0, 20),
        tenantId: inbound.tenantId.slice(0, 40),
        verdict: verdict.verdict,
        status: verdict.status,
        reason: verdict.reason,
        callId: verdict.callId,
      });
    }
    if (isWebhookSource(inbound.source) && !(verdict.reason !== null && NOT_A_TENANT.has(verdict.reason)) && !bodyTooLarge(failure)) {
      await this.deps.deliveries.record(inbound.tenantId, { ...verdict, source: inbound.source, requestId }).catch((error: unknown) => {
        this.deps.logger.warn('Webhook delivery not logged', { error: error instanceof Error ? error.message : String(error) });
      });
    }
    if (result) return result;
    throw failure;
  }
}

/** The answer a receiver gave: a call placed (or replayed), or, with the source's 200 refusals, a call refused. */
export function verdictOfResult(result: HttpResult): DeliveryVerdict {
  const call = (result.body ?? {}) as { callId?: unknown; state?: unknown; duplicate?: unknown };
  const refusal = result.headers?.['x-c2c-refusal'];
  return {
    verdict: refusal ? 'rejected' : 'accepted',
    status: result.status,
    reason: refusal ?? (call.duplicate === true ? 'duplicate' : null),
    callId: typeof call.callId === 'string' ? call.callId : null,
    state: typeof call.state === 'string' ? call.state : null,
  };
}

/** What a receiver threw, as a verdict: who is to fix it (the sender's secret, its payload, the policy, or us). */
export function verdictOfError(error: unknown): DeliveryVerdict {
  const problem = error instanceof DomainError ? problemOf(error) : error instanceof HttpProblem ? error : undefined;
  const status = problem?.status ?? 500;
  const call = problem?.extensions.call as { callId?: unknown; state?: unknown } | undefined;
  const callFields = {
    callId: typeof call?.callId === 'string' ? call.callId : null,
    state: typeof call?.state === 'string' ? call.state : null,
  };
  if (error instanceof WebhookUnauthorizedError)
    return { verdict: 'refused', status, reason: error.reason ?? 'unauthorized', ...callFields };
  if (error instanceof UnknownSourceError) return { verdict: 'refused', status, reason: 'unknown_source', ...callFields };
  if (error instanceof WebhookBodyError) return { verdict: 'malformed', status, reason: problem?.code ?? 'invalid_request', ...callFields };
  if (!problem || status >= 500) return { verdict: 'failed', status, reason: problem?.code ?? 'internal_error', ...callFields };
  return { verdict: 'rejected', status, reason: problem.code, ...callFields };
}

/** The size check runs before the tenant is read: such a delivery may name no tenant of ours. */
const bodyTooLarge = (error: unknown) => error instanceof WebhookBodyError && (error.errors ?? []).some((e) => e.message === 'too large');
