/**
 * Runs in every test worker (vitest setupFiles): every secret the service takes in is recorded for the log scan
 * (test/support/secret-ledger.ts), at the two doors secrets come through:
 * - sealing (lib/secrets/seal.ts): PBX passwords, CDR keys, callback secrets, Standard Webhooks and HubSpot secrets;
 * - hashing (credentialHash, lib/secrets/compare.ts): tokens, Pipedrive credentials and PBX-event tokens, issued or
 *   presented.
 * API keys have a shape of their own (`c2c_<tenant>_<secret>`) that the scan knows without them. Processes the
 * tests start (the local stack's serverless-offline) only open and compare secrets the test process took in.
 */
import { vi } from 'vitest';

vi.mock('../../lib/secrets/compare', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../lib/secrets/compare')>();
  const { recordSecret } = await import('./secret-ledger');
  return {
    ...original,
    credentialHash: (value: string) => {
      recordSecret(value);
      return original.credentialHash(value);
    },
  };
});

vi.mock('../../lib/secrets/seal', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../lib/secrets/seal')>();
  const { recordSecret } = await import('./secret-ledger');
  // On the prototype: the sealers the composition root builds (createSealer) are recorded too.
  const prototype = original.EnvelopeSealer.prototype;
  const seal = Object.getOwnPropertyDescriptor(prototype, 'seal')!.value as typeof prototype.seal;
  prototype.seal = function (this: typeof prototype, plaintext, context) {
    recordSecret(plaintext);
    return seal.call(this, plaintext, context);
  };
  return original;
});
