import { describe, expect, it } from 'vitest';
import {
  EVENT_LIMITS,
  FIELD_ALIASES,
  parsePbxStatsEvent,
  parseSeconds,
  parseTimestamp,
  pbxEventFieldOf,
  PbxEventFormatError,
  readPbxEventRequest,
} from '../../../lib/pbx/stats-event';

const parse = (fields: Record<string, string>, timeZone?: string) => parsePbxStatsEvent(fields, { timeZone });

describe('reading a PBX Stats event tolerantly', () => {
  it.each([
    ['event', 'Call Start', 'start'],
    ['event', 'call_start', 'start'],
    ['type', 'start', 'start'],
    ['call_event', 'CALL-ANSWER', 'answer'],
    ['Event Type', 'Answered', 'answer'],
    ['eventType', 'Call End', 'end'],
    ['event', 'hangup', 'end'],
    ['EVENT', 'callEnded', 'end'],
  ])('%s=%s is a %s', (name, value, kind) => {
    expect(parse({ [name]: value, unique_id: '1.2' }).kind).toBe(kind);
  });

  it('keeps an unknown event type as sent, without a kind', () => {
    const event = parse({ event: 'Call Transferred', uniqueid: '1.2' });
    expect(event.kind).toBeUndefined();
    expect(event.typeAsSent).toBe('Call Transferred');
  });

  it.each([
    [{ unique_id: '1.2' }],
    [{ uniqueid: '1.2' }],
    [{ UniqueID: '1.2' }],
    [{ 'custom_fields[uniqueid]': '1.2' }],
    [{ 'data.unique_id': '1.2' }],
  ])('finds the unique id in %j', (fields) => {
    expect(parse({ event: 'Call Start', ...fields }).uniqueId).toBe('1.2');
  });

  it('finds our call id as a top-level or nested custom parameter, the top level winning', () => {
    expect(parse({ event: 'start', c2c_call_id: 'c_A' }).callId).toBe('c_A');
    expect(parse({ event: 'start', 'custom.c2c_call_id': 'c_B' }).callId).toBe('c_B');
    expect(parse({ event: 'start', 'custom.c2c_call_id': 'c_B', c2c_call_id: 'c_A' }).callId).toBe('c_A');
  });

  it('reads durations, causes and the recording under their aliases', () => {
    expect(
      parse({
        event: 'end',
        uniqueid: '1',
        duration: '47',
        bill_duration: '42',
        disposition: 'ANSWERED',
        recording_url: 'https://r/x.mp3',
      }),
    ).toMatchObject({
      durationSec: 47,
      billSec: 42,
      hangupCause: 'ANSWERED',
      recordingUrl: 'https://r/x.mp3',
    });
    expect(parse({ event: 'end', uniqueid: '1', billsec: '00:01:05', hangup_cause: 'Renamed Cause' })).toMatchObject({
      billSec: 65,
      hangupCause: 'Renamed Cause',
    });
  });

  it('leaves unreadable numbers and times unread rather than refusing the event', () => {
    const event = parse({ event: 'end', uniqueid: '1', billsec: 'lots', call_end: 'yesterday' });
    expect(event.billSec).toBeUndefined();
    expect(event.endedAt).toBeUndefined();
  });

  it('refuses an event without a type, naming the field', () => {
    expect(() => parse({ unique_id: '1.2' })).toThrow(PbxEventFormatError);
    try {
      parse({ unique_id: '1.2' });
    } catch (error) {
      expect((error as PbxEventFormatError).field).toBe('event');
    }
  });

  it('refuses an event that names no call at all', () => {
    expect(() => parse({ event: 'Call End' })).toThrow(expect.objectContaining({ field: 'unique_id' }));
  });
});

describe('timestamps and seconds', () => {
  it.each([
    ['2026-03-01T10:00:05Z', '2026-03-01T10:00:05.000Z'],
    ['2026-03-01T12:00:05+02:00', '2026-03-01T10:00:05.000Z'],
    ['2026-03-01 10:00:05', '2026-03-01T10:00:05.000Z'],
    ['2026-03-01 10:00:05.250', '2026-03-01T10:00:05.250Z'],
    ['1772359205', '2026-03-01T10:00:05.000Z'],
    ['1772359205000', '2026-03-01T10:00:05.000Z'],
  ])('%s -> %s', (value, iso) => {
    expect(parseTimestamp(value)).toBe(iso);
  });

  it("reads a time without an offset in the tenant's zone, DST included", () => {
    expect(parseTimestamp('2026-07-01 10:00:00', 'Europe/London')).toBe('2026-07-01T09:00:00.000Z');
    expect(parseTimestamp('2026-01-15 10:00:00', 'Europe/London')).toBe('2026-01-15T10:00:00.000Z');
    expect(parseTimestamp('2026-07-01 10:00:00', 'Asia/Jerusalem')).toBe('2026-07-01T07:00:00.000Z');
  });

  it.each([
    ['42', 42],
    ['42.5', 42.5],
    ['0:42', 42],
    ['01:02:03', 3723],
    ['-3', undefined],
    ['forty', undefined],
  ])('seconds %s -> %s', (value, seconds) => {
    expect(parseSeconds(value)).toBe(seconds);
  });
});

describe('the three transports', () => {
  it('reads a query string', () => {
    expect(readPbxEventRequest({ query: { event: 'Call Start', uniqueid: '1.2' }, rawBody: '' })).toEqual({
      transport: 'query',
      fields: { event: 'Call Start', uniqueid: '1.2' },
      truncated: false,
    });
  });

  it('reads a form, with the query string beside it (custom parameters may ride there)', () => {
    const raw = readPbxEventRequest({
      query: { c2c_call_id: 'c_A' },
      contentType: 'application/x-www-form-urlencoded; charset=utf-8',
      rawBody: 'event=Call+End&uniqueid=1.2&hangup_cause=NO%20ANSWER',
    });
    expect(raw).toMatchObject({ transport: 'form', fields: { c2c_call_id: 'c_A', event: 'Call End', hangup_cause: 'NO ANSWER' } });
  });

  it('reads JSON, flattening nested objects and keeping every value as text', () => {
    const raw = readPbxEventRequest({
      query: {},
      contentType: 'application/json',
      rawBody: JSON.stringify({
        event: 'Call End',
        billsec: 42,
        answered: true,
        custom: { c2c_call_id: 'c_A', tags: ['a', 'b'] },
        none: null,
      }),
    });
    expect(raw.fields).toEqual({
      event: 'Call End',
      billsec: '42',
      answered: 'true',
      'custom.c2c_call_id': 'c_A',
      'custom.tags.0': 'a',
      'custom.tags.1': 'b',
      none: '',
    });
    expect(parsePbxStatsEvent(raw.fields)).toMatchObject({ kind: 'end', callId: 'c_A', billSec: 42 });
  });

  it('reads a JSON body sent without a content type', () => {
    expect(readPbxEventRequest({ query: {}, rawBody: '{"event":"start","uniqueid":"1"}' }).transport).toBe('json');
  });

  it('refuses declared JSON that does not parse, naming the body', () => {
    expect(() => readPbxEventRequest({ query: {}, contentType: 'application/json', rawBody: '{"event":' })).toThrow(
      expect.objectContaining({ field: 'body' }),
    );
  });

  it('bounds what it keeps: fields, names and values', () => {
    const many = Object.fromEntries(Array.from({ length: EVENT_LIMITS.maxFields + 5 }, (_, i) => [`f${i}`, 'x']));
    const raw = readPbxEventRequest({ query: { ...many, long: 'y'.repeat(EVENT_LIMITS.maxValueLength + 1) }, rawBody: '' });
    expect(Object.keys(raw.fields)).toHaveLength(EVENT_LIMITS.maxFields);
    expect(raw.truncated).toBe(true);
    const big = readPbxEventRequest({ query: {}, rawBody: `event=x&v=${'z'.repeat(EVENT_LIMITS.maxValueLength + 10)}` });
    expect(big.fields.v).toHaveLength(EVENT_LIMITS.maxValueLength);
    expect(() => readPbxEventRequest({ query: {}, rawBody: `a=${'z'.repeat(EVENT_LIMITS.maxBodyBytes)}` })).toThrow(PbxEventFormatError);
  });
});

describe('custom data never speaks for the PBX', () => {
  it('reads our call id by its exact name only: look-alikes before it are not it', () => {
    const event = parse({
      'c2c-call-id': 'c_VICTIM',
      C2C_CALL_ID: 'c_VICTIM2',
      'c2c.call.id': 'c_X',
      c2c_call_id: 'c_OURS',
      event: 'Call End',
    });
    expect(event.callId).toBe('c_OURS');
  });

  it('finds our call id nested under its exact name, a top-level one first', () => {
    expect(parse({ event: 'start', 'custom_fields[c2c_call_id]': 'c_NESTED' }).callId).toBe('c_NESTED');
    expect(parse({ event: 'start', 'custom.c2c_call_id': 'c_NESTED', c2c_call_id: 'c_TOP' }).callId).toBe('c_TOP');
  });

  it('takes no look-alike for our call id: an event with only look-alikes has no identifier', () => {
    expect(() => parse({ event: 'start', 'c2c-call-id': 'c_VICTIM', 'custom.C2C.Call.Id': 'c_VICTIM' })).toThrow(
      expect.objectContaining({ field: 'unique_id' }),
    );
  });

  it("sets the echo of the call's custom data aside: the PBX's own event, cause and durations win", () => {
    const forged = { Event: 'Call End', hangup_cause: 'USER_BUSY', duration: '0', 'custom.billsec': '0', domain: 'acme' };
    const fields = { ...forged, event: 'Call Start', uniqueid: '1.2', c2c_call_id: 'c_OURS' };
    // Read blind, the look-alikes (first in the event) speak for the PBX: what the echo must never do.
    expect(parse(fields)).toMatchObject({ kind: 'end', hangupCause: 'USER_BUSY' });
    const event = parsePbxStatsEvent(fields, { customData: forged });
    expect(event).toMatchObject({ kind: 'start', typeAsSent: 'Call Start', uniqueId: '1.2', callId: 'c_OURS' });
    expect(event.hangupCause).toBeUndefined();
    expect(event.durationSec).toBeUndefined();
    expect(event.billSec).toBeUndefined();
  });

  it('keeps a PBX field that has a custom name but another value: the PBX overwrote the echo', () => {
    const event = parsePbxStatsEvent(
      { event: 'Call End', uniqueid: '1.2', hangup_cause: 'NORMAL_CLEARING' },
      { customData: { hangup_cause: 'USER_BUSY' } },
    );
    expect(event.hangupCause).toBe('NORMAL_CLEARING');
  });

  it.each(Object.entries(FIELD_ALIASES).flatMap(([field, aliases]) => aliases.map((alias) => [alias, field])))(
    'names %s as the parser reads it, in any spelling and nested (%s)',
    (alias, field) => {
      const dashed = alias.replace(/_/g, '-');
      for (const name of [alias, alias.toUpperCase(), dashed, `custom.${alias}`, `x.${dashed}.`]) expect(pbxEventFieldOf(name)).toBe(field);
    },
  );

  it.each(['domain', 'campaign', 'lead_source', 'event.x', 'c2c_call', 'typo'])('leaves %s to custom data', (name) => {
    expect(pbxEventFieldOf(name)).toBeUndefined();
  });
});

describe('reading an event body from a stranger', () => {
  it('refuses JSON nested 30,000 deep as a format error naming the body, without overflowing the stack', () => {
    const deep = '['.repeat(30_000) + ']'.repeat(30_000);
    expect(() => readPbxEventRequest({ query: {}, contentType: 'application/json', rawBody: deep })).toThrow(PbxEventFormatError);
    const deepObject = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
    expect(() => readPbxEventRequest({ query: {}, rawBody: deepObject })).toThrow(expect.objectContaining({ field: 'body' }));
  });

  it('still flattens a moderately nested body', () => {
    const raw = readPbxEventRequest({
      query: {},
      rawBody: JSON.stringify({ event: 'start', a: { b: { c: { d: { e: { f: { g: 1 } } } } } }, uniqueid: '1' }),
    });
    expect(raw.fields['a.b.c.d.e']).toBe('{"f":{"g":1}}');
  });
});
