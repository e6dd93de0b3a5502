import type { CrmSettings } from '../lib/model/crm-connection';
import { HUBSPOT_FAKE_TOKEN, startHubSpotFake, type HubSpotFake } from './crm-fakes/hubspot';
import { startPipedriveFake, type PipedriveFake } from './crm-fakes/pipedrive';
import { startSalesforceFake, type SalesforceFake } from './crm-fakes/salesforce';

/** The lead id of the demo's printed call: a HubSpot contact of the stand-in, so the demo call is logged on it. */
export const DEMO_LEAD_ID = '1234';
/** The contacts the README's walk names (its team call is about lead 1235): records that exist in the stand-in. */
const DEMO_CONTACTS = [DEMO_LEAD_ID, '1235'];

/**
 * The stand-in CRMs of `npm start`: HubSpot, Pipedrive and Salesforce as local fakes that refuse what the real APIs
 * refuse (local/crm-fakes/). The demo tenant is connected to the HubSpot one, whose contact 1234 is the lead of the
 * printed call; the other two wait for `c2c crm connect` with the URLs and credentials `describe` prints. Each
 * activity a stand-in records is told as one `[crm]` line.
 */
export interface CrmStandIns {
  hubspot: HubSpotFake;
  pipedrive: PipedriveFake;
  salesforce: SalesforceFake;
  /** The demo tenant's CRM settings: connected to the HubSpot stand-in. */
  demoSettings(now: Date): CrmSettings;
  /** How to connect the demo tenant to each stand-in, for the start banner. */
  describe(): string;
  close(): Promise<void>;
}

export async function startCrmStandIns(options: { onActivity: (line: string) => void; pollMs?: number }): Promise<CrmStandIns> {
  const hubspot = await startHubSpotFake();
  const pipedrive = await startPipedriveFake();
  const salesforce = await startSalesforceFake();
  hubspot.seed.contacts(...DEMO_CONTACTS);
  for (const id of DEMO_CONTACTS) pipedrive.seed.person(Number(id));

  // The fakes keep what they record in memory; a short poll tells each new activity once.
  let told = { hubspot: 0, pipedrive: 0, salesforce: 0 };
  const tell = () => {
    for (const record of hubspot.records.slice(told.hubspot)) {
      const on = record.associations.map((a) => a.toId).join(', ') || 'no record';
      // Our call id, as the transport writes it at the end of the call's body (lib/notify/transports/hubspot-fields.ts).
      const ours = /(c_[0-9A-Za-z]+)\s*(?:<\/p>)?\s*$/.exec(record.properties.hs_call_body ?? '')?.[1] ?? '?';
      options.onActivity(`[crm] HubSpot: call ${record.id} logged on ${on} (${record.properties.hs_call_status ?? '?'}) for ${ours}`);
    }
    for (const log of pipedrive.records.slice(told.pipedrive)) {
      options.onActivity(`[crm] Pipedrive: call log ${log.id} (${log.outcome})`);
    }
    const tasks = [...salesforce.records.values()];
    for (const task of tasks.slice(told.salesforce)) {
      options.onActivity(
        `[crm] Salesforce: Task ${String(task.Id)} (${typeof task.CallDisposition === 'string' ? task.CallDisposition : '?'})`,
      );
    }
    told = { hubspot: hubspot.records.length, pipedrive: pipedrive.records.length, salesforce: tasks.length };
  };
  const timer = setInterval(tell, options.pollMs ?? 250);
  timer.unref();

  return {
    hubspot,
    pipedrive,
    salesforce,
    demoSettings: (now) => ({ hubspot: { apiUrl: hubspot.url, token: HUBSPOT_FAKE_TOKEN, connectedAt: now.toISOString() } }),
    describe: () =>
      [
        `  HubSpot         ${hubspot.url}   (the demo tenant is connected; contact ${DEMO_LEAD_ID} is the printed call's lead)`,
        `  Pipedrive       ${pipedrive.url}   (its token in the facts file)`,
        `  Salesforce      ${salesforce.url}   (client credentials in the facts file)`,
      ].join('\n'),
    close: async () => {
      clearInterval(timer);
      await Promise.all([hubspot.close(), pipedrive.close(), salesforce.close()]);
    },
  };
}
