import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/**
 * What the samples and the shared webhook tests need to know of one source: its published test secrets, how its
 * sender builds, signs and varies a delivery. One file per source beside this one, listed in local/hook-samples.ts;
 * nothing under lib/ imports them, so no function bundle carries them.
 */
export interface SourceSamples {
  /** The sample tenant's live secret: published on purpose, for tests and the local stack only. */
  secret: string;
  /** What the forger of `forged-signature.json` signed (or logged in) with: valid in form, not the tenant's. */
  forgedSecret: string;
  /** A second live secret of the sample tenant, as during a rotation (tests). */
  rotatedSecret: string;
  /** The secret of another tenant (tests). */
  otherTenantSecret: string;
  /** The sender's User-Agent. */
  userAgent: string;
  /** A realistic payload of the sender; without `complete`, the number is left out (`missing-field.json`). */
  payload(complete: boolean): unknown;
  /** Headers the sender adds to the common ones (its delivery id), per case. */
  headers?(complete: boolean): Record<string, string>;
  /** Where the payload holds the number: the 422 of `missing-field.json` names this path. */
  numberPath: string;
  /** The scheme signs the body: a body changed after signing is refused. Credentials alone (Basic, a token) do not. */
  signsBody: boolean;
  /** The scheme signs a timestamp and refuses an old one: such a source has a `stale-timestamp` sample. */
  signsTimestamp: boolean;
  /** The headers that sign (or log in) a delivery with `secret` at `atMs`, as the sender computes them. */
  sign(request: SignedRequest, secret: string, atMs: number): Record<string, string>;
  /** The delivery made another one, `n`: another delivery id and lead, so that it replays no earlier delivery. */
  variant(event: APIGatewayProxyEventV2, n: string): APIGatewayProxyEventV2;
  /** Edits a payload of the sender to name an agent the tenant does not have (a permanent refusal). */
  unknownAgent(body: never): void;
}

/** What a sender signs over: the URL it calls, the headers it sends, the body. */
export interface SignedRequest {
  url: string;
  headers: Readonly<Record<string, string | undefined>>;
  body: string;
}

/** The event with its JSON body changed by `fn` (re-serialised compactly, as the senders do; content-length kept truthful). */
export function editSampleJson<T>(event: APIGatewayProxyEventV2, fn: (body: T) => void): APIGatewayProxyEventV2 {
  const body = JSON.parse(event.body ?? '{}') as T;
  fn(body);
  const text = JSON.stringify(body);
  return { ...event, body: text, headers: { ...event.headers, 'content-length': String(Buffer.byteLength(text)) } };
}
