import { describe, expect, it } from 'vitest';
import { canTransition, statesBefore } from '../../../lib/model/call';
import {
  callIdFor,
  callRequestSchema,
  dedupeSubject,
  idempotencyKeySchema,
  requestHash,
  windowIdempotencyKey,
  type NormalizedCallRequest,
} from '../../../lib/calls/request';

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

describe('keyless dedupe', () => {
  it('the subject is agent, number and lead: a double click with other CRM fields is the same subject', () => {
    expect(dedupeSubject(request)).toBe(dedupeSubject({ ...request, customData: {} }));
    expect(dedupeSubject(request)).not.toBe(dedupeSubject({ ...request, to: '+447766889901' }));
    expect(dedupeSubject(request)).not.toBe(dedupeSubject({ ...request, leadId: '2' }));
    expect(dedupeSubject(request)).not.toBe(dedupeSubject({ ...request, agent: { crmUserId: 'u-18' } }));
  });

  it.each([
    ['spaces around', '  crm-42 '],
    ['a tab after', 'crm-42\t'],
  ])('a lead id with %s is the same lead, so the same subject', (_name, spelt) => {
    const parse = (id: string) => callRequestSchema.parse({ agent: { crmUserId: 'u-17' }, to: '+447766889900', lead: { id } }).lead?.id;
    expect(parse(spelt)).toBe('crm-42');
    expect(dedupeSubject({ ...request, leadId: parse(spelt) })).toBe(dedupeSubject({ ...request, leadId: parse('crm-42') }));
  });

  it('a lead id of spaces only is refused, naming lead.id', () => {
    const parsed = callRequestSchema.safeParse({ agent: { crmUserId: 'u-17' }, to: '+447766889900', lead: { id: '   ' } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['lead', 'id']);
  });

  it('a window key names its subject and the moment the window opened, whatever the minute', () => {
    const subject = dedupeSubject(request);
    const t = 1_800_000_059_700;
    expect(windowIdempotencyKey(subject, t)).not.toBe(windowIdempotencyKey(subject, t + 1));
    expect(windowIdempotencyKey(subject, t)).toContain(subject);
    expect(idempotencyKeySchema.safeParse(windowIdempotencyKey(subject, t)).success).toBe(true);
  });
});

describe('call request schema', () => {
  it('takes the docs/api.md example', () => {
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
