import { describe, expect, it } from 'vitest';
import { MappingError } from '../../../lib/crm/errors';
import { effectiveMapping, lookup, mapPayload, type EffectiveMapping } from '../../../lib/crm/mapping';
import { SOURCE_ADAPTERS } from '../../../lib/crm/sources';
import { containing } from '../../support/match';

const base: EffectiveMapping = {
  agent: { by: 'crmUserId', path: ['owner'] },
  to: ['phone'],
  lead: ['lead'],
  customData: {},
  deliveryId: null,
};

const mappingError = (fn: () => unknown): MappingError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof MappingError) return error;
    throw error;
  }
  throw new Error('expected a MappingError');
};

describe('lookup', () => {
  it('walks dotted names and array indexes', () => {
    const payload = { data: { phones: [{ value: '+44 1' }, { value: '+44 2' }] }, fields: [{ value: 'x' }] };
    expect(lookup(payload, {}, ['data.phones.1.value'])).toEqual({ kind: 'found', value: '+44 2', path: 'data.phones.1.value' });
    expect(lookup(payload, {}, ['fields.0.value'])).toMatchObject({ value: 'x' });
  });

  it('unwraps {value: ...} objects (HubSpot properties, Pipedrive phone entries)', () => {
    expect(lookup({ properties: { phone: { value: '+1 555', versions: [] } } }, {}, ['properties.phone'])).toMatchObject({
      value: '+1 555',
    });
    expect(lookup({ phones: [{ value: '+1 555', primary: true }] }, {}, ['phones.0'])).toMatchObject({ value: '+1 555' });
  });

  it('takes the first alternative present; empty strings and nulls count as absent', () => {
    const payload = { a: '', b: null, c: '  7  ' };
    expect(lookup(payload, {}, ['a', 'b', 'c'])).toEqual({ kind: 'found', value: '7', path: 'c' });
    expect(lookup(payload, {}, ['a', 'b'])).toEqual({ kind: 'missing' });
  });

  it('turns numbers and booleans into strings, and refuses objects and lists', () => {
    expect(lookup({ n: 52550153 }, {}, ['n'])).toMatchObject({ value: '52550153' });
    expect(lookup({ b: true }, {}, ['b'])).toMatchObject({ value: 'true' });
    expect(lookup({ o: { x: 1 } }, {}, ['o'])).toMatchObject({ kind: 'invalid', path: 'o' });
    expect(lookup({ l: [1] }, {}, ['l'])).toMatchObject({ kind: 'invalid', path: 'l' });
  });

  it('reads request headers with header:<name>', () => {
    expect(lookup({}, { 'idempotency-key': 'run-1' }, ['header:idempotency-key'])).toMatchObject({ value: 'run-1' });
  });

  it('never walks into the prototype chain', () => {
    expect(lookup({}, {}, ['__proto__.toString'])).toEqual({ kind: 'missing' });
    expect(lookup({}, {}, ['constructor.name'])).toEqual({ kind: 'missing' });
    expect(lookup('text', {}, ['length'])).toEqual({ kind: 'missing' });
  });
});

describe('mapPayload', () => {
  it('builds a call request, leaving out an absent optional lead', () => {
    expect(mapPayload({ owner: 17, phone: '+44 7766 889900' }, {}, base).request).toEqual({
      agent: { crmUserId: '17' },
      to: '+44 7766 889900',
    });
  });

  it('names each missing required field by its payload path, all at once', () => {
    const error = mappingError(() => mapPayload({}, {}, { ...base, to: ['properties.phone', 'phone'] }));
    expect(error.status).toBe(422);
    expect(error.errors).toEqual([
      { path: 'owner', message: containing('agent') },
      { path: 'properties.phone', message: containing('also tried phone') },
    ]);
  });

  it('reports a value the call request refuses under the payload path it came from', () => {
    const mapping: EffectiveMapping = { ...base, agent: { by: 'email', path: ['data.owner_email'] }, customData: { note: ['data.note'] } };
    const error = mappingError(() => mapPayload({ data: { owner_email: 'not-an-email', note: 'x'.repeat(300) }, phone: '1' }, {}, mapping));
    expect(error.errors?.map((e) => e.path).sort()).toEqual(['data.note', 'data.owner_email']);
  });

  it('adds custom data, the default country and the prefix of the mapping', () => {
    const mapping: EffectiveMapping = { ...base, customData: { campaign: ['c'] }, defaultCountry: 'DE', prefix: '*' };
    expect(mapPayload({ owner: 'u', phone: '030 1234567', c: 'spring', lead: 9 }, {}, mapping).request).toEqual({
      agent: { crmUserId: 'u' },
      to: '030 1234567',
      lead: { id: '9' },
      customData: { campaign: 'spring' },
      defaultCountry: 'DE',
      prefix: '*',
    });
  });

  it('returns the delivery id when the mapping finds one', () => {
    expect(mapPayload({ owner: 'u', phone: '1', meta: { id: 'abc' } }, {}, { ...base, deliveryId: ['meta.id'] }).deliveryId).toBe('abc');
    expect(mapPayload({ owner: 'u', phone: '1' }, {}, { ...base, deliveryId: ['meta.id'] }).deliveryId).toBeUndefined();
  });
});

describe('default mappings read the vendors’ documented payloads', () => {
  it('HubSpot: wrapped properties (workflow webhook) and a customised flat body', () => {
    const defaults = SOURCE_ADAPTERS.hubspot.defaultMapping;
    const wrapped = { objectId: 1051, properties: { phone: { value: '+44 7766 889901' }, hubspot_owner_id: { value: '52550153' } } };
    expect(mapPayload(wrapped, {}, defaults).request).toMatchObject({
      agent: { crmUserId: '52550153' },
      to: '+44 7766 889901',
      lead: { id: '1051' },
    });
    const flat = { phone: '+44 7766 889901', hubspot_owner_id: '52550153', hs_object_id: '1051' };
    expect(mapPayload(flat, {}, defaults).request).toMatchObject({ agent: { crmUserId: '52550153' }, lead: { id: '1051' } });
  });

  it('Pipedrive v2 person: owner, first phone, person id, meta.id', () => {
    const payload = {
      meta: { id: 'd-1', version: '2.0' },
      data: { id: 4242, owner_id: 23865811, phones: [{ value: '+44 7766 889902', primary: true }] },
    };
    const mapped = mapPayload(payload, {}, SOURCE_ADAPTERS.pipedrive.defaultMapping);
    expect(mapped).toEqual({
      request: { agent: { crmUserId: '23865811' }, to: '+44 7766 889902', lead: { id: '4242' } },
      deliveryId: 'd-1',
    });
  });

  it('token: plain JSON from Zapier, Make or n8n, with the Idempotency-Key header as delivery id', () => {
    const mapped = mapPayload(
      { agent_email: 'Alice@Example.com', phone: '07766 889903', lead_id: 'z-1' },
      { 'idempotency-key': 'run-9' },
      SOURCE_ADAPTERS.token.defaultMapping,
    );
    expect(mapped).toEqual({
      request: { agent: { email: 'alice@example.com' }, to: '07766 889903', lead: { id: 'z-1' } },
      deliveryId: 'run-9',
    });
  });

  it('an override replaces a field and keeps the others; null turns the lead off', () => {
    const mapping = effectiveMapping(SOURCE_ADAPTERS.token.defaultMapping, { to: ['mobile'], lead: null });
    expect(mapping.to).toEqual(['mobile']);
    expect(mapping.lead).toBeNull();
    expect(mapping.agent).toEqual(SOURCE_ADAPTERS.token.defaultMapping.agent);
  });
});
