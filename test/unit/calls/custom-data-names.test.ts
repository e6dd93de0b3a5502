import { describe, expect, it } from 'vitest';
import { callRequestSchema, customDataNameProblem } from '../../../lib/calls/request';
import { zodFieldErrors } from '../../../lib/http/handler';
import { FIELD_ALIASES } from '../../../lib/pbx/stats-event';
import { matching } from '../../support/match';

const withCustomData = (customData: Record<string, string>) => ({ agent: { crmUserId: 'u-17' }, to: '+447766889900', customData });

describe('custom data names', () => {
  it.each([
    'c2c-call-id',
    'C2C_CALL_ID',
    'c2c.call_id',
    'c2c.call.id',
    'Event',
    'event-type',
    'unique.id',
    'UniqueID',
    'hangup-cause',
    'duration',
    'bill_sec',
    'type',
    'custom.billsec',
  ])('refuses %s, which the PBX events parser would read as its own field, naming it', (name) => {
    const parsed = callRequestSchema.safeParse(withCustomData({ domain: 'acme', [name]: 'x' }));
    expect(parsed.success).toBe(false);
    const errors = zodFieldErrors(parsed.error!);
    expect(errors).toEqual([{ path: `customData.${name}`, message: matching(/reserved/) }]);
  });

  it("refuses every alias of the parser's field list, so the two cannot drift apart", () => {
    for (const alias of Object.values(FIELD_ALIASES).flat()) {
      if (!/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(alias)) continue;
      expect(customDataNameProblem(alias), alias).toBeDefined();
      expect(callRequestSchema.safeParse(withCustomData({ [alias]: 'x' })).success, alias).toBe(false);
    }
  });

  it('keeps refusing the names we send ourselves', () => {
    expect(customDataNameProblem('LeadId')).toBe('this name is reserved');
  });

  it('takes ordinary names', () => {
    expect(callRequestSchema.parse(withCustomData({ domain: 'anothertest', campaign: 'spring', 'lead.source': 'web' })).customData).toEqual(
      {
        domain: 'anothertest',
        campaign: 'spring',
        'lead.source': 'web',
      },
    );
  });
});
