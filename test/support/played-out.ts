import type { CallState } from '../../lib/model/call';
import type { CallRepository } from '../../lib/store/calls';

/** The states a call the PBX simulator plays out ends in. */
export const PLAYED_OUT: readonly CallState[] = ['completed', 'busy', 'no_answer', 'failed'];

/** Waits until the simulator's PBX events have moved the call to a final state; throws naming the state it stayed in. */
export async function untilPlayedOut(
  calls: Pick<CallRepository, 'get'>,
  tenantId: string,
  callId: string,
  timeoutMs = 10_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const call = (await calls.get(tenantId, callId))!;
    if (PLAYED_OUT.includes(call.state)) return callId;
    if (Date.now() > deadline) throw new Error(`call ${callId} did not end: ${call.state}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
