import { api } from '../api';
import { $, el } from '../dom';
import { bodyOf, query } from '../logic/answer';
import { clock } from '../logic/format';
import { attemptText, RECENT_DELIVERIES } from '../logic/subscriptions';
import { problemNode } from '../problem';
import { state } from '../state';
import type { Answer, DeliveryAttempt, Subscription } from '../types';

/**
 * The tenant's webhook subscriptions with their last few delivery attempts (`GET /v1/subscriptions` and each one's
 * `GET .../deliveries`). A key without `subscriptions:read` sees why instead, in the panel.
 */
export function loadSubscriptions() {
  const mine = state.generation;
  return api<{ subscriptions?: Subscription[] }>('/v1/subscriptions').then((listed) => {
    if (mine !== state.generation) return;
    if (!listed.ok) return draw(listed, []);
    const subscriptions = bodyOf(listed).subscriptions || [];
    return Promise.all(
      subscriptions.map((s) =>
        api<{ deliveries?: DeliveryAttempt[] }>(
          '/v1/subscriptions/' + encodeURIComponent(s.id) + '/deliveries' + query({ limit: RECENT_DELIVERIES }),
        ),
      ),
    ).then((logs) => {
      if (mine === state.generation)
        draw(
          listed,
          subscriptions.map((s, i) => ({ subscription: s, log: logs[i]! })),
        );
    });
  });
}

function draw(listed: Answer<unknown>, rows: Array<{ subscription: Subscription; log: Answer<{ deliveries?: DeliveryAttempt[] }> }>) {
  const target = $('subscriptions-body');
  $('subscriptions-updated').textContent = 'updated ' + clock(new Date().toISOString());
  if (!listed.ok) {
    target.replaceChildren(el('tr', null, el('td', { colspan: 4 }, problemNode(listed))));
    return;
  }
  if (rows.length === 0) {
    target.replaceChildren(
      el('tr', null, el('td', { colspan: 4, class: 'muted' }, 'No subscriptions: POST /v1/subscriptions or c2c subscriptions add.')),
    );
    return;
  }
  target.replaceChildren(
    ...rows.map(({ subscription: s, log }) =>
      el(
        'tr',
        { 'data-subscription': s.id },
        el('td', null, el('code', null, s.id), s.description ? el('div', { class: 'muted' }, s.description) : null),
        el('td', null, s.status, s.disabledReason ? el('div', { class: 'muted' }, s.disabledReason) : null),
        el('td', null, el('div', null, s.url), el('div', { class: 'muted' }, s.events.join(', '))),
        el('td', { class: 'deliveries' }, deliveriesOf(log)),
      ),
    ),
  );
}

function deliveriesOf(log: Answer<{ deliveries?: DeliveryAttempt[] }>) {
  if (!log.ok) return problemNode(log);
  const attempts = bodyOf(log).deliveries || [];
  if (attempts.length === 0) return el('span', { class: 'muted' }, 'none in 7 days');
  return el('ol', { class: 'attempts' }, ...attempts.map((a) => el('li', { 'data-status': a.status }, attemptText(a))));
}
