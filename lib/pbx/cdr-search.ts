import * as z from 'zod';
import { ForbiddenAddressError, outboundPolicyFromEnv, type OutboundPolicy } from '../net/outbound';
import { ResponseTooLargeError, sendOutbound, type OutboundResponse } from '../net/request';
import { PbxError } from './errors';

/** One CDR as PBX Stats' search returns it; unknown fields are kept. */
export const cdrSchema = z.looseObject({
  uniqueid: z.coerce.string(),
  call_start: z.string().nullish(),
  call_end: z.string().nullish(),
  duration: z.coerce.number().nullish(),
  bill_duration: z.coerce.number().nullish(),
  destination: z.coerce.string().nullish(),
  extension: z.coerce.string().nullish(),
  hangup_cause: z.string().nullish(),
  recording_link: z.string().nullish(),
  custom_fields: z.record(z.string(), z.unknown()).nullish(),
});
export type CdrRecord = z.infer<typeof cdrSchema>;

const answerSchema = z.looseObject({ data: z.array(cdrSchema) });

export interface CdrSearchSettings {
  url: string;
  apiKey?: string;
  /** The header that carries the key; PBX Stats' exact name is a setting, not a guess in code. */
  apiKeyHeader?: string;
  timeoutMs: number;
  /** Which addresses the search may reach; default: `ALLOW_PRIVATE_OUTBOUND` of the environment. */
  outbound?: OutboundPolicy;
}

/**
 * A search by one call id answers a handful of CDRs (a few KB); far more is not an answer to that question,
 * and reading it whole would let a misbehaving server fill the reconciler's memory.
 */
export const MAX_CDR_ANSWER_BYTES = 1024 * 1024;

export class CdrSearchError extends PbxError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CdrSearchError';
  }
}

/** The CDR URL is, or resolves to, an address this stage may not reach (lib/net/outbound.ts): nothing was sent. */
export class CdrAddressRefusedError extends CdrSearchError {
  constructor(cause: ForbiddenAddressError) {
    super(`The CDR search was not sent: ${cause.message}`, { cause });
    this.name = 'CdrAddressRefusedError';
  }
}

/**
 * Searches PBX Stats CDRs (`POST /api/cdrs`, form-encoded). Used off the hot path by the reconciler.
 * The API key rides in a header, so redirects are never followed (a 3xx is an error: the key must not
 * travel to another host), the body is read up to {@link MAX_CDR_ANSWER_BYTES}, and only allowed
 * addresses are reached.
 *
 * @throws {CdrAddressRefusedError} the URL leads to a forbidden address
 * @throws {CdrSearchError} unreachable, a non-2xx answer, a body too large, not JSON, or of another shape
 */
export async function searchCdrs(settings: CdrSearchSettings, filters: Record<string, string>): Promise<CdrRecord[]> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (settings.apiKey) headers[(settings.apiKeyHeader ?? 'X-Api-Key').toLowerCase()] = settings.apiKey;
  let response: OutboundResponse;
  try {
    response = await sendOutbound(settings.url, {
      method: 'POST',
      headers,
      body: new URLSearchParams(filters).toString(),
      timeoutMs: settings.timeoutMs,
      maxBodyBytes: MAX_CDR_ANSWER_BYTES,
      policy: settings.outbound ?? outboundPolicyFromEnv(),
    });
  } catch (error) {
    if (error instanceof ForbiddenAddressError) throw new CdrAddressRefusedError(error);
    if (error instanceof ResponseTooLargeError)
      throw new CdrSearchError(`The CDR search answer is larger than ${error.limit} bytes`, { cause: error });
    throw new CdrSearchError('The CDR search could not be reached', { cause: error });
  }
  if (response.status >= 300 && response.status < 400) {
    throw new CdrSearchError(
      `The CDR search answered HTTP ${response.status} (a redirect: not followed, so the API key stays with the CDR host; configure the final URL as the CDR URL)`,
    );
  }
  if (response.status < 200 || response.status > 299) throw new CdrSearchError(`The CDR search answered HTTP ${response.status}`);
  const text = response.body.toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new CdrSearchError('The CDR search answered something that is not JSON', { cause: error });
  }
  const parsed = answerSchema.safeParse(body);
  if (!parsed.success) throw new CdrSearchError('The CDR search answer has an unexpected shape', { cause: parsed.error });
  return parsed.data.data;
}
