import { describe, expect, it } from 'vitest';
import { idempotencyKeyOf, placeCallBody } from '../../integrations/zapier/src/creates';

/** "Place a call"'s Idempotency-Key: the same step input in the same Zap is the same key, anything else another. */

const input = { agent: 'u-17', to: '+44 7766 889900', leadId: 'deal-42', leadType: 'deal', customData: { stage: 'won', owner: 'ann' } };
const keyOf = (zapId: string | undefined, data: Record<string, unknown>, repeatKey?: string) =>
  idempotencyKeyOf(zapId, placeCallBody(data), repeatKey);

describe("Place a call's Idempotency-Key", () => {
  it('is the same for the same input in the same Zap, whatever order Zapier gives the fields and custom data in', () => {
    const reordered = {
      customData: { owner: 'ann', stage: 'won' },
      leadType: 'deal',
      leadId: 'deal-42',
      to: '+44 7766 889900',
      agent: 'u-17',
    };
    expect(keyOf('123', input)).toBe(keyOf('123', reordered));
    // Blank optional fields are what Zapier sends for fields left empty: they are not part of the request.
    expect(keyOf('123', { ...input, team: '', notBefore: '', maxWaitSec: '' })).toBe(keyOf('123', input));
  });

  it('differs in another Zap, for any other input, and with another "Call again key"', () => {
    const key = keyOf('123', input);
    expect(keyOf('124', input)).not.toBe(key);
    expect(keyOf('123', { ...input, to: '+44 7766 889901' })).not.toBe(key);
    expect(keyOf('123', { ...input, customData: { stage: 'lost', owner: 'ann' } })).not.toBe(key);
    expect(keyOf('123', input, '2026-11-26T10:00:00Z')).not.toBe(key);
    expect(keyOf('123', input, '2026-11-26T10:00:00Z')).toBe(keyOf('123', input, '2026-11-26T10:00:00Z'));
  });

  it("names the Zap and fits the API's header rule (1-255 printable ASCII, no spaces)", () => {
    expect(keyOf('123', input)).toMatch(/^zapier-123-[0-9a-f]{40}$/);
    expect(keyOf(undefined, input)).toMatch(/^zapier-none-[0-9a-f]{40}$/);
    expect(keyOf('a zap/with odd chars', input)).toMatch(/^zapier-a_zap_with_odd_chars-[0-9a-f]{40}$/);
  });

  it('sends only what the user filled in, as the API spells it', () => {
    expect(placeCallBody({ ...input, team: ' ', notBefore: '2026-03-12T14:30:00+01:00', maxWaitSec: 120 })).toEqual({
      agent: { crmUserId: 'u-17' },
      to: '+44 7766 889900',
      lead: { id: 'deal-42', type: 'deal' },
      customData: { stage: 'won', owner: 'ann' },
      notBefore: '2026-03-12T14:30:00+01:00',
      maxWaitSec: 120,
    });
    expect(placeCallBody({ team: 'sales', to: '07766 889900' })).toEqual({ team: 'sales', to: '07766 889900' });
  });
});
