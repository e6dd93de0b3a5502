import { describe, expect, it } from 'vitest';
import { CdrFilterError, CdrStore, cdrMatches, createCdr, parseCdrFilters } from '../../../local/pbx-sim/cdr';
import { judgeDial, parseDialPath, type DialPath } from '../../../local/pbx-sim/dial';
import { FaultSwitch } from '../../../local/pbx-sim/faults';
import { containing, matching } from '../../support/match';

describe('parseDialPath', () => {
  it('reads the click2call shape, with and without prefix', () => {
    expect(parseDialPath('/call/77/4242/1000/4477668899')).toEqual({
      shape: 'click2call',
      crmId: '77',
      clientId: '4242',
      legA: '1000',
      legB: '4477668899',
    });
    expect(parseDialPath('/call/77/4242/1000/4477668899/%2A')).toMatchObject({ prefix: '*' });
  });

  it('reads the stats shape, decoding an encoded prefix as one segment', () => {
    expect(parseDialPath('/click2call/1000/4477668899/a%2F%3F%23..')).toEqual({
      shape: 'stats',
      legA: '1000',
      legB: '4477668899',
      prefix: 'a/?#..',
    });
  });

  it('treats a trailing slash as no prefix', () => {
    expect(parseDialPath('/click2call/1000/4477668899/')).toEqual({ shape: 'stats', legA: '1000', legB: '4477668899' });
  });

  it.each(['/', '/call/1/2/3', '/call/1/2/3/4/5/6', '/click2call/1000', '/click2call/1/2/3/4', '/other/1/2', '/click2call/1000/%E0%A4%A'])(
    'matches no route for %s',
    (path) => {
      expect(parseDialPath(path)).toBeUndefined();
    },
  );
});

describe('judgeDial', () => {
  const extensions = new Set(['1000']);
  const ok: DialPath = { shape: 'click2call', crmId: '77', clientId: '4242', legA: '1000', legB: '4477668899' };

  it('places a call from a registered extension to an E.164 number', () => {
    expect(judgeDial(ok, extensions)).toEqual({ placed: true });
  });

  it('refuses an unregistered extension with the documented message', () => {
    expect(judgeDial({ ...ok, legA: '1001' }, extensions)).toEqual({ placed: false, message: 'Extension does not exist.' });
  });

  it.each([
    ['a non-digit CRM id', { crmId: 'x1' }],
    ['a non-digit Client id', { clientId: '1.2' }],
    ['a non-digit leg_a', { legA: '10a0' }],
    ['a non-digit leg_b', { legB: '+4477668899' }],
    ['a leg_b too short for E.164', { legB: '1234567' }],
    ['a leg_b too long for E.164', { legB: '1234567890123456' }],
  ])('refuses %s', (_case, override) => {
    expect(judgeDial({ ...ok, ...override }, extensions)).toMatchObject({ placed: false, message: matching(/\S/) });
  });
});

describe('FaultSwitch', () => {
  it('applies a fault with times to that many dial requests, then reverts to none', () => {
    const faults = new FaultSwitch();
    faults.set({ mode: 'http_503', times: 2 });
    expect(faults.take().mode).toBe('http_503');
    expect(faults.state.remaining).toBe(1);
    expect(faults.take().mode).toBe('http_503');
    expect(faults.take().mode).toBe('none');
  });

  it('keeps a fault without times until it is changed', () => {
    const faults = new FaultSwitch();
    faults.set({ mode: 'hang' });
    for (let i = 0; i < 5; i += 1) expect(faults.take().mode).toBe('hang');
    faults.clear();
    expect(faults.take().mode).toBe('none');
  });

  it.each([
    ['latency', true],
    ['hang', true],
    ['reset', true],
    ['malformed', true],
    ['http_500', false],
    ['http_503', false],
    ['refuse', false],
    ['not_found', false],
  ] as const)('defaults placed for %s to %s', (mode, placed) => {
    const faults = new FaultSwitch();
    faults.set({ mode });
    expect(faults.state.placed).toBe(placed);
  });

  it('lets placed be overridden', () => {
    const faults = new FaultSwitch();
    faults.set({ mode: 'hang', placed: false });
    expect(faults.state.placed).toBe(false);
  });

  it('rejects unknown modes and bad numbers', () => {
    const faults = new FaultSwitch();
    expect(() => faults.set({ mode: 'explode' } as never)).toThrow();
    expect(() => faults.set({ mode: 'latency', latencyMs: -1 })).toThrow();
    expect(() => faults.set({ mode: 'hang', times: 0 })).toThrow();
    expect(faults.state.mode).toBe('none');
  });
});

describe('CDRs', () => {
  const placedAt = new Date('2026-03-01T10:00:00Z');
  const cdr = createCdr({
    uniqueId: '1772359200.1001',
    legA: '1000',
    legB: '4477668899',
    prefix: '*',
    customFields: { c2c_call_id: 'c_ABC', leadid: '1234' },
    placedAt,
  });

  it('records an answered call with the dial request as custom fields', () => {
    expect(cdr).toEqual({
      uniqueid: '1772359200.1001',
      call_start: '2026-03-01T10:00:00.000Z',
      call_end: '2026-03-01T10:00:42.000Z',
      duration: 42,
      bill_duration: 40,
      destination: '*4477668899',
      extension: '1000',
      hangup_cause: 'ANSWERED',
      recording_link: containing('1772359200.1001'),
      custom_fields: { c2c_call_id: 'c_ABC', leadid: '1234' },
    });
  });

  it.each([
    ['uniqueid', 'uniqueid=1772359200.1001', true],
    ['another uniqueid', 'uniqueid=1772359200.1002', false],
    ['a custom field', 'c2c_call_id=c_ABC', true],
    ['two custom fields', 'c2c_call_id=c_ABC&leadid=1234', true],
    ['a custom field with another value', 'c2c_call_id=c_XYZ', false],
    ['a custom field the call does not have', 'toString=x', false],
    ['hangup_cause', 'hangup_cause=ANSWERED', true],
    ['another hangup_cause', 'hangup_cause=BUSY', false],
    ['a bare date_to on the day of the call', 'date_to=2026-03-01', true],
    ['a date_to before the call', 'date_to=2026-03-01 09:59:59', false],
    ['a date_from at the call start', 'date_from=2026-03-01T10:00:00Z', true],
    ['a date_from after the call', 'date_from=2026-03-02', false],
  ])('matches by %s: %s -> %s', (_case, form, expected) => {
    expect(cdrMatches(cdr, parseCdrFilters(new URLSearchParams(form)))).toBe(expected);
  });

  it('rejects a date it cannot read', () => {
    expect(() => parseCdrFilters(new URLSearchParams('date_from=yesterday'))).toThrow(CdrFilterError);
  });

  it('drops the oldest CDR beyond capacity', () => {
    const store = new CdrStore(2);
    for (const uniqueId of ['1.1', '1.2', '1.3'])
      store.add(createCdr({ uniqueId, legA: '1000', legB: '4477668899', customFields: {}, placedAt }));
    expect(store.all().map((c) => c.uniqueid)).toEqual(['1.2', '1.3']);
  });
});
