import type { Page } from 'playwright-core';

/** What the console test reads of the page (lib/console/browser/): its selectors and the rows of the calls list. */

/** A member's row in the team view of the demo team `sales`. */
export const member = (crmUserId: string) => `#teams-list .team[data-team="sales"] tr[data-agent="${crmUserId}"]`;
/** A call's item in the calls list. */
export const callRow = (callId: string) => `#calls-list > li[data-call-id="${callId}"]`;

/** What the page functions of the test use of a DOM element (this project's tsconfig has no DOM types: they run in the browser). */
export interface PageElement {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
}

/** The calls list's rows: the page sets every one of these attributes on each row (panels/call-item.ts), '' when empty. */
export const rowsOf = (page: Page): Promise<Array<{ callId: string; lead: string; agent: string; state: string }>> =>
  page.$$eval('#calls-list > li[data-call-id]', (items: PageElement[]) =>
    items.map((li) => ({
      callId: li.dataset.callId ?? '',
      lead: li.dataset.lead ?? '',
      agent: li.dataset.agent ?? '',
      state: li.dataset.state ?? '',
    })),
  );

/**
 * One look at the page, in one task of the browser: the state the list shows a call in, and the availability the team
 * view shows its agent with (null for either not on the page). What one render drew, never two renders apart.
 */
export const callAndAgentOf = (page: Page, callId: string, crmUserId: string): Promise<[string | null, string | null]> =>
  page.evaluate<[string | null, string | null]>(
    `[${JSON.stringify(callRow(callId))}, ${JSON.stringify(member(crmUserId))}].map((selector, i) => {` +
      ` const found = document.querySelector(selector); return found ? found.getAttribute(i ? 'data-availability' : 'data-state') : null; })`,
  );
