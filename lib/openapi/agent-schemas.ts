import * as z from 'zod';
import type { AgentAvailability, TeamSummary } from '../agents/directory';
import { AVAILABILITY } from '../model/agent';
import type { DoNotCallView } from '../model/do-not-call';

// The resources' schemas that only the API's document reads (agents, teams, the do-not-call list): built when the document is (scripts/build-openapi.ts),
// not at the cold start of the functions that serve agents (BENCHMARKS.md, "Cold start, per function").

/** What an agent resource says of the agent's availability now (docs/api.md, "Availability"). */
export const agentAvailabilitySchema = z
  .object({
    state: z.enum(AVAILABILITY),
    since: z.iso.datetime().optional().meta({ description: 'away: since when.' }),
    until: z.iso.datetime().optional().meta({
      description:
        'away: when the away toggle ends (absent: until set back); on_call: when the call stops counting without a Call End; available: when a planned away starts.',
    }),
    busyCallId: z.string().optional().meta({ description: 'on_call: the call the agent is on.' }),
    idleSince: z.iso.datetime().optional().meta({ description: 'When the agent last became free: the longest idle is routed first.' }),
  })
  .meta({ id: 'AgentAvailability' }) satisfies z.ZodType<AgentAvailability>;

export const teamSummarySchema = z
  .object({
    team: z.string(),
    members: z.number().int(),
    available: z.number().int(),
    onCall: z.number().int(),
    away: z.number().int(),
    placingCall: z.number().int(),
  })
  .meta({ id: 'TeamSummary' }) satisfies z.ZodType<TeamSummary>;

/** A number as the do-not-call routes answer it: the E.164 the caller's number read as, and its entry when listed. */
export const doNotCallViewSchema = z
  .object({
    number: z.string().meta({ description: "The number in E.164, national numbers read in the tenant's default country." }),
    listed: z.boolean(),
    id: z.string().optional().meta({ description: "When listed: the entry's id, the start of the number's keyed hash." }),
    addedAt: z.iso.datetime().optional().meta({ description: 'When listed: since when (the first listing).' }),
    by: z.string().optional().meta({ description: 'When listed: who listed it (`api:<keyId>`, `cli`, `cli-import`).' }),
  })
  .meta({ id: 'DoNotCallEntry' }) satisfies z.ZodType<DoNotCallView>;
