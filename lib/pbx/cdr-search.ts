import * as z from 'zod';
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
}

export class CdrSearchError extends PbxError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CdrSearchError';
  }
}

/**
 * Searches PBX Stats CDRs (`POST /api/cdrs`, form-encoded). Used off the hot path by the
 * reconciler, so plain fetch is enough here.
 */
export async function searchCdrs(settings: CdrSearchSettings, filters: Record<string, string>): Promise<CdrRecord[]> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (settings.apiKey) headers[(settings.apiKeyHeader ?? 'X-Api-Key').toLowerCase()] = settings.apiKey;
  let response: Response;
  try {
    response = await fetch(settings.url, {
      method: 'POST',
      headers,
      body: new URLSearchParams(filters).toString(),
      signal: AbortSignal.timeout(settings.timeoutMs),
    });
  } catch (error) {
    throw new CdrSearchError('The CDR search could not be reached', { cause: error });
  }
  const text = await response.text();
  if (!response.ok) throw new CdrSearchError(`The CDR search answered HTTP ${response.status}`);
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
