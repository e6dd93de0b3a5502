import { randomBytes } from 'node:crypto';
import type { CallbackSettings } from '../model/tenant';

export type CallbackSecret = CallbackSettings['secrets'][number];

/** A new Standard Webhooks signing secret: `whsec_` + 32 random bytes in base64 (the format senders and verifiers expect). */
export function newCallbackSecret(now = new Date()): CallbackSecret {
  return {
    id: `ws_${randomBytes(4).toString('hex')}`,
    secret: `whsec_${randomBytes(32).toString('base64')}`,
    createdAt: now.toISOString(),
  };
}
