import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../model/domain-error';

export interface Page<T> {
  items: T[];
  /** Opaque; absent on the last page. */
  nextCursor?: string;
}

const NOT_ISSUED = 'The cursor is not one this listing issued';

/** A `cursor` that is not one this listing issued (docs/api.md, "Pagination"): tampered with, cut, or of another listing. */
export class InvalidCursorError extends DomainError {
  constructor() {
    super('invalid_cursor', `${NOT_ISSUED}: start again without a cursor, or pass the nextCursor this listing answered.`, {
      errors: [{ path: 'query.cursor', message: NOT_ISSUED }],
    });
    this.name = 'InvalidCursorError';
  }
}

export class CursorConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CursorConfigError';
  }
}

/** Longer is never one of ours: refused before any work (a start key of ours is a few hundred characters). */
export const MAX_CURSOR_LENGTH = 2048;
/** The shortest secret the codec takes: 256 bits of a random base64 or alphanumeric string. */
export const MIN_CURSOR_SECRET_LENGTH = 32;
/**
 * The signing secret off AWS (the local stack and the tests) when CURSOR_SECRET is not set. Public, so a cursor of
 * the local stage proves nothing: deployed stages never take it (`createCursorCodec`).
 */
export const LOCAL_CURSOR_SECRET = 'c2c-local-stage-cursor-secret-not-for-deployed-stages';

/** What each attribute of a listing's start key may hold: the key has exactly these attributes, each a string its test accepts. */
export type KeyShape = Readonly<Record<string, (value: string) => boolean>>;

/** One listing as its cursors know it. */
export interface Listing {
  /**
   * Everything that chooses the listing's items, in a fixed order: its name, the tenant, the filters (`null` when
   * not set). Signed with the key, so a cursor continues only the listing that issued it.
   */
  readonly identity: ReadonlyArray<string | boolean | null>;
  /** The key schema of the table or index the listing reads, with the ranges its query allows. */
  readonly key: KeyShape;
  /** A test across attributes (a sort key that must name the same item as the table's key). */
  readonly consistent?: (key: Readonly<Record<string, string>>) => boolean;
}

const TAG_LENGTH = 43; // base64url of the 32 bytes of an HMAC-SHA256
const CURSOR = new RegExp(`^[A-Za-z0-9_-]{2,}\\.[A-Za-z0-9_-]{${TAG_LENGTH}}$`);

/**
 * Cursors are DynamoDB's LastEvaluatedKey, base64url JSON, followed by an HMAC-SHA256 tag over the listing's identity
 * and that exact text, under a server secret: opaque to clients, stateless for us, and tamper-evident. A cursor is
 * followed only if its tag is the one this listing would give it AND its key fits the listing's key shape; anything
 * else is an {@link InvalidCursorError} (400 `invalid_cursor`), never a request DynamoDB would refuse (a 500).
 */
export class CursorCodec {
  private readonly secret: Buffer;

  constructor(secret: string) {
    if (secret.length < MIN_CURSOR_SECRET_LENGTH)
      throw new CursorConfigError(`A cursor secret needs ${MIN_CURSOR_SECRET_LENGTH} characters at least`);
    this.secret = Buffer.from(secret, 'utf8');
  }

  encode(listing: Listing, lastKey: Record<string, unknown> | undefined): string | undefined {
    if (!lastKey) return undefined;
    // Our own last key always fits: if not, the shape is wrong, and a cursor we would refuse must not be handed out.
    if (!fits(listing, lastKey)) throw new Error(`The last key of listing ${String(listing.identity[0])} does not fit its key shape`);
    const payload = Buffer.from(JSON.stringify(lastKey), 'utf8').toString('base64url');
    return `${payload}.${this.tag(listing, payload)}`;
  }

  /** The start key of `cursor` for `listing`; undefined for no cursor (the first page). */
  decode(listing: Listing, cursor: string | undefined): Record<string, string> | undefined {
    if (cursor === undefined) return undefined;
    if (cursor.length > MAX_CURSOR_LENGTH || !CURSOR.test(cursor)) throw new InvalidCursorError();
    const dot = cursor.indexOf('.');
    const payload = cursor.slice(0, dot);
    // The tag covers the text as written: a second spelling of the same bytes is another cursor, and refused.
    const expected = Buffer.from(this.tag(listing, payload), 'ascii');
    if (!timingSafeEqual(expected, Buffer.from(cursor.slice(dot + 1), 'ascii'))) throw new InvalidCursorError();
    let key: unknown;
    try {
      key = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      throw new InvalidCursorError();
    }
    // Checked even with a good tag: a leaked secret must not let a key DynamoDB would refuse, or another tenant's, through.
    if (!fits(listing, key)) throw new InvalidCursorError();
    return key;
  }

  private tag(listing: Listing, payload: string): string {
    return createHmac('sha256', this.secret)
      .update(JSON.stringify(['c2c-cursor-1', listing.identity]))
      .update('\n')
      .update(payload)
      .digest('base64url');
  }
}

/** Exactly the shape's attributes, each a string its test accepts, and consistent with one another. */
function fits(listing: Listing, key: unknown): key is Record<string, string> {
  if (typeof key !== 'object' || key === null || Array.isArray(key)) return false;
  const record = key as Record<string, unknown>;
  const names = Object.keys(record);
  const expected = Object.keys(listing.key);
  if (names.length !== expected.length) return false;
  for (const name of expected) {
    const value = record[name];
    if (!Object.hasOwn(record, name) || typeof value !== 'string' || !listing.key[name]!(value)) return false;
  }
  return listing.consistent ? listing.consistent(record as Record<string, string>) : true;
}

/**
 * The codec of a stage: its CURSOR_SECRET; off AWS (the local stack, tests), without one, the fixed local secret.
 * A deployed stage without a secret refuses to start rather than sign with a value anyone can read here.
 */
export function createCursorCodec(options: { secret?: string; offAws: boolean }): CursorCodec {
  if (options.secret !== undefined) return new CursorCodec(options.secret);
  if (options.offAws) return new CursorCodec(LOCAL_CURSOR_SECRET);
  throw new CursorConfigError('CURSOR_SECRET is not set: a deployed stage signs its pagination cursors with a secret of its own');
}

/**
 * A codec whose secret lives only in this process: the default of repositories built outside a stage's
 * composition (scripts, tests). Its cursors are good for this process's life only.
 */
export function processCursorCodec(): CursorCodec {
  processCodec ??= new CursorCodec(randomBytes(32).toString('base64'));
  return processCodec;
}
let processCodec: CursorCodec | undefined;
