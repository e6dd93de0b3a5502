import { AgentDirectory } from '../agents/directory';
import { AgentPresenceRepository } from '../store/agent-presence';
import { perRoot } from './root';
import { agents, table } from './readers';

// What functions/agents.ts reads besides the use case: the schemas of its query and availability body, the teams' bound.
export { availabilityInputSchema, listAgentsQuerySchema, MAX_TEAM_MEMBERSHIPS, putAgentQuerySchema } from '../agents/directory';

/** The agents API: agents, their teams and their availability. */
export const agentDirectoryUseCase = perRoot(
  (r) => new AgentDirectory({ agents: agents(r), presence: new AgentPresenceRepository(table(r)), now: r.clock }),
);
