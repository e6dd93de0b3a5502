import { problemText } from './logic/answer';
import { state } from './state';
import type { Answer, ApiInit } from './types';

/**
 * The API client: every request of the page to this service's API, with the session's key, never cached, never with
 * cookies. A 401 to a request of the current connection drops the key (main.ts says how, through onUnauthorized).
 */

// The API lives beside the console: /console -> /v1/... (keeps working under a custom domain's base path).
export const base = location.pathname.replace(/\/console\/?$/, '');

let unauthorized: (message: string) => void = () => undefined;

/** What to do when the API refuses the key: main.ts disconnects with the problem's words. */
export function onUnauthorized(handler: (message: string) => void) {
  unauthorized = handler;
}

export function api<T>(path: string, init: ApiInit = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = Object.assign({ accept: 'application/json' }, init.headers || {});
  if (state.session) headers.authorization = 'Bearer ' + state.session.key;
  const mine = state.generation;
  return fetch(base + path, Object.assign({}, init, { headers: headers, cache: 'no-store' as const, credentials: 'omit' as const })).then(
    (res) =>
      res.text().then((text) => {
        let body: T | null = null;
        try {
          body = text ? (JSON.parse(text) as T) : null;
        } catch {
          body = null;
        }
        const answer: Answer<T> = { status: res.status, ok: res.ok, body: body, headers: res.headers };
        if (res.status === 401 && state.session && mine === state.generation) unauthorized(problemText(answer));
        return answer;
      }),
  );
}
