import { api } from '../api';
import { $, el, svgEl } from '../dom';
import { bodyOf, query } from '../logic/answer';
import { duration, percent, timeZone } from '../logic/format';
import { chartTitle, dayTip, daysByAgent, NO_CALLS, sortedTotals, statsRange, totalsCaption } from '../logic/stats';
import { problemNode } from '../problem';
import { STATS_DAYS, STATS_EVERY_MS, state } from '../state';
import type { AgentTotals, DayFigures, StatsReport } from '../types';

/** The per-agent daily figures of the last days (`GET /v1/stats/agents`), when due: every 15 s, or soon after the list changes. */
export function maybeLoadStats() {
  if (Date.now() < state.statsDueAt) return Promise.resolve();
  state.statsDueAt = Date.now() + STATS_EVERY_MS;
  const days = statsRange(STATS_DAYS);
  const mine = state.generation;
  return api<StatsReport>('/v1/stats/agents' + query({ from: days[0], to: days[days.length - 1], tz: timeZone() })).then((answer) => {
    if (mine !== state.generation) return;
    const target = $('charts');
    if (!answer.ok) {
      target.replaceChildren(problemNode(answer));
      return;
    }
    const report = bodyOf(answer);
    $('stats-range').textContent = report.from + ' to ' + report.to + ' (' + report.tz + ')';
    const byAgent = daysByAgent(report.days || []);
    const totals = sortedTotals(report.agents || []);
    target.replaceChildren(
      ...(totals.length
        ? totals.map((total) => agentChart(total, byAgent[total.crmUserId] || {}, days))
        : [el('p', { class: 'muted' }, 'No calls in the last ' + STATS_DAYS + ' days.')]),
    );
  });
}

/** Calls and answered per day as paired bars, the day's answer rate above them, totals below. */
function agentChart(total: AgentTotals, byDate: Record<string, DayFigures>, days: string[]) {
  const W = 360,
    H = 176,
    left = 26,
    right = 6,
    top = 22,
    bottom = 36;
  const plotH = H - top - bottom;
  const groupW = (W - left - right) / days.length;
  const barW = Math.min(16, groupW * 0.3);
  let max = 1;
  days.forEach((date) => {
    const d = byDate[date];
    if (d) max = Math.max(max, d.calls);
  });
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const today = days[days.length - 1];
  const nodes: SVGElement[] = [
    svgEl('line', { class: 'grid', x1: left, x2: W - right, y1: y(max), y2: y(max) }),
    svgEl('text', { x: left - 4, y: y(max) + 3, 'text-anchor': 'end' }, String(max)),
    svgEl('line', { class: 'axis', x1: left, x2: W - right, y1: y(0), y2: y(0) }),
    svgEl('text', { x: left - 4, y: y(0) + 3, 'text-anchor': 'end' }, '0'),
  ];
  const agent = state.agents.filter((a) => a.crmUserId === total.crmUserId)[0];
  days.forEach((date, i) => {
    const d = byDate[date] || NO_CALLS;
    const x0 = left + i * groupW + groupW / 2;
    const label = new Date(date + 'T12:00:00').toLocaleDateString(undefined, { weekday: 'short' }) + ' ' + Number(date.slice(8));
    const tip = dayTip(date, total.crmUserId, d);
    const bars: Array<[kind: string, value: number, x: number]> = [
      ['calls', d.calls, x0 - barW - 1],
      ['answered', d.answered, x0 + 1],
    ];
    bars.forEach(([kind, value, x]) => {
      const h = y(0) - y(value);
      nodes.push(
        svgEl(
          'rect',
          {
            class: 'bar bar-' + kind,
            'data-agent': total.crmUserId,
            'data-date': date,
            'data-kind': kind,
            'data-value': value,
            x: x.toFixed(1),
            y: y(value).toFixed(1),
            width: barW.toFixed(1),
            height: h.toFixed(1),
            rx: 2,
          },
          svgEl('title', null, tip),
        ),
      );
      if (value > 0)
        nodes.push(
          svgEl(
            'text',
            { class: 'value', x: (x + barW / 2).toFixed(1), y: (y(value) - 3).toFixed(1), 'text-anchor': 'middle' },
            String(value),
          ),
        );
    });
    if (d.calls > 0) nodes.push(svgEl('text', { class: 'rate', x: x0.toFixed(1), y: 12, 'text-anchor': 'middle' }, percent(d.answerRate)));
    nodes.push(
      svgEl(
        'text',
        { class: date === today ? 'today' : null, x: x0.toFixed(1), y: H - 19, 'text-anchor': 'middle' },
        date === today ? 'today' : label,
      ),
    );
    if (d.talkTimeSec > 0)
      nodes.push(svgEl('text', { class: 'talk', x: x0.toFixed(1), y: H - 4, 'text-anchor': 'middle' }, duration(d.talkTimeSec)));
  });
  return el(
    'figure',
    { class: 'agent-chart', 'data-agent': total.crmUserId },
    el('h3', null, chartTitle(total.crmUserId, agent)),
    svgEl(
      'svg',
      { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'Calls and answered calls per day for ' + total.crmUserId },
      nodes,
    ),
    el('figcaption', null, totalsCaption(total)),
  );
}
