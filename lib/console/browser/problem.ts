import { el } from './dom';
import { problemOf } from './logic/answer';
import { errorText } from './logic/format';
import type { Answer } from './types';

/** A problem+json answer, readable: title and status, detail, each field error, the rejected call, Retry-After. */
export function problemNode(answer: Answer<unknown>) {
  const p = problemOf(answer);
  const retryAfter = answer.headers.get('retry-after');
  return el(
    'div',
    { class: 'problem', 'data-code': p.code || '', role: 'alert' },
    el('strong', null, (p.title || 'Request failed') + ' (' + answer.status + (p.code ? ', ' + p.code : '') + ')'),
    p.detail ? el('p', null, p.detail) : null,
    Array.isArray(p.errors) && p.errors.length
      ? el(
          'ul',
          null,
          p.errors.map((e) => el('li', null, el('code', null, e.path), ': ' + e.message)),
        )
      : null,
    p.call && p.call.callId
      ? el(
          'p',
          null,
          'Recorded as ',
          el('code', null, p.call.callId),
          ', state ' + p.call.state + (p.call.reason ? ' (' + p.call.reason + ')' : '') + '.',
        )
      : null,
    retryAfter ? el('p', null, 'Retry after ' + retryAfter + ' s.') : null,
    p.requestId ? el('p', { class: 'muted' }, 'Request id ' + p.requestId) : null,
  );
}

/** A request that got no answer at all. */
export function networkProblem(error: unknown) {
  return el('div', { class: 'problem', role: 'alert' }, el('strong', null, 'No answer from the API'), el('p', null, errorText(error)));
}
