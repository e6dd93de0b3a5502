import type { Answer, Problem } from '../types';

/** Reading the API's answers, and writing its query strings. Pure (no DOM): unit-tested in Node. */

/** A query string of the parameters that have a value ('' and undefined are left out). */
export function query(params: Record<string, string | number | undefined>) {
  const parts: string[] = [];
  Object.keys(params).forEach((name) => {
    const value = params[name];
    if (value !== '' && value !== undefined && value !== null) parts.push(encodeURIComponent(name) + '=' + encodeURIComponent(value));
  });
  return parts.length ? '?' + parts.join('&') : '';
}

/** The body of an accepted request; a success without a JSON body is a fault of the service: the refresh loop logs it. */
export function bodyOf<T>(answer: Answer<T>): T {
  if (answer.body === null) throw new Error('HTTP ' + answer.status + ' without a JSON body');
  return answer.body;
}

/** The body of a refused request, read as a problem (any non-object reads as an empty one). */
export function problemOf(answer: Answer<unknown>): Problem {
  return answer.body && typeof answer.body === 'object' ? answer.body : {};
}

/** A problem in one line: its title (or the status) and its detail. */
export function problemText(answer: Answer<unknown>) {
  const p = problemOf(answer);
  return (p.title || 'HTTP ' + answer.status) + (p.detail ? ': ' + p.detail : '');
}
