import { randomUUID } from 'node:crypto';
import {
  CALL_ASSOCIATION_TYPES,
  HUBSPOT_CALL_DIRECTIONS,
  HUBSPOT_CALL_STATUSES,
  HUBSPOT_DISPOSITIONS,
  type HubSpotRecordKind,
} from '../../lib/notify/transports/hubspot-fields';

/**
 * What the fake HubSpot refuses, and in HubSpot's words: the error bodies (`{status, message, correlationId,
 * category}`), the property validation (`Property values were not valid: [...]` with one entry per property) and the
 * association checks. Where HubSpot's exact words for a case are not documented, the fake answers in the same shape
 * and says so in docs/crm-logging.md.
 */

/** The call properties the fake knows (HubSpot's default calling properties and the CRM's own); any other is refused. */
export const KNOWN_CALL_PROPERTIES = new Set([
  'hs_timestamp',
  'hs_call_title',
  'hs_call_body',
  'hs_call_callee_object_id',
  'hs_call_callee_object_type',
  'hs_call_direction',
  'hs_call_disposition',
  'hs_call_duration',
  'hs_call_from_number',
  'hs_call_recording_url',
  'hs_call_status',
  'hs_call_to_number',
  'hubspot_owner_id',
  'hs_activity_type',
  'hs_attachment_ids',
  'hs_object_id',
  'hs_createdate',
  'hs_lastmodifieddate',
]);

/** Read-only properties: HubSpot sets them. */
const READ_ONLY = new Set(['hs_object_id', 'hs_createdate', 'hs_lastmodifieddate']);

export interface ErrorBody {
  status: 'error';
  message: string;
  correlationId: string;
  category: string;
  subCategory?: string;
  errors?: Array<{ message: string; context?: Record<string, string[]> }>;
  links?: Record<string, string>;
  context?: Record<string, string[]>;
}

export const errorBody = (category: string, message: string, extra: Partial<ErrorBody> = {}): ErrorBody => ({
  status: 'error',
  message,
  correlationId: randomUUID(),
  category,
  ...extra,
});

export const unauthenticated = (): ErrorBody =>
  errorBody(
    'INVALID_AUTHENTICATION',
    'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
  );

export const missingScopes = (scope: string): ErrorBody =>
  errorBody(
    'MISSING_SCOPES',
    "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
    {
      errors: [{ message: 'One or more of the following scopes are required.', context: { requiredGranularScopes: [scope] } }],
      links: { scopes: 'https://developers.hubspot.com/scopes' },
    },
  );

interface PropertyError {
  name: string;
  error: string;
  message: string;
}

/** HubSpot's 400 for property values: the message embeds one JSON entry per refused property. */
export function propertyErrors(errors: PropertyError[]): ErrorBody {
  const entries = errors.map((e) => ({
    isValid: false,
    message: e.message,
    error: e.error,
    name: e.name,
    localizedErrorMessage: e.message,
  }));
  return errorBody('VALIDATION_ERROR', `Property values were not valid: ${JSON.stringify(entries)}`);
}

/** HubSpot takes `hs_timestamp` as epoch milliseconds or as an ISO 8601 UTC date-time. */
const EPOCH_MS = /^\d{1,15}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

export function isHubSpotDateTime(value: string): boolean {
  if (EPOCH_MS.test(value)) return true;
  return ISO_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value));
}

export interface Directory {
  owners: ReadonlySet<string>;
  dispositions: ReadonlySet<string>;
}

export const DEFAULT_DISPOSITIONS: ReadonlySet<string> = new Set(Object.values(HUBSPOT_DISPOSITIONS));

/** Every refused property of a create (`creating`) or an update, in HubSpot's order of the body. */
export function checkProperties(properties: unknown, creating: boolean, directory: Directory): PropertyError[] | 'not-an-object' {
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) return 'not-an-object';
  const errors: PropertyError[] = [];
  const entries = Object.entries(properties as Record<string, unknown>);
  for (const [name, raw] of entries) {
    if (!KNOWN_CALL_PROPERTIES.has(name)) {
      errors.push({ name, error: 'PROPERTY_DOESNT_EXIST', message: `Property "${name}" does not exist` });
      continue;
    }
    if (READ_ONLY.has(name)) {
      errors.push({ name, error: 'READ_ONLY_VALUE', message: `"${name}" is a read only property; its value cannot be set.` });
      continue;
    }
    if (raw === null) continue;
    if (typeof raw !== 'string' && typeof raw !== 'number') {
      errors.push({ name, error: 'INVALID_VALUE', message: `${JSON.stringify(raw)} is not a valid value for ${name}` });
      continue;
    }
    const value = String(raw);
    const refusal = checkValue(name, value, directory);
    if (refusal) errors.push({ name, ...refusal });
  }
  if (creating && !entries.some(([name, value]) => name === 'hs_timestamp' && value !== null && value !== '')) {
    errors.push({ name: 'hs_timestamp', error: 'REQUIRED_PROPERTY', message: 'hs_timestamp is required' });
  }
  return errors;
}

function checkValue(name: string, value: string, directory: Directory): { error: string; message: string } | undefined {
  const option = (allowed: readonly string[]) =>
    allowed.includes(value)
      ? undefined
      : { error: 'INVALID_OPTION', message: `${value} was not one of the allowed options: [${allowed.join(', ')}]` };
  switch (name) {
    case 'hs_timestamp':
      return isHubSpotDateTime(value) ? undefined : { error: 'INVALID_DATE', message: `${value} is not a valid datetime` };
    case 'hs_call_direction':
      return option(HUBSPOT_CALL_DIRECTIONS);
    case 'hs_call_status':
      return option(HUBSPOT_CALL_STATUSES);
    case 'hs_call_disposition':
      return option([...directory.dispositions]);
    case 'hs_call_duration':
      return /^\d+$/.test(value) ? undefined : { error: 'INVALID_LONG', message: `${value} is not a valid long` };
    case 'hubspot_owner_id':
      return value === '' || directory.owners.has(value)
        ? undefined
        : { error: 'INVALID_OWNER_ID', message: `${value} is not a valid owner id` };
    case 'hs_call_recording_url':
      return value === '' || /^https:\/\/\S+$/.test(value)
        ? undefined
        : { error: 'INVALID_URL', message: `${value} is not a secure (HTTPS) recording URL` };
    default:
      return undefined;
  }
}

/** The object each HubSpot-defined call association type points to. */
export const ASSOCIATION_TARGETS = new Map<number, HubSpotRecordKind>(
  Object.entries(CALL_ASSOCIATION_TYPES).map(([kind, id]) => [id, kind as HubSpotRecordKind]),
);

const PLURAL: Record<HubSpotRecordKind, string> = { contact: 'contacts', company: 'companies', deal: 'deals' };

/** The first refusal of a create's associations: a malformed entry, an unknown type, or a record that does not exist. */
export function checkAssociations(associations: unknown, records: Record<HubSpotRecordKind, ReadonlySet<string>>): ErrorBody | undefined {
  if (associations === undefined) return undefined;
  if (!Array.isArray(associations)) return errorBody('VALIDATION_ERROR', 'Invalid input JSON: associations must be an array');
  for (const entry of associations as unknown[]) {
    const { to, types } = (entry ?? {}) as { to?: { id?: unknown }; types?: unknown };
    const id = to?.id;
    if ((typeof id !== 'string' && typeof id !== 'number') || !Array.isArray(types) || types.length === 0) {
      return errorBody('VALIDATION_ERROR', 'Invalid input JSON: each association needs to.id and at least one type');
    }
    for (const type of types as unknown[]) {
      const { associationCategory, associationTypeId } = (type ?? {}) as { associationCategory?: unknown; associationTypeId?: unknown };
      if (!['HUBSPOT_DEFINED', 'USER_DEFINED', 'INTEGRATOR_DEFINED', 'WORK'].includes(String(associationCategory))) {
        return errorBody('VALIDATION_ERROR', `Invalid input JSON: ${String(associationCategory)} is not a valid associationCategory`);
      }
      const kind = typeof associationTypeId === 'number' ? ASSOCIATION_TARGETS.get(associationTypeId) : undefined;
      if (associationCategory !== 'HUBSPOT_DEFINED' || !kind) {
        return errorBody('VALIDATION_ERROR', `${String(associationTypeId)} is not a valid association type for calls`, {
          subCategory: 'crm.associations.INVALID_ASSOCIATION_TYPE',
          context: { type: [String(associationTypeId)], fromObjectType: ['CALL'] },
        });
      }
      if (!records[kind].has(String(id))) {
        return errorBody(
          'VALIDATION_ERROR',
          `No ${kind} with id ${String(id)} exists: association type ${String(associationTypeId)} links a call to ${PLURAL[kind]}`,
          {
            subCategory: 'crm.associations.INVALID_OBJECT_IDS',
            context: { toObjectType: [kind.toUpperCase()], ids: [String(id)] },
          },
        );
      }
    }
  }
  return undefined;
}

/** The words of HubSpot's search `CONTAINS_TOKEN`: the text without markup, split on anything not a letter or digit. */
export function tokensOf(text: string): string[] {
  return text
    .replace(/<[^>]*>/g, ' ')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** Whether a property value matches one search filter (EQ, NEQ, IN, CONTAINS_TOKEN, HAS_PROPERTY, NOT_HAS_PROPERTY). */
export function matchesFilter(
  value: string | undefined,
  operator: string,
  wanted: string | undefined,
  values: string[] | undefined,
): boolean {
  switch (operator) {
    case 'EQ':
      return value !== undefined && value.toLowerCase() === (wanted ?? '').toLowerCase();
    case 'NEQ':
      return value === undefined || value.toLowerCase() !== (wanted ?? '').toLowerCase();
    case 'IN':
      return value !== undefined && (values ?? []).some((v) => v.toLowerCase() === value.toLowerCase());
    case 'HAS_PROPERTY':
      return value !== undefined && value !== '';
    case 'NOT_HAS_PROPERTY':
      return value === undefined || value === '';
    case 'CONTAINS_TOKEN': {
      if (value === undefined || wanted === undefined) return false;
      // A `*` in the token is HubSpot's wildcard.
      const pattern = new RegExp(`^${wanted.toLowerCase().split('*').map(escapeRegExp).join('[a-z0-9]*')}$`);
      return tokensOf(value).some((token) => pattern.test(token));
    }
    default:
      return false;
  }
}

export const SEARCH_OPERATORS = new Set(['EQ', 'NEQ', 'IN', 'HAS_PROPERTY', 'NOT_HAS_PROPERTY', 'CONTAINS_TOKEN']);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
