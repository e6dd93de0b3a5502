/** The simulated PBX's reading of a Click2Call GET: which route, and what it would answer. */

/** Which documented URL layout a request used. */
export type DialShape = 'click2call' | 'stats';

/** The path segments of a Click2Call GET, decoded, before any validation. */
export interface DialPath {
  shape: DialShape;
  crmId?: string;
  clientId?: string;
  legA: string;
  legB: string;
  prefix?: string;
}

/** What the PBX decides about a well-routed dial request, before faults or allowlists. */
export type DialVerdict = { placed: true } | { placed: false; message: string };

const DIGITS = /^\d+$/;
const E164_DIGITS = /^\d{8,15}$/;

/**
 * Matches `/call/{CRM_ID}/{Client_ID}/{leg_a}/{leg_b}[/{prefix}]` and `/click2call/{leg_a}/{leg_b}[/{prefix}]`.
 * Segments are percent-decoded, so a prefix sent as `%2A` reads `*`. Answers `undefined` for any other path.
 */
export function parseDialPath(pathname: string): DialPath | undefined {
  const raw = pathname.split('/').slice(1);
  // A trailing slash leaves an empty last segment: the prefix is absent, as when it is omitted.
  if (raw.length > 1 && raw.at(-1) === '') raw.pop();
  const segments = raw.map(safeDecode);
  if (segments.some((s) => s === undefined)) return undefined;
  const [route, ...rest] = segments as string[];

  if (route === 'call' && (rest.length === 4 || rest.length === 5)) {
    const [crmId, clientId, legA, legB, prefix] = rest as [string, string, string, string, string?];
    return { shape: 'click2call', crmId, clientId, legA, legB, ...(prefix !== undefined && { prefix }) };
  }
  if (route === 'click2call' && (rest.length === 2 || rest.length === 3)) {
    const [legA, legB, prefix] = rest as [string, string, string?];
    return { shape: 'stats', legA, legB, ...(prefix !== undefined && { prefix }) };
  }
  return undefined;
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * The PBX's own checks, in the order a refusal reports them: ids and legs are digits only, `leg_b` has an
 * E.164 length, and `leg_a` is a registered extension.
 */
export function judgeDial(dial: DialPath, extensions: Pick<ReadonlySet<string>, 'has'>): DialVerdict {
  if (dial.crmId !== undefined && !DIGITS.test(dial.crmId)) return refuse('Invalid CRM ID.');
  if (dial.clientId !== undefined && !DIGITS.test(dial.clientId)) return refuse('Invalid Client ID.');
  if (!DIGITS.test(dial.legA)) return refuse('Invalid leg_a: digits only.');
  if (!E164_DIGITS.test(dial.legB)) return refuse('Invalid leg_b: expected an E.164 number of 8 to 15 digits.');
  if (!extensions.has(dial.legA)) return refuse('Extension does not exist.');
  return { placed: true };
}

function refuse(message: string): DialVerdict {
  return { placed: false, message };
}
