import { describe, expect, it } from 'vitest';
import { checkSubscriptions } from '../../../lib/doctor/checks';

const AT = '2026-03-01T10:00:00.000Z';
const item = (id: string, overrides: Record<string, unknown> = {}) => ({
  tenantId: 'acme',
  id,
  url: `https://hooks.example.com/${id}`,
  events: ['*'],
  filter: null,
  description: null,
  status: 'enabled',
  disabledReason: null,
  failingSince: null,
  origin: 'api',
  secrets: [{ id: 'ws_1', secret: 'v1.sealed', createdAt: AT, expiresAt: null }],
  createdAt: AT,
  updatedAt: AT,
  ...overrides,
});

describe('the doctor: webhook subscriptions', () => {
  it('is fine with none, and with all enabled and delivering', () => {
    expect(checkSubscriptions([])).toMatchObject({ id: 'subscriptions', status: 'ok', message: 'No webhook subscriptions.' });
    expect(checkSubscriptions([item('sub_aaaaaaaa'), item('sub_bbbbbbbb')])).toMatchObject({
      status: 'ok',
      message: '2 subscriptions, all enabled and delivering: sub_aaaaaaaa (hooks.example.com), sub_bbbbbbbb (hooks.example.com).',
    });
  });

  it('warns of one failing now, before the 3 days disable it', () => {
    const result = checkSubscriptions([item('sub_aaaaaaaa', { failingSince: AT }), item('sub_bbbbbbbb')]);
    expect(result.status).toBe('warn');
    expect(result.message).toBe(`sub_aaaaaaaa (hooks.example.com) is failing since ${AT} (disabled once it has failed for 3 days).`);
    expect(result.fix).toContain('"status": "enabled"');
  });

  it('calls one disabled for failing a problem, and one paused through the API a warning', () => {
    const reason = `failing since ${AT} (3 days)`;
    const disabled = checkSubscriptions([item('sub_aaaaaaaa', { status: 'disabled', disabledReason: reason })]);
    expect(disabled.status).toBe('problem');
    expect(disabled.message).toBe(`sub_aaaaaaaa (hooks.example.com) is disabled: ${reason}; its endpoint gets no events.`);
    expect(disabled.details).toMatchObject({ disabled: [{ id: 'sub_aaaaaaaa', reason }] });
    const paused = checkSubscriptions([item('sub_aaaaaaaa', { status: 'disabled', disabledReason: `disabled through the API at ${AT}` })]);
    expect(paused.status).toBe('warn');
  });

  it('names items that do not pass validation, and never shows a secret', () => {
    const result = checkSubscriptions([item('sub_aaaaaaaa'), { id: 'sub_broken', url: 7 }]);
    expect(result.status).toBe('problem');
    expect(result.message).toContain('1 subscription item that do not pass validation');
    expect(JSON.stringify(result)).not.toContain('v1.sealed');
  });
});
