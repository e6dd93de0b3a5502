/**
 * What the console reads from the API (docs/api.md) and from the PBX simulator: only the fields it shows. Types only,
 * shared by the pure logic (logic/, unit-tested in Node) and the panels.
 */

export interface FieldError {
  path: string;
  message: string;
}

/** A problem+json body: only the fields shown. */
export interface Problem {
  title?: string;
  detail?: string;
  code?: string;
  errors?: FieldError[];
  call?: { callId?: string; state?: string; reason?: string };
  requestId?: string;
}

/** What an agent is doing now, as the team router sees it (docs/api.md, "Availability"). */
export interface Availability {
  state: string;
  since?: string;
  until?: string;
  busyCallId?: string;
  idleSince?: string;
}

export interface Agent {
  crmUserId: string;
  extension: string;
  name?: string;
  email?: string;
  teams?: string[];
  availability?: Availability;
}

/** One team of `GET /v1/teams`: its members counted by availability now. */
export interface TeamSummary {
  team: string;
  members: number;
  available?: number;
  onCall?: number;
  away?: number;
  placingCall?: number;
}

/** How a team call chose its agent (or is still looking for one). */
export interface Routing {
  team?: string;
  chosen?: string | null;
  decidedAt?: string | null;
  passedOver?: Array<{ crmUserId: string; reason: string }>;
  attempts?: number;
}

export interface CallEvent {
  at: string;
  state: string;
  detail?: string | null;
}

/** A call's logging in one CRM: `logged` with the activity's id, else why not yet (or not at all). */
export interface CallLogged {
  crm: string;
  state: string;
  remoteId: string | null;
  error: string | null;
}

/** The call resource (docs/api.md, "The call resource"): every field is there in every state, null where absent. */
export interface Call {
  callId: string;
  state: string;
  createdAt: string;
  updatedAt?: string;
  duplicate?: boolean;
  /** Null while a team call has no member yet. */
  agent?: { crmUserId?: string | null; email?: string | null; extension?: string | null } | null;
  to?: string;
  legB?: string | null;
  lead?: { id?: string; type?: string | null } | null;
  reason?: string | null;
  /** Where the call was logged, per CRM (docs/api.md, "The call resource"). */
  logged?: CallLogged[];
  source?: string;
  outcome?: { billSec?: number | null; hangupCause?: string | null; endedAt?: string | null };
  events?: CallEvent[];
  team?: string | null;
  routing?: Routing | null;
  schedule?: { notBefore: string; reason: string } | null;
  queue?: { maxWaitSec: number; since: string | null; until: string | null } | null;
}

/** The body of `POST /v1/calls` the form sends: one agent, or any free agent of a team. */
export interface PlaceBody {
  agent?: { crmUserId: string };
  team?: string;
  to: string;
  lead?: { id: string };
  maxWaitSec?: number;
  notBefore?: string;
}

export interface DayFigures {
  calls: number;
  answered: number;
  answerRate: number;
  talkTimeSec: number;
  notPlaced: number;
}

export interface AgentDay extends DayFigures {
  crmUserId: string;
  date: string;
}

export interface AgentTotals extends DayFigures {
  crmUserId: string;
}

export interface StatsReport {
  from: string;
  to: string;
  tz: string;
  days?: AgentDay[];
  agents?: AgentTotals[];
}

export interface Health {
  egressIp?: string;
  stage?: string;
}

/** A call as the PBX simulator lists it (local/pbx-sim). */
export interface SimCall {
  callId?: string;
  uniqueId: string;
  phase: string;
  outcome: string;
  extension: string;
  destination: string;
  placedAt: string;
  answerAt: string;
  endAt: string;
  billSec: number;
  hangupCause: string;
}

/** An API answer: its body parsed as JSON, or null when it is not JSON. */
export interface Answer<T> {
  status: number;
  ok: boolean;
  body: T | null;
  headers: Headers;
}

export interface ApiInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** The calls list's filters, as last applied. */
export interface Filters {
  leadId: string;
  agent: string;
  state: string;
}

/** The last call request without a definite answer: a retry of the same request reuses its Idempotency-Key. */
export interface PendingAttempt {
  signature: string;
  key: string;
}

/** A webhook subscription (docs/api.md, "Subscriptions"): only the fields shown. */
export interface Subscription {
  id: string;
  url: string;
  events: string[];
  status: string;
  disabledReason: string | null;
  description: string | null;
}

/** One attempt of a subscription's delivery log. */
export interface DeliveryAttempt {
  event: string;
  callId: string | null;
  attempt: number;
  status: string;
  responseCode: number | null;
  latencyMs: number | null;
  error: string | null;
  attemptedAt: string;
  nextAttemptAt: string | null;
}
