import type { PlaceCallStore } from '../calls/place/context';
import { CallRepository } from '../store/calls';
import { CallLedger } from '../store/calls/ledger';
import { WorkDirectory } from '../store/work-directory';
import { cursors, table } from './readers';
import { perRoot } from './root';

// The call store, built on first use and once per root: only the compositions that read or write calls import it.

export const calls = /* @__PURE__ */ perRoot(
  (r) => new CallRepository(table(r), r.clock, cursors(r), r.config.CALL_INDEXES, r.config.WORK_SHARDS),
);
/**
 * The call path's part of the call store (PlaceCall's `PlaceCallStore`): the ledger over the work directory, without the
 * facade's listings, outbox and scheduler parts, so callsCreate and hooks bundle none of them.
 */
export const callLedger = /* @__PURE__ */ perRoot((r): PlaceCallStore => {
  const work = new WorkDirectory(table(r), r.clock);
  const ledger = new CallLedger(table(r), work, r.clock, r.config.CALL_INDEXES, r.config.WORK_SHARDS);
  return {
    get: (...args) => ledger.get(...args),
    reserve: (...args) => ledger.reserve(...args),
    transition: (...args) => ledger.transition(...args),
    redispatch: (...args) => ledger.redispatch(...args),
    patch: (...args) => ledger.patch(...args),
    work,
  };
});
