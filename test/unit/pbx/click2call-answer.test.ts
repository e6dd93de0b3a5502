import { describe, expect, it } from 'vitest';
import { interpretClick2CallAnswer } from '../../../lib/pbx/click2call';

const documentedSuccess =
  '{"success":true,"message":"OK","unique_id":"10000000.1000","leg_a":"1000","leg_b":"*4477668899","pbx":"subdomain.pbx.commpeak.com"}';
const documentedRefusal =
  '{"success":false,"message":"Extension does not exist.","unique_id":"10000000.1000","leg_a":"10270000","leg_b":"*4477668899","pbx":"subdomain.pbx.commpeak.com"}';

describe('interpretClick2CallAnswer', () => {
  it('accepts the documented success answer, keeping the unique id as sent', () => {
    expect(interpretClick2CallAnswer(200, documentedSuccess, 12)).toEqual({
      kind: 'accepted',
      uniqueId: '10000000.1000',
      message: 'OK',
      legA: '1000',
      legB: '*4477668899',
      pbxHost: 'subdomain.pbx.commpeak.com',
      latencyMs: 12,
    });
  });

  it('refuses on the documented refusal answer, with the message verbatim', () => {
    expect(interpretClick2CallAnswer(200, documentedRefusal, 7)).toEqual({
      kind: 'refused',
      message: 'Extension does not exist.',
      uniqueId: '10000000.1000',
      pbxHost: 'subdomain.pbx.commpeak.com',
      latencyMs: 7,
    });
  });

  it('keeps an undocumented refusal message verbatim', () => {
    const outcome = interpretClick2CallAnswer(200, '{"success":false,"message":"  Déjà en appel !  "}', 1);
    expect(outcome).toEqual({ kind: 'refused', message: '  Déjà en appel !  ', latencyMs: 1 });
  });

  it('tolerates unknown fields and missing echoes', () => {
    const outcome = interpretClick2CallAnswer(200, '{"success":true,"unique_id":"1.2","queue":"x","extra":{"a":1}}', 3);
    expect(outcome).toEqual({ kind: 'accepted', uniqueId: '1.2', message: '', legA: '', legB: '', pbxHost: '', latencyMs: 3 });
  });

  it('answers not_allowlisted to HTTP 404, whatever the body', () => {
    expect(interpretClick2CallAnswer(404, '<html>Not Found</html>', 5)).toEqual({ kind: 'not_allowlisted', httpStatus: 404, latencyMs: 5 });
  });

  it.each([500, 502, 503, 401, 403, 301, 429])('answers unknown to HTTP %i, keeping the status', (status) => {
    expect(interpretClick2CallAnswer(status, documentedSuccess, 2)).toMatchObject({
      kind: 'unknown',
      code: `http_${status}`,
      httpStatus: status,
    });
  });

  it('answers unknown to a body that is not JSON', () => {
    expect(interpretClick2CallAnswer(200, '{"success":true,"unique_id":', 2)).toMatchObject({
      kind: 'unknown',
      code: 'unreadable_body',
      httpStatus: 200,
    });
  });

  it.each([
    ['success without a unique id', '{"success":true,"message":"OK"}'],
    ['a numeric unique id, already rounded by JSON.parse', '{"success":true,"unique_id":10000000.1000}'],
    ['an empty unique id', '{"success":true,"unique_id":""}'],
    ['success as a string', '{"success":"true","unique_id":"1.2"}'],
    ['no success field', '{"message":"OK","unique_id":"1.2"}'],
    ['a JSON array', '[]'],
    ['JSON null', 'null'],
    ['an empty body', ''],
  ])('answers unknown to %s', (_case, body) => {
    expect(interpretClick2CallAnswer(200, body, 2)).toMatchObject({ kind: 'unknown', httpStatus: 200 });
  });
});
