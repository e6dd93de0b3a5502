/**
 * `lead.type` from webhook payloads (issue 20): each source's default mapping fills it from its own payload, a
 * tenant's mapping overrides it (a constant, another path, none), and a value that is no kind of record is a
 * mapping_failed naming the payload path it came from.
 */
import { describe, expect, it } from 'vitest';
import { MappingError } from '../../../lib/crm/errors';
import { effectiveMapping, mapPayload } from '../../../lib/crm/mapping';
import { SOURCE_ADAPTERS, type WebhookSource } from '../../../lib/crm/sources';
import { webhookMappingSchema, type WebhookMapping } from '../../../lib/store/webhook-sources';

const map = (source: WebhookSource, payload: unknown, overrides: WebhookMapping = {}) =>
  mapPayload(payload, {}, effectiveMapping(SOURCE_ADAPTERS[source].defaultMapping, overrides)).request.lead;

const failure = (fn: () => unknown): MappingError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof MappingError) return error;
    throw error;
  }
  throw new Error('expected a MappingError');
};

/** HubSpot's workflow webhook: the enrolled record, its kind in `objectType`. */
const hubspotPayload = (objectType?: string) => ({
  objectId: 1051,
  ...(objectType === undefined ? {} : { objectType }),
  properties: { phone: { value: '+44 7766 889901' }, hubspot_owner_id: { value: '52550153' } },
});

/** Pipedrive webhooks v2: `meta.entity` names the object, `data.id` is its id. */
const pipedrivePayload = (entity: string) => ({
  data: { id: 4242, owner_id: 23865811, phones: [{ value: '+44 7766 889902' }] },
  meta: { id: 'b4c1e2d3', entity, entity_id: '4242', version: '2.0' },
});

describe("each source's default mapping", () => {
  it.each([
    ['CONTACT', 'contact'],
    ['COMPANY', 'company'],
    ['DEAL', 'deal'],
    ['0-1', 'contact'],
    ['0-2', 'company'],
    ['0-3', 'deal'],
  ])('HubSpot: objectType %s is a %s', (objectType, type) => {
    expect(map('hubspot', hubspotPayload(objectType))).toEqual({ id: '1051', type });
  });

  it('HubSpot: no objectType (the legacy contact format) gives no type', () => {
    expect(map('hubspot', hubspotPayload())).toEqual({ id: '1051' });
  });

  it('HubSpot: a kind calls are not logged on is refused under objectType', () => {
    expect(failure(() => map('hubspot', hubspotPayload('TICKET'))).errors).toEqual([
      { path: 'objectType', message: expect.any(String) as unknown },
    ]);
  });

  it.each([
    ['person', 'person'],
    ['deal', 'deal'],
    ['organization', 'organization'],
    ['lead', 'lead'],
  ])('Pipedrive: a %s event gives a %s', (entity, type) => {
    expect(map('pipedrive', pipedrivePayload(entity))).toEqual({ id: '4242', type });
  });

  it('Standard Webhooks: data.lead.type, and a misspelt one refused under its path', () => {
    const payload = (type: string) => ({ data: { agent: { crmUserId: 'u-17' }, to: '+44 7766 889900', lead: { id: '77', type } } });
    expect(map('standard', payload('deal'))).toEqual({ id: '77', type: 'deal' });
    expect(failure(() => map('standard', payload('contat'))).errors?.map((e) => e.path)).toEqual(['data.lead.type']);
  });

  it('token: lead_type beside lead_id', () => {
    expect(map('token', { agent_email: 'a@example.com', phone: '+44 7766 889900', lead_id: '5', lead_type: 'Company' })).toEqual({
      id: '5',
      type: 'company',
    });
  });

  it('a type without a lead id gives no lead', () => {
    expect(map('standard', { data: { agent: { crmUserId: 'u-17' }, to: '+44 7766 889900', lead_type: 'deal' } })).toBeUndefined();
  });
});

describe("a tenant's mapping", () => {
  it('says the kind for every delivery, reads it elsewhere, or sends none', () => {
    expect(map('hubspot', hubspotPayload('CONTACT'), { leadType: { value: 'deal' } })).toEqual({ id: '1051', type: 'deal' });
    expect(
      map(
        'pipedrive',
        { ...pipedrivePayload('person'), data: { ...pipedrivePayload('person').data, kind: 'organization' } },
        { leadType: { path: ['data.kind'] } },
      ),
    ).toEqual({
      id: '4242',
      type: 'organization',
    });
    expect(map('hubspot', hubspotPayload('DEAL'), { leadType: null })).toEqual({ id: '1051' });
  });

  it('refuses a constant that is no kind when it is set', () => {
    expect(webhookMappingSchema.safeParse({ leadType: { value: 'ticket' } }).success).toBe(false);
    expect(webhookMappingSchema.safeParse({ leadType: { path: ['x'], extra: 1 } }).success).toBe(false);
  });
});
