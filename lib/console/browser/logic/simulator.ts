import type { SimCall } from '../types';
import { seconds } from './format';

/** The PBX simulator's calls in words. Pure (no DOM): unit-tested in Node. */

export const simPhaseText = (phase: string) => (phase === 'answered' ? 'talking' : phase);

/** How the simulator plays the call out: answered after how long and billed how much, or how it ends and when. */
export function simPlan(call: SimCall) {
  const placedAt = new Date(call.placedAt).getTime();
  return call.outcome === 'answered'
    ? 'answered after ' + seconds(new Date(call.answerAt).getTime() - placedAt) + ', ' + call.billSec + ' s billed'
    : call.outcome.replace('_', ' ') + ' after ' + seconds(new Date(call.endAt).getTime() - placedAt);
}
