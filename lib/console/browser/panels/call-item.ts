import { el, type Child } from '../dom';
import { callWho, isWaiting, loggedText, passReasonText, recordText, timelineLabels } from '../logic/calls';
import { dateTime, duration, when } from '../logic/format';
import { state } from '../state';
import type { Call } from '../types';

/**
 * One call of the list: its state, whom it is for and its number, when a waiting call is due, how a team call chose
 * its agent, the answer of a cancel, and its timeline (`events`) as a row of chips.
 */
export function callItem(call: Call) {
  const agent = call.agent || {};
  const outcome = call.outcome || {};
  const events = call.events || [];
  const labels = timelineLabels(events);
  const mine = state.placedCallIds.indexOf(call.callId) >= 0;
  const waiting = isWaiting(call.state);
  const note = state.cancelNotes.get(call.callId);
  const cancelling = state.cancelling.has(call.callId);
  return el(
    'li',
    {
      class: mine ? 'mine' : null,
      'data-call-id': call.callId,
      'data-state': call.state,
      'data-agent': agent.crmUserId || '',
      'data-team': call.team || '',
      'data-lead': (call.lead && call.lead.id) || '',
    },
    el(
      'div',
      { class: 'call-head' },
      el('span', { class: 'badge state-' + call.state }, call.state),
      el('code', { class: 'call-id' }, call.callId),
      mine ? el('span', { class: 'muted' }, 'placed from this console') : null,
      waiting
        ? el(
            'button',
            { type: 'button', class: 'small cancel', 'data-cancel': call.callId, disabled: cancelling },
            cancelling ? 'Cancelling\u2026' : 'Cancel',
          )
        : null,
      el('span', { class: 'when', title: call.createdAt }, dateTime(call.createdAt)),
    ),
    el(
      'div',
      { class: 'call-meta' },
      el(
        'span',
        null,
        callWho(call),
        call.team && agent.crmUserId ? el('span', { class: 'muted' }, ' of ' + call.team) : null,
        ' \u2192 ',
        el('span', { class: 'mono' }, call.to || call.legB || ''),
      ),
      call.lead && call.lead.id ? el('span', null, 'lead ', el('code', null, call.lead.id)) : null,
      call.reason ? el('span', null, 'reason ', el('code', null, call.reason)) : null,
      outcome.billSec !== null && outcome.billSec !== undefined ? el('span', null, 'talk ' + duration(outcome.billSec)) : null,
      outcome.hangupCause ? el('span', { class: 'muted' }, outcome.hangupCause) : null,
      call.source && call.source !== 'api' ? el('span', { class: 'muted' }, 'via ' + call.source) : null,
    ),
    waitLine(call),
    routingLine(call),
    el('div', { class: 'call-result', 'aria-live': 'polite' }, note || null),
    loggedLine(call),
    el(
      'ol',
      { class: 'timeline', 'aria-label': 'timeline' },
      events.map((event, i) =>
        el(
          'li',
          { class: 'state-' + event.state, 'data-state': event.state, title: event.at + (event.detail ? ' \u2014 ' + event.detail : '') },
          el('span', { class: 'chip' }, el('span', { class: 'chip-state' }, event.state), el('time', { datetime: event.at }, labels[i])),
        ),
      ),
    ),
  );
}

/** When a scheduled call is due, until when a queued call waits; what it was, once it no longer waits. */
function waitLine(call: Call) {
  const schedule = call.schedule;
  const queue = call.queue;
  const parts: Child[] = [];
  if (schedule && schedule.notBefore) {
    const why = schedule.reason === 'calling_hours' ? 'the next opening of the lead\u2019s calling hours' : 'as requested';
    parts.push(
      el(
        'span',
        { class: call.state === 'scheduled' ? 'due' : null, title: schedule.notBefore },
        call.state === 'scheduled' ? 'dials at ' : 'was scheduled for ',
        el('time', { datetime: schedule.notBefore }, when(schedule.notBefore)),
        ' (' + why + ')',
      ),
    );
  }
  if (queue) {
    if (call.state === 'queued' && queue.until) {
      parts.push(
        el(
          'span',
          { class: 'due', title: queue.until },
          'waits for a free agent until ',
          el('time', { datetime: queue.until }, when(queue.until)),
          ' (at most ' + queue.maxWaitSec + ' s)',
        ),
      );
    } else if (queue.since) {
      parts.push(el('span', { class: 'muted' }, 'waited for an agent from ' + when(queue.since)));
    } else if (call.state === 'scheduled') {
      parts.push(el('span', { class: 'muted' }, 'then waits up to ' + queue.maxWaitSec + ' s for a free agent'));
    }
  }
  return parts.length ? el('div', { class: 'call-wait' }, parts) : null;
}

/** Where the call was logged, one entry per CRM: the record and the activity, or why not (docs/crm-logging.md). */
function loggedLine(call: Call) {
  const logged = call.logged || [];
  if (!logged.length) return null;
  return el(
    'ul',
    { class: 'call-logged', 'aria-label': 'logged in' },
    logged.map((entry) =>
      el('li', { 'data-crm': entry.crm, 'data-logged': entry.state }, loggedText(entry, call.lead ? recordText(call.lead) : null)),
    ),
  );
}

/** A team call: which member it went to, and why each one before was passed over. */
function routingLine(call: Call) {
  const routing = call.routing;
  if (!routing) return null;
  const passed = routing.passedOver || [];
  return el(
    'div',
    { class: 'call-route', 'data-chosen': routing.chosen || '' },
    'team ',
    el('code', null, routing.team || call.team || ''),
    routing.chosen
      ? [': chose ', el('code', null, routing.chosen), routing.decidedAt ? ' at ' + when(routing.decidedAt) : '']
      : ': no agent free yet',
    routing.attempts && routing.attempts > 1 ? ' after ' + routing.attempts + ' tries' : '',
    passed.length
      ? [
          routing.chosen ? '; passed over ' : ' (',
          passed.map((p, i) => [
            i ? ', ' : '',
            el(
              'span',
              { class: 'passed', 'data-agent': p.crmUserId, 'data-reason': p.reason },
              el('code', null, p.crmUserId),
              ' ' + passReasonText(p.reason),
            ),
          ]),
          routing.chosen ? '' : ')',
        ]
      : '',
  );
}
