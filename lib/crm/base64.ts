/**
 * Strict base64: the standard alphabet with its padding (RFC 4648, section 4), the only spelling HubSpot, Standard
 * Webhooks senders and HTTP Basic clients produce. Node's decoder accepts many spellings of one byte string (padding
 * dropped or doubled, the unused low bits of the last character set, characters outside the alphabet skipped): a
 * verifier that took them all would let a replayer re-spell a signature into a "new" delivery. So the decoded bytes
 * are encoded again and must give back the very text received: one byte string, one accepted spelling.
 */

/** What a lenient decoder reads as base64: either alphabet (Node's decoder takes base64url's `-` and `_` too), any padding. */
const LOOSE_BASE64 = /^[A-Za-z0-9+/_-]+=*$/;

/** The bytes `text` spells, when it is their canonical standard base64; undefined for anything else. */
export function decodeStrictBase64(text: string): Buffer | undefined {
  if (text.length === 0 || text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

/**
 * True for a text that a lenient decoder would read as base64 although it is not the canonical spelling (for the
 * log: a re-spelt signature is told from a malformed one).
 */
export function isRespeltBase64(text: string): boolean {
  return LOOSE_BASE64.test(text) && decodeStrictBase64(text) === undefined;
}
