import * as z from 'zod';
import type { AgentAvailability, TeamSummary } from '../agents/directory';
import { AVAILABILITY } from '../model/agent';

// The agent resources' schemas that only the API's document reads: built when the document is (scripts/build-openapi.ts),
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
