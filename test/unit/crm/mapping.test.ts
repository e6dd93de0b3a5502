import { describe, expect, it } from 'vitest';
import { MappingError } from '../../../lib/crm/errors';
import { effectiveMapping, lookup, mapPayload, type EffectiveMapping } from '../../../lib/crm/mapping';
import { SOURCE_ADAPTERS } from '../../../lib/crm/sources';
import { MAX_WAIT_SEC } from '../../../lib/calls/request';
import { SOURCE_MAX_WAIT_SEC, webhookMappingSchema } from '../../../lib/store/webhook-sources';
import { containing } from '../../support/match';

const base: EffectiveMapping = {
  agent: { by: 'crmUserId', path: ['owner'] },
  to: ['phone'],
  lead: ['lead'],
  leadType: null,
  notBefore: null,
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
    expect(error.code).toBe('mapping_failed');
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

describe('a source that calls a team', () => {
  const byTeam: EffectiveMapping = { ...base, agent: { by: 'team', path: ['properties.c2c_team', 'team'] } };

  it('reads the team from the payload: the request names the team and no agent', () => {
    const payload = { properties: { c2c_team: { value: 'inbound-sales' } }, phone: '+44 7766 889901', lead: 'l-1' };
    expect(mapPayload(payload, {}, byTeam).request).toEqual({ team: 'inbound-sales', to: '+44 7766 889901', lead: { id: 'l-1' } });
    expect(mapPayload({ team: 42, phone: '1' }, {}, byTeam).request).toMatchObject({ team: '42' });
  });

  it('calls a constant team whatever the payload says, with its wait for a free agent', () => {
    const constant = effectiveMapping(SOURCE_ADAPTERS.hubspot.defaultMapping, { team: 'inbound-sales', maxWaitSec: 120 });
    expect(constant.agent).toBeNull();
    const wrapped = { objectId: 1051, properties: { phone: { value: '+44 7766 889901' }, hubspot_owner_id: { value: '52550153' } } };
    const { request } = mapPayload(wrapped, {}, constant);
    expect(request).toEqual({ team: 'inbound-sales', maxWaitSec: 120, to: '+44 7766 889901', lead: { id: '1051' } });
    expect(request).not.toHaveProperty('agent');
  });

  it('refuses a payload value that is not a team name with 422 mapping_failed naming its path, as for a bad agent', () => {
    const error = mappingError(() => mapPayload({ team: 'Inbound Sales #1', phone: '1' }, {}, byTeam));
    expect(error.code).toBe('mapping_failed');
    expect(error.code).toBe('mapping_failed');
    expect(error.errors).toEqual([{ path: 'team', message: containing('letters, digits') }]);
    expect(error.message).toContain('team');
  });

  it('names the team path when it is missing, and an object where a name belongs', () => {
    expect(mappingError(() => mapPayload({ phone: '1' }, {}, byTeam)).errors).toEqual([
      { path: 'properties.c2c_team', message: containing('mapped to team') },
    ]);
    expect(mappingError(() => mapPayload({ team: { id: 3 }, phone: '1' }, {}, byTeam)).errors).toEqual([
      { path: 'team', message: containing('not a value') },
    ]);
  });

  it('reads the earliest time to dial: RFC 3339 with an offset, or epoch milliseconds (HubSpot date-times)', () => {
    const mapping: EffectiveMapping = { ...byTeam, notBefore: ['properties.call_at'] };
    const at = (value: unknown) => mapPayload({ team: 't', phone: '1', properties: { call_at: { value } } }, {}, mapping).request.notBefore;
    expect(at('2026-03-12T14:30:00+01:00')).toBe('2026-03-12T14:30:00+01:00');
    expect(at('1773325800000')).toBe('2026-03-12T14:30:00.000Z');
    expect(at(1773325800000)).toBe('2026-03-12T14:30:00.000Z');
    expect(mapPayload({ team: 't', phone: '1' }, {}, mapping).request).not.toHaveProperty('notBefore');
    for (const bad of ['2026-03-12T14:30:00', 'tomorrow', '1773325800']) {
      expect(mappingError(() => at(bad)).errors).toEqual([{ path: 'properties.call_at', message: containing('RFC 3339') }]);
    }
  });

  it('an agent override replaces a constant team and the other way round', () => {
    const defaults = { ...SOURCE_ADAPTERS.standard.defaultMapping, team: 'fallback' };
    const byAgent = effectiveMapping(defaults, { agent: { by: 'email', path: ['data.email'] } });
    expect(byAgent.agent).toEqual({ by: 'email', path: ['data.email'] });
    expect(byAgent).not.toHaveProperty('team');
    expect(effectiveMapping(SOURCE_ADAPTERS.standard.defaultMapping, { team: 'inbound' })).toMatchObject({ agent: null, team: 'inbound' });
  });
});

describe('stored overrides', () => {
  it('take a team by path or a constant team, never both, and a wait only for a team', () => {
    expect(webhookMappingSchema.safeParse({ agent: { by: 'team', path: ['team'] }, maxWaitSec: 60 }).success).toBe(true);
    expect(webhookMappingSchema.safeParse({ team: 'inbound-sales', maxWaitSec: SOURCE_MAX_WAIT_SEC }).success).toBe(true);
    const issues = (mapping: unknown) => webhookMappingSchema.safeParse(mapping).error?.issues.map((i) => i.path.join('.'));
    expect(issues({ team: 'inbound', agent: { by: 'email', path: ['e'] } })).toEqual(['team']);
    expect(issues({ maxWaitSec: 60 })).toEqual(['maxWaitSec']);
    expect(issues({ agent: { by: 'crmUserId', path: ['o'] }, maxWaitSec: 60 })).toEqual(['maxWaitSec']);
    expect(issues({ team: 'no spaces allowed' })).toEqual(['team']);
    expect(issues({ team: 'inbound', maxWaitSec: SOURCE_MAX_WAIT_SEC + 1 })).toEqual(['maxWaitSec']);
  });

  it("allow the call request's own longest wait, no more", () => {
    expect(SOURCE_MAX_WAIT_SEC).toBe(MAX_WAIT_SEC);
  });
});
