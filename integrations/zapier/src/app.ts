import { version as platformVersion } from 'zapier-platform-core';
import { addBearer, problemToError } from './api';
import { authentication } from './authentication';
import { cancelCallCreate, placeCallCreate } from './creates';
import { findCallsByLeadSearch } from './searches';
import { callAnswered, callEnded, callStateChanged } from './triggers';

/**
 * The Zapier app's definition. `version` is the app's own (package.json's, which `zapier push` publishes); the entry
 * Zapier loads is ../index.js, which passes it from the built copy of this file (dist/app.js).
 */
export function buildApp(version: string) {
  return {
    version,
    platformVersion,
    authentication,
    beforeRequest: [addBearer],
    afterResponse: [problemToError],
    // Each under its own `key` (the definition test holds them equal).
    triggers: { call_ended: callEnded, call_answered: callAnswered, call_state_changed: callStateChanged },
    creates: { place_call: placeCallCreate, cancel_call: cancelCallCreate },
    searches: { find_calls_by_lead: findCallsByLeadSearch },
  };
}
