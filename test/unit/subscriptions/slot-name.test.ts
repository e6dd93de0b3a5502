import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { subscriptionIdSchema } from '../../../lib/model/subscription';
import { slotIdOf } from '../../../lib/notify/outbox';
import { subscriptionIdOfSlot, subscriptionSlotName } from '../../../lib/subscriptions/delivery';
import { newSubscriptionId } from '../../../lib/subscriptions/subscriptions';
import { migratedSubscriptionId } from '../../../lib/subscriptions/migrate';

const SLOT_NAME = /^[a-z][a-z0-9_:-]{0,62}$/;
const idArbitrary = fc
  .stringMatching(/^[A-Za-z0-9_-]{8,16}$/)
  .map((rest) => `sub_${rest}`)
  .filter((id) => subscriptionIdSchema.safeParse(id).success);

describe("a subscription's slot name", () => {
  it('spells capitals as `:` and the small letter, so ids that differ only in case get different slots', () => {
    expect(subscriptionSlotName('sub_3fK9xQ2m')).toBe('sub:3f:k9x:q2m');
    expect(subscriptionSlotName('sub_3fk9xq2m')).toBe('sub:3fk9xq2m');
    expect(subscriptionSlotName('sub_AAAAAAAAAAAAAAAA')).toHaveLength('sub:'.length + 32);
  });

  it('is a slot name the outbox accepts, for every id the API, the CLI and the migration make', () => {
    for (const id of [newSubscriptionId(), migratedSubscriptionId('t-1'), 'sub_AAAAAAAAAAAAAAAA', 'sub_--__--__']) {
      expect(subscriptionSlotName(id)).toMatch(SLOT_NAME);
      expect(slotIdOf(subscriptionSlotName(id))).toBe(subscriptionSlotName(id));
    }
  });

  it('is unique and leads back to its id, for any id', () => {
    fc.assert(
      fc.property(idArbitrary, idArbitrary, (a, b) => {
        expect(subscriptionSlotName(a)).toMatch(SLOT_NAME);
        expect(subscriptionIdOfSlot(subscriptionSlotName(a))).toBe(a);
        expect(subscriptionSlotName(a) === subscriptionSlotName(b)).toBe(a === b);
      }),
      { numRuns: 2000 },
    );
  });

  it('is never the name of a registered transport', () => {
    expect(subscriptionIdOfSlot('webhook')).toBeUndefined();
    expect(subscriptionIdOfSlot('hubspot')).toBeUndefined();
  });
});
