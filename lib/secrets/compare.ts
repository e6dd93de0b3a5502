import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A key drawn once per container. Comparing HMACs of both sides under it gives two buffers of the
 * same length whatever the inputs, so `timingSafeEqual` never throws and the time taken says
 * nothing about the length or the first differing byte of the secret.
 */
const COMPARE_KEY = randomBytes(32);

const digest = (value: string | Buffer) => createHmac('sha256', COMPARE_KEY).update(value).digest();

/** Constant-time equality of two strings or buffers of any length. */
export function safeEqual(a: string | Buffer, b: string | Buffer): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** Constant-time equality of two buffers known to be of equal length (e.g. two HMAC-SHA256 outputs). */
export function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * How a token or a password is kept: its SHA-256, so a leaked table does not hand out credentials
 * that work. Tokens we issue have 192 bits of entropy, which is why a fast hash is enough; an
 * operator-chosen Pipedrive password is weaker, which is one more reason to let the CLI generate it.
 */
export function credentialHash(value: string): string {
  return `sha256:${createHash('sha256').update(value, 'utf8').digest('base64url')}`;
}
