import { describe, expect, it } from 'vitest';
import { canTransition, statesBefore } from '../../../lib/calls/model';
import { callIdFor, callRequestSchema, derivedIdempotencyKey, requestHash, type NormalizedCallRequest } from '../../../lib/calls/request';

const request: NormalizedCallRequest = { agent: { crmUserId: 'u-17' }, to: '+447766889900', leadId: '1', customData: { a: '1', b: '2' } };

describe('call ids', () => {
  it('are derived from tenant and key, the same every time', () => {
    expect(callIdFor('acme', 'k-1')).toBe(callIdFor('acme', 'k-1'));
    expect(callIdFor('acme', 'k-1')).toMatch(/^c_[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  it('differ across tenants for the same key, so one tenant cannot collide with another', () => {
    expect(callIdFor('acme', 'k-1')).not.toBe(callIdFor('other', 'k-1'));
    expect(callIdFor('acme', 'k-1')).not.toBe(callIdFor('acme', 'k-2'));
  });
});

describe('request hash', () => {
  it('ignores the order of custom data keys', () => {
    expect(requestHash(request)).toBe(requestHash({ ...request, customData: { b: '2', a: '1' } }));
  });

  it('changes with the destination, the agent, the prefix or the lead', () => {
    const base = requestHash(request);
    expect(requestHash({ ...request, to: '+447766889901' })).not.toBe(base);
    expect(requestHash({ ...request, agent: { crmUserId: 'u-18' } })).not.toBe(base);
    expect(requestHash({ ...request, prefix: '*' })).not.toBe(base);
    expect(requestHash({ ...request, leadId: '2' })).not.toBe(base);
  });
});

describe('derived idempotency key', () => {
  it('is the same within one window and differs in the next', () => {
    const t = 1_800_000_000_000;
    expect(derivedIdempotencyKey(request, t, 60)).toBe(derivedIdempotencyKey(request, t + 59_000 - (t % 60_000), 60));
    expect(derivedIdempotencyKey(request, t, 60)).not.toBe(derivedIdempotencyKey(request, t + 60_000, 60));
  });

  it('does not depend on custom data: a double click with other CRM fields is still one call', () => {
    const t = 1_800_000_000_000;
    expect(derivedIdempotencyKey(request, t, 60)).toBe(derivedIdempotencyKey({ ...request, customData: {} }, t, 60));
  });
});

describe('call request schema', () => {
  it('takes the API.md example', () => {
    const parsed = callRequestSchema.parse({
      agent: { crmUserId: 'u-17' },
      to: '+44 7766 889900',
      defaultCountry: 'gb',
      prefix: '*',
      lead: { id: '1234' },
      customData: { domain: 'anothertest' },
    });
    expect(parsed.defaultCountry).toBe('GB');
  });

  it.each([
    ['two agent identifiers', { agent: { crmUserId: 'u', extension: '1000' }, to: '+447766889900' }],
    ['a prefix with a slash', { agent: { crmUserId: 'u' }, to: '+447766889900', prefix: '*/1' }],
    ['a reserved custom data name', { agent: { crmUserId: 'u' }, to: '+447766889900', customData: { leadid: 'x' } }],
    ['a non-string custom value', { agent: { crmUserId: 'u' }, to: '+447766889900', customData: { a: 1 } }],
    ['an unknown field', { agent: { crmUserId: 'u' }, to: '+447766889900', extra: true }],
  ])('refuses %s', (_name, body) => {
    expect(callRequestSchema.safeParse(body).success).toBe(false);
  });
});

describe('state machine', () => {
  it('only moves forward', () => {
    expect(canTransition('dispatching', 'dialing')).toBe(true);
    expect(canTransition('dialing', 'answered')).toBe(true);
    expect(canTransition('answered', 'completed')).toBe(true);
    expect(canTransition('completed', 'answered')).toBe(false);
    expect(canTransition('answered', 'dialing')).toBe(false);
    expect(canTransition('completed', 'completed')).toBe(false);
  });

  it('lets an unknown call be settled by the PBX, and never return to dispatching', () => {
    expect(statesBefore('completed')).toContain('unknown');
    expect(canTransition('unknown', 'dispatching')).toBe(false);
  });
});
