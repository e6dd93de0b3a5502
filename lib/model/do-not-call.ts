import * as z from 'zod';

/**
 * The do-not-call routes' shapes (docs/api.md, "Do-not-call list"): a model of their own, so that the OpenAPI document
 * lists them without bundling the phone-number metadata the routes read numbers with.
 */

/**
 * A number as the do-not-call routes answer it: the E.164 the caller's number read as, and its entry when listed. Its
 * schema, which only the API's document reads, is in lib/openapi/agent-schemas.ts.
 */
export interface DoNotCallView {
  /** The number in E.164, national numbers read in the tenant's default country. */
  number: string;
  listed: boolean;
  /** When listed: the entry's id, the start of the number's keyed hash. */
  id?: string;
  /** When listed: since when (the first listing). */
  addedAt?: string;
  /** When listed: who listed it (`api:<keyId>`, `cli`, `cli-import`). */
  by?: string;
}

/** `GET /v1/dnc?number=`. */
export const dncLookupQuerySchema = z.strictObject({
  number: z.string().min(1).max(40).meta({ description: "E.164, or national in the tenant's default country." }),
});
