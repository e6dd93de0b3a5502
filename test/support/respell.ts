/** Re-spellings of base64 texts, as a replayer would make them: what the strict reading must refuse. */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Every other text that Node's lenient decoder reads as the same bytes as `canonical`: the unused low bits of the
 * last character set otherwise, the padding dropped, doubled or tripled, and the base64url alphabet.
 */
export function respellings(canonical: string): string[] {
  const bytes = Buffer.from(canonical, 'base64');
  const body = canonical.replace(/=+$/, '');
  const head = body.slice(0, -1);
  const found = new Set<string>();
  for (const last of ALPHABET) {
    for (const pad of ['', '=', '==', '===']) {
      const text = `${head}${last}${pad}`;
      if (Buffer.from(text, 'base64').equals(bytes)) found.add(text);
    }
  }
  const url = canonical.replace(/\+/g, '-').replace(/\//g, '_');
  if (Buffer.from(url, 'base64').equals(bytes)) found.add(url);
  found.delete(canonical);
  return [...found];
}

/** The canonical text with its padding dropped: the re-spelling seen in the field. */
export const withoutPadding = (canonical: string) => canonical.replace(/=+$/, '');
