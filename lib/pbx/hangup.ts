/** The normalized class of a call's end, whatever the account's Hangup Causes Map calls it. */
export type HangupClass = 'answered' | 'busy' | 'no_answer' | 'failed';

const BUSY = new Set(['BUSY', 'USER_BUSY']);
const NO_ANSWER = new Set(['NO_ANSWER', 'NOANSWER', 'NO_USER_RESPONSE', 'CANCEL', 'ORIGINATOR_CANCEL']);
const ANSWERED = new Set(['ANSWERED', 'ANSWER', 'NORMAL_CLEARING']);

/**
 * Classifies a hangup cause as sent. Causes can be renamed per account, so an unknown cause is
 * classified by what else is known (billed seconds mean it was answered) and never rejected.
 */
export function classifyHangup(cause: string | null | undefined, billSec: number | null | undefined): HangupClass {
  const normalized = (cause ?? '')
    .trim()
    .toUpperCase()
    .replace(/[\s-]+/g, '_');
  if (BUSY.has(normalized)) return 'busy';
  if (NO_ANSWER.has(normalized)) return 'no_answer';
  if (ANSWERED.has(normalized)) return billSec === 0 && normalized === 'NORMAL_CLEARING' ? 'no_answer' : 'answered';
  return (billSec ?? 0) > 0 ? 'answered' : 'failed';
}

/** The final call state of a hangup class. */
export function finalStateOf(hangup: HangupClass): 'completed' | 'busy' | 'no_answer' | 'failed' {
  return hangup === 'answered' ? 'completed' : hangup;
}
