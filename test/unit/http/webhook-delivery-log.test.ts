import { describe, expect, it } from 'vitest';
import { LoggedWebhookReceiver } from '../../../lib/http/webhook-delivery-log';
import { UnknownSourceError, WebhookBodyError, WebhookUnauthorizedError } from '../../../lib/crm/errors';
import type { InboundWebhook, WebhookCallResult } from '../../../lib/crm/receive';
import type { Call } from '../../../lib/model/call-resource';
import { UnprocessableError } from '../../../lib/http/errors';
import { DomainError } from '../../../lib/model/domain-error';
import type { HookDelivery } from '../../../lib/model/hook-delivery';
import { reconcileLine, refusalLine } from '../../../local/output';

const inbound = (source = 'hubspot', tenantId = 'acme'): InboundWebhook => ({
  source,
  tenantId,
  method: 'POST',
  url: 'http://127.0.0.1:3000/v1/hooks/hubspot/acme',
  headers: {},
  rawBody: '{"phone":"+447766889900"}',
});

/** What the webhook use case answers for a call it placed (`progress` dialled: 201) or one a source refuses with 200. */
const placed = (call: Record<string, unknown>): WebhookCallResult => ({
  outcome: { kind: 'call', progress: 'dialled', call: call as unknown as Call },
  refusalStatus: 422,
});
const refusedWith200 = (code: 'agent_not_found', call: Record<string, unknown>): WebhookCallResult => ({
  outcome: { kind: 'refused', code, detail: 'refused', call: call as unknown as Call },
  refusalStatus: 200,
});

function receiverThat(outcome: () => Promise<WebhookCallResult>, failWrite = false) {
  const recorded: Array<{ tenantId: string; entry: Omit<HookDelivery, 'at'> }> = [];
  const warned: Array<{ message: string; extra: Record<string, unknown> }> = [];
  const logged = new LoggedWebhookReceiver({
    receiver: { execute: outcome },
    deliveries: {
      record: (tenantId, entry) => {
        if (failWrite) return Promise.reject(new Error('throttled'));
        recorded.push({ tenantId, entry });
        return Promise.resolve({ ...entry, at: 'now' });
      },
    },
    logger: {
      warn: (message: unknown, ...extra: unknown[]) => {
        warned.push({ message: String(message), extra: extra[0] as Record<string, unknown> });
      },
    },
  });
  return { logged, recorded, warned };
}

describe('the delivery log of the hooks route (lib/http/webhook-delivery-log.ts)', () => {
  it('records an accepted delivery with the call it made, and logs no refusal line', async () => {
    const { logged, recorded, warned } = receiverThat(() =>
      Promise.resolve(placed({ callId: 'c_1', state: 'dialing', to: '+447766889900' })),
    );
    expect((await logged.execute(inbound(), 'req-1')).status).toBe(201);
    expect(recorded).toEqual([
      {
        tenantId: 'acme',
        entry: { source: 'hubspot', verdict: 'accepted', status: 201, reason: null, callId: 'c_1', state: 'dialing', requestId: 'req-1' },
      },
    ]);
    expect(JSON.stringify(recorded)).not.toContain('7766889900');
    expect(warned).toEqual([]);
  });

  it.each([
    [
      'a signature that does not match',
      new WebhookUnauthorizedError(undefined, 'signature_mismatch'),
      'refused',
      401,
      'signature_mismatch',
    ],
    [
      'a timestamp out of its window',
      new WebhookUnauthorizedError(undefined, 'timestamp_out_of_window'),
      'refused',
      401,
      'timestamp_out_of_window',
    ],
    ['no secret configured', new WebhookUnauthorizedError(undefined, 'no_secret_configured'), 'refused', 401, 'no_secret_configured'],
    [
      'a body that is not JSON',
      new WebhookBodyError('The body is not valid JSON.', [{ path: 'body', message: 'not valid JSON' }]),
      'malformed',
      400,
      'invalid_request',
    ],
    [
      'a call the policy refused',
      new UnprocessableError('destination_not_allowed', 'no', { extensions: { call: { callId: 'c_2', state: 'rejected' } } }),
      'rejected',
      422,
      'destination_not_allowed',
    ],
    ['a store that failed', new DomainError('store_unavailable', 'down'), 'failed', 503, 'store_unavailable'],
    ['a bug', new Error('boom'), 'failed', 500, 'internal_error'],
  ])('records %s as %s, says why in one line, and answers as the receiver did', async (_what, error, verdict, status, reason) => {
    const { logged, recorded, warned } = receiverThat(() => Promise.reject(error));
    await expect(logged.execute(inbound(), 'req-2')).rejects.toBe(error);
    expect(recorded[0]?.entry).toMatchObject({ verdict, status, reason });
    expect(warned).toEqual([
      { message: 'Webhook delivery refused', extra: expect.objectContaining({ verdict, status, reason }) as unknown },
    ]);
  });

  it('logs the line but writes nothing for a source we do not speak or a tenant we do not have', async () => {
    for (const [source, error] of [
      ['nosuchcrm', new UnknownSourceError('nosuchcrm')],
      ['hubspot', new WebhookUnauthorizedError(undefined, 'unknown_tenant')],
      ['hubspot', new WebhookUnauthorizedError(undefined, 'malformed_tenant_id')],
      ['hubspot', new WebhookBodyError('too large', [{ path: 'body', message: 'too large' }])],
    ] as const) {
      const { logged, recorded, warned } = receiverThat(() => Promise.reject(error));
      await expect(logged.execute(inbound(source), 'r')).rejects.toBe(error);
      expect(recorded).toEqual([]);
      expect(warned).toHaveLength(1);
    }
  });

  it('answers as the receiver did when the log cannot be written', async () => {
    const { logged, warned } = receiverThat(() => Promise.resolve(placed({ callId: 'c_3', state: 'dialing' })), true);
    expect(await logged.execute(inbound(), 'r')).toMatchObject({ status: 201 });
    expect(warned.map((w) => w.message)).toEqual(['Webhook delivery not logged']);
  });

  it("records a 200 refusal (the source's X-C2C-Refusal) as rejected with its code", async () => {
    const { logged, recorded } = receiverThat(() =>
      Promise.resolve(refusedWith200('agent_not_found', { callId: 'c_4', state: 'rejected' })),
    );
    await logged.execute(inbound(), 'r');
    expect(recorded[0]?.entry).toMatchObject({ verdict: 'rejected', status: 200, reason: 'agent_not_found', callId: 'c_4' });
  });
});

describe("npm start's lines (local/output.ts)", () => {
  it('prints one line per refused delivery from the JSON log line, and nothing for any other line', () => {
    const json = JSON.stringify({
      level: 'WARN',
      message: 'Webhook delivery refused',
      source: 'hubspot',
      tenantId: 'acme',
      verdict: 'refused',
      status: 401,
      reason: 'signature_mismatch',
      callId: null,
    });
    expect(refusalLine(`offline: ${json}`)).toBe('[hooks] refused hubspot/acme  HTTP 401 signature_mismatch');
    expect(refusalLine(JSON.stringify({ message: 'Webhook authenticated' }))).toBeUndefined();
    expect(refusalLine('POST /v1/hooks/hubspot/acme (λ: hooks)')).toBeUndefined();
  });

  it('says what the local reconciler did with a call, and nothing of its routine runs', () => {
    expect(reconcileLine('INFO Call reconciled {"callId":"c_5","tenantId":"demo","state":"completed"}')).toBe(
      "[reconcile] c_5 settled from the PBX's CDR: completed",
    );
    expect(reconcileLine('WARN Call left unknown and flagged for a human {"callId":"c_6","tenantId":"demo","tries":3}')).toMatch(
      /^\[reconcile\] c_6 flagged: no CDR after 3 searches/,
    );
    expect(reconcileLine('INFO Reconciliation run {"examined":1}')).toBeUndefined();
  });
});

describe('GET /v1/hooks/deliveries query', () => {
  it('takes exactly the webhook sources the hooks route speaks', async () => {
    const { hookDeliveriesQuerySchema } = await import('../../../lib/compose/hook-deliveries');
    const { WEBHOOK_SOURCES } = await import('../../../lib/crm/sources');
    expect(hookDeliveriesQuerySchema.shape.source.options).toEqual([...WEBHOOK_SOURCES]);
    for (const source of WEBHOOK_SOURCES) expect(hookDeliveriesQuerySchema.safeParse({ source }).success, source).toBe(true);
    expect(hookDeliveriesQuerySchema.safeParse({ source: 'nosuchcrm' }).success).toBe(false);
  });
});
