import { api } from '../api';
import { $, el } from '../dom';
import { networkProblem, problemNode } from '../problem';
import { state } from '../state';
import type { Call } from '../types';
import { refresh } from './refresh';

/** Cancels a scheduled or queued call: the answer (the cancelled call, or a 409 problem) stays under the call. */
export function cancelCall(callId: string) {
  if (state.cancelling.has(callId)) return Promise.resolve();
  const mine = state.generation;
  state.cancelling.add(callId);
  // `final`: the call no longer waits (cancelled, or gone to the PBX): its button goes; otherwise it may be pressed again.
  const show = (node: HTMLElement, final: boolean) => {
    state.cancelNotes.set(callId, node);
    state.cancelVersion++;
    // At once, not at the next refresh of the list: that one may be slow.
    const row = $('calls-list').querySelector('li[data-call-id="' + CSS.escape(callId) + '"]');
    if (!row) return;
    const box = row.querySelector('.call-result');
    if (box) box.replaceChildren(node);
    const button = row.querySelector<HTMLButtonElement>('button[data-cancel]');
    if (button && final) button.remove();
    else if (button) {
      button.disabled = false;
      button.textContent = 'Cancel';
    }
  };
  const row = $('calls-list').querySelector('li[data-call-id="' + CSS.escape(callId) + '"]');
  const button = row && row.querySelector<HTMLButtonElement>('button[data-cancel]');
  if (button) {
    button.disabled = true;
    button.textContent = 'Cancelling\u2026';
  }
  return api<Call>('/v1/calls/' + encodeURIComponent(callId), { method: 'DELETE' })
    .then(
      (answer) => {
        if (mine !== state.generation) return;
        const call = answer.body;
        if (answer.ok && call) {
          show(
            el(
              'p',
              { class: 'cancel-note', 'data-status': answer.status },
              el('span', { class: 'ok' }, answer.status + ' '),
              'Cancelled: state ' + call.state + ', it will not be dialled.',
            ),
            true,
          );
        } else {
          show(problemNode(answer), answer.status === 409 || answer.status === 404);
        }
      },
      (error: unknown) => {
        if (mine === state.generation) show(networkProblem(error), false);
      },
    )
    .then(() => {
      state.cancelling.delete(callId);
      if (mine === state.generation) return refresh();
    });
}
