import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { problemOf } from '../../../lib/http/problems';
import { DomainError, PROBLEM_KINDS, type ProblemCode } from '../../../lib/model/domain-error';

const API_DOC = readFileSync(path.resolve(__dirname, '../../../docs/api.md'), 'utf8');
const CODES = Object.keys(PROBLEM_KINDS) as ProblemCode[];

/** The first status docs/api.md gives in a code's section (`422`, or "`429` + `Retry-After`"). */
function documentedStatus(code: string): number | undefined {
  const at = API_DOC.indexOf(`<a id="problem-${code}"></a>`);
  if (at < 0) return undefined;
  const section = API_DOC.slice(at, API_DOC.indexOf('<a id="problem-', at + 1) >>> 0 || undefined);
  const status = /`([1-5]\d\d)`/.exec(section)?.[1];
  return status === undefined ? undefined : Number(status);
}

describe('domain errors as HTTP answers (lib/http/problems.ts)', () => {
  it.each(CODES)('%s answers the status docs/api.md gives it', (code) => {
    const status = documentedStatus(code);
    expect(status, `docs/api.md gives ${code} no status`).toBeDefined();
    expect(problemOf(new DomainError(code, 'detail')).status).toBe(status);
  });

  it.each([
    { kind: 'rate_limited', code: 'read_rate_limited', retryAfterSec: 9, header: '9' },
    { kind: 'rate_limited', code: 'agent_busy', retryAfterSec: undefined, header: '1' },
    { kind: 'unavailable', code: 'store_unavailable', retryAfterSec: 2.2, header: '3' },
    { kind: 'unavailable', code: 'pbx_unreachable', retryAfterSec: 0, header: '1' },
  ] as const)('$code ($kind) carries Retry-After $header', ({ code, retryAfterSec, header }) => {
    expect(problemOf(new DomainError(code, 'later', { retryAfterSec })).headers['retry-after']).toBe(header);
  });

  it.each([
    { challenge: undefined, header: undefined },
    { challenge: 'Bearer', header: 'Bearer' },
    { challenge: 'Basic realm="c2c webhooks", charset="UTF-8"', header: 'Basic realm="c2c webhooks", charset="UTF-8"' },
  ])('unauthorized answers WWW-Authenticate $header', ({ challenge, header }) => {
    const problem = problemOf(new DomainError('unauthorized', 'who?', { challenge }));
    expect(problem.status).toBe(401);
    expect(problem.headers['www-authenticate']).toBe(header);
  });

  it('keeps the fields at fault and the facts the error carries, and no Retry-After where no retry helps', () => {
    const problem = problemOf(
      new DomainError('invalid_number', 'not a number', {
        errors: [{ path: 'to', message: 'bad' }],
        extensions: { call: { callId: 'c_1' } },
      }),
    );
    expect(problem).toMatchObject({
      status: 422,
      code: 'invalid_number',
      message: 'not a number',
      errors: [{ path: 'to', message: 'bad' }],
    });
    expect(problem.extensions).toEqual({ call: { callId: 'c_1' } });
    expect(problem.headers['retry-after']).toBeUndefined();
  });
});
