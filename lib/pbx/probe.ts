import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import type { DialOutcome, DialRequest, PbxSettings } from './click2call';
import { PbxError } from './errors';
import { systemClock, type Clock } from '../time/clock';
import { processEnv } from '../config';
import { integer } from '../model/integer';

/**
 * The allowlist probe: one Click2Call GET that cannot ring anything, whose answer tells whether the
 * PBX lets this address in. The PBX answers 404 to an address outside its IP ACL and a JSON answer to
 * any address inside it, so a refusal (`success:false`) is the good news here.
 *
 * Why the probe cannot ring a phone:
 * - `leg_a` is an "extension" of 13 to 32 digits. No agent of this service can hold it (agent extensions
 *   are at most 12 digits, `lib/store/agents.ts`), no PBX hands out extensions that long, and it is
 *   longer than any E.164 number (15 digits), so even a dial plan that treated `leg_a` as a number could
 *   not reach anyone. It may not begin with 0, 1 or 9: trunk and international access codes, and the
 *   emergency numbers (000, 110, 112, 119, 911, 999), begin with those.
 * - The PBX rings `leg_a` first and dials `leg_b` only once `leg_a` answers; `leg_b` is still a number
 *   nobody holds: +44 7700 900000, in the range Ofcom keeps for drama, never allocated.
 * - No `c2c_call_id` rides along, so a stray PBX Stats event can never be taken for a call; the custom
 *   data `c2c_probe=<probe id>` names the probe in the PBX's records instead.
 */

/** Sixteen eights: longer than any extension and any E.164 number, and obvious in a log or a CDR. */
export const DEFAULT_PROBE_EXTENSION = '8888888888888888';
/** +44 7700 900000: Ofcom's drama range, never allocated to a subscriber. */
export const DEFAULT_PROBE_NUMBER = '447700900000';

const emptyAsUndefined = (v: unknown) => (v === '' ? undefined : v);

const probeSettingsSchema = z.object({
  PBX_PROBE_EXTENSION: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[2-8]\d{12,31}$/, '13 to 32 digits, not beginning with 0, 1 or 9 (longer than any extension or phone number)')
      .default(DEFAULT_PROBE_EXTENSION),
  ),
  PBX_PROBE_NUMBER: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^\d{8,15}$/, 'an E.164 number without +, 8 to 15 digits')
      .default(DEFAULT_PROBE_NUMBER),
  ),
});

/** What the probe dials: `legA` the extension that cannot exist, `legB` the number nobody holds. */
export interface ProbeSettings {
  legA: string;
  legB: string;
}

/**
 * Reads `PBX_PROBE_EXTENSION` and `PBX_PROBE_NUMBER` (both optional). Called at cold start, so a bad
 * value fails the deploy's first request, not an operator's diagnosis.
 */
export function loadProbeSettings(env: NodeJS.ProcessEnv = processEnv()): ProbeSettings {
  const parsed = probeSettingsSchema.safeParse(env);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid probe configuration: ${fields}`);
  }
  return { legA: parsed.data.PBX_PROBE_EXTENSION, legB: parsed.data.PBX_PROBE_NUMBER };
}

/**
 * What the probe learnt:
 * - `allowlisted`: the PBX answered `success:false`; it read the request, so this address is on its list;
 * - `not_allowlisted`: HTTP 404, the PBX's answer to an address outside its list (or to a wrong URL);
 * - `credentials_refused`: HTTP 401/403, the PBX wants other Basic credentials;
 * - `accepted`: the PBX said it placed a call to an extension that cannot exist: something is badly wrong;
 * - `unreachable`: nothing left this host (DNS, connection refused, connect timeout);
 * - `misconfigured`: the tenant's PBX settings cannot make a request at all;
 * - `inconclusive`: the request may have arrived but the answer says nothing (timeout, 5xx, not JSON).
 */
export const PROBE_VERDICTS = [
  'allowlisted',
  'not_allowlisted',
  'credentials_refused',
  'accepted',
  'unreachable',
  'misconfigured',
  'inconclusive',
] as const;
export type ProbeVerdict = (typeof PROBE_VERDICTS)[number];

/**
 * The body of `POST /v1/diagnostics/pbx-probe` (200): the OpenAPI document can be generated from it,
 * and `c2c doctor` reads the answer with it.
 */
export const pbxProbeReportSchema = z.object({
  /** Names the probe in logs and in the PBX's records (custom data `c2c_probe`). */
  probeId: z.string(),
  verdict: z.enum(PROBE_VERDICTS),
  /** True only for `allowlisted`. */
  ok: z.boolean(),
  /** What happened, in plain words, naming the address to allowlist where that is the problem. */
  summary: z.string(),
  /** The address the request left from (the stage's NAT gateway); null where the stage does not know it. */
  egressIp: z.string().nullable(),
  pbx: z.object({ host: z.string().nullable(), urlShape: z.enum(['click2call', 'stats']) }),
  /** The legs the probe sent: never an agent's extension, never a real number. */
  request: z.object({ legA: z.string(), legB: z.string() }),
  answer: z.object({
    kind: z.enum(['accepted', 'refused', 'not_allowlisted', 'not_sent', 'unknown', 'invalid_settings']),
    httpStatus: integer().optional(),
    /** The PBX's own message (`success:false` and `success:true` answers), verbatim. */
    message: z.string().optional(),
    /** Transport or classification code: ECONNREFUSED, ENOTFOUND, timeout, http_503... */
    code: z.string().optional(),
    detail: z.string().optional(),
    /** Set when the PBX claimed it placed a call: the id to look up in its CDRs. */
    uniqueId: z.string().optional(),
    /** From the Lambda to the PBX and back. */
    latencyMs: z.number(),
  }),
  probedAt: z.string(),
});
export type PbxProbeReport = z.infer<typeof pbxProbeReportSchema>;

/**
 * How many probes a tenant may send: 5 in each fixed minute. Every probe is a real GET from the one egress
 * IP that all tenants share; a PBX (or CommPeak's edge) that sees a burst of odd requests from it may throttle
 * or block that address, and then every tenant's calls fail. Five a minute is plenty for an operator fixing
 * an allowlist (and for `c2c doctor`, which sends one).
 */
export const PROBE_BUDGET = { max: 5, windowSec: 60 } as const;

/** The counter the budget is kept in: lib/store/rate-limits.ts' RateLimitRepository, shared by every Lambda. */
export interface ProbeCounter {
  admit(tenantId: string, scope: string, windowStart: number, windowSec: number, max: number, member: string): Promise<boolean>;
}

/**
 * Takes one probe from the tenant's budget ({@link PROBE_BUDGET}), before anything is sent. When none is
 * left, answers how many seconds remain until the window turns over.
 */
export async function takeProbeSlot(
  counter: ProbeCounter,
  tenantId: string,
  nowMs: number = Date.now(),
): Promise<{ admitted: true } | { admitted: false; retryAfterSec: number }> {
  const nowSec = Math.floor(nowMs / 1000);
  const windowStart = nowSec - (nowSec % PROBE_BUDGET.windowSec);
  // Each probe is its own member: unlike a call, a repeated probe is a new GET and must count again.
  const member = `probe_${randomBytes(6).toString('hex')}`;
  if (await counter.admit(tenantId, 'probe', windowStart, PROBE_BUDGET.windowSec, PROBE_BUDGET.max, member)) return { admitted: true };
  return { admitted: false, retryAfterSec: Math.max(1, windowStart + PROBE_BUDGET.windowSec - nowSec) };
}

export interface ProbeDeps {
  pbx: { dial(settings: PbxSettings, request: DialRequest): Promise<DialOutcome> };
  now?: Clock;
}

/**
 * Sends the probe through the tenant's PBX settings and classifies the answer. Never throws for what
 * the PBX or the network did; every outcome is a verdict. Writes nothing anywhere: a probe is not a call.
 */
export async function probePbx(
  deps: ProbeDeps,
  settings: PbxSettings,
  probe: ProbeSettings,
  egressIp: string | null,
): Promise<PbxProbeReport> {
  const probeId = `probe_${randomBytes(6).toString('hex')}`;
  const probedAt = (deps.now ?? systemClock)().toISOString();
  const base = {
    probeId,
    egressIp,
    pbx: { host: hostOf(settings.baseUrl), urlShape: settings.urlShape },
    request: { legA: probe.legA, legB: probe.legB },
    probedAt,
  };
  let outcome: DialOutcome;
  try {
    outcome = await deps.pbx.dial(settings, { legA: probe.legA, legB: probe.legB, query: { c2c_probe: probeId } });
  } catch (error) {
    if (!(error instanceof PbxError)) throw error;
    return {
      ...base,
      verdict: 'misconfigured',
      ok: false,
      summary: `The tenant's PBX settings cannot make a Click2Call request (${error.message}); nothing was sent.`,
      answer: { kind: 'invalid_settings', detail: error.message, latencyMs: 0 },
    };
  }
  const { verdict, summary } = interpretProbeOutcome(outcome, { egressIp, legA: probe.legA, host: base.pbx.host });
  return { ...base, verdict, ok: verdict === 'allowlisted', summary, answer: answerOf(outcome) };
}

/** The verdict and its plain-words summary for one Click2Call outcome of the probe. Pure. */
export function interpretProbeOutcome(
  outcome: DialOutcome,
  context: { egressIp: string | null; legA: string; host: string | null },
): { verdict: ProbeVerdict; summary: string } {
  const from = context.egressIp
    ? `this stage's egress IP ${context.egressIp}`
    : "this stage's egress IP (unknown to the stage: see the EgressIp stack output)";
  const pbx = context.host ?? 'the PBX';
  switch (outcome.kind) {
    case 'refused':
      return {
        verdict: 'allowlisted',
        summary: `${pbx} answered the probe from ${from} and refused it as expected ("${outcome.message}"): this address is allowlisted.`,
      };
    case 'not_allowlisted':
      return {
        verdict: 'not_allowlisted',
        summary:
          `${pbx} answered HTTP 404 to ${from}: the PBX does not allowlist this address, so every call is refused (422 pbx_not_allowlisted). ` +
          `Ask the PBX customer to add ${context.egressIp ?? 'the egress IP'} to the IP ACL (Click2Call / API access). ` +
          'A wrong base URL or URL shape also answers 404: check those if the address is on the list already.',
      };
    case 'accepted':
      return {
        verdict: 'accepted',
        summary:
          `${pbx} claims it placed a call to extension ${context.legA}, which cannot exist (unique_id ${outcome.uniqueId}). ` +
          'This address is allowlisted, but the PBX accepts calls it should refuse: look that unique_id up in its CDRs, ' +
          'and tell CommPeak support. Do not rely on the PBX to refuse wrong extensions for this tenant.',
      };
    case 'not_sent':
      return {
        verdict: 'unreachable',
        summary: `The probe never reached ${pbx} (${outcome.code}: ${outcome.detail}): calls cannot be placed (503, nothing sent). Check the PBX base URL and that the host resolves and listens.`,
      };
    case 'unknown':
      if (outcome.httpStatus === 401 || outcome.httpStatus === 403) {
        return {
          verdict: 'credentials_refused',
          summary: `${pbx} answered HTTP ${outcome.httpStatus}: it wants other HTTP Basic credentials than the tenant's PBX user and password, so every call fails. Whether ${context.egressIp ?? 'the egress IP'} is allowlisted shows once the credentials are right.`,
        };
      }
      return {
        verdict: 'inconclusive',
        summary: `${pbx} gave no usable answer to the probe (${outcome.code}: ${outcome.detail}); whether this address is allowlisted is unknown. Calls now would end "unknown" too. Try again; if it persists, check the PBX base URL (a web page answering 200 is not a PBX) and the PBX's health.`,
      };
  }
}

function answerOf(outcome: DialOutcome): PbxProbeReport['answer'] {
  switch (outcome.kind) {
    case 'accepted':
      return { kind: 'accepted', message: outcome.message, uniqueId: outcome.uniqueId, latencyMs: outcome.latencyMs };
    case 'refused':
      return { kind: 'refused', message: outcome.message, latencyMs: outcome.latencyMs };
    case 'not_allowlisted':
      return { kind: 'not_allowlisted', httpStatus: 404, latencyMs: outcome.latencyMs };
    case 'not_sent':
      return { kind: 'not_sent', code: outcome.code, detail: outcome.detail, latencyMs: outcome.latencyMs };
    case 'unknown':
      return {
        kind: 'unknown',
        ...(outcome.httpStatus !== undefined && { httpStatus: outcome.httpStatus }),
        code: outcome.code,
        detail: outcome.detail,
        latencyMs: outcome.latencyMs,
      };
  }
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).host || null;
  } catch {
    return null;
  }
}
