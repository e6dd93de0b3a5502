import { createHash } from 'node:crypto';

/**
 * What a counter's set holds for one member (a call id, a request's identity): 11 characters of its SHA-256
 * (66 bits), not the member itself. A window holds at most a cap's worth of members, so a collision is out of reach,
 * and every write of the counter (each billed on the item's whole size) carries a third of the bytes.
 */
export function memberToken(member: string): string {
  return createHash('sha256').update(member, 'utf8').digest('base64url').slice(0, 11);
}
