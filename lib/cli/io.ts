/** Where the CLI writes: the process's streams in production, buffers in tests. */
export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Prints a value as indented JSON, for `--json`. */
export function writeJson(out: Output, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

export interface Column<T> {
  header: string;
  value: (row: T) => string | undefined | null;
}

/** A plain, left-aligned text table: readable in a terminal and greppable in a log. */
export function renderTable<T>(rows: readonly T[], columns: ReadonlyArray<Column<T>>): string {
  const cells = rows.map((row) => columns.map((c) => oneLine(c.value(row) ?? '-') || '-'));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].map((l) => `${l}\n`).join('');
}

/** Key-value lines, for one record. */
export function renderFields(fields: ReadonlyArray<[string, string | undefined | null]>): string {
  const width = Math.max(...fields.map(([k]) => k.length));
  return fields.map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${oneLine(v ?? '-') || '-'}\n`).join('');
}

function oneLine(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ');
}

const SECRET_MASK = '********';

/** A secret is never printed: only whether it is set. */
export function maskSecret(secret: string | undefined): string | undefined {
  return secret === undefined ? undefined : SECRET_MASK;
}

/** Hides a password embedded in a URL (`https://user:pass@host`), which a PBX base URL may carry. */
export function maskUrlPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = SECRET_MASK;
    return parsed.toString();
  } catch {
    return url;
  }
}

/**
 * Masks a phone number: keeps its first two digits (the country code, or most of it) and its last
 * three, enough to tell calls apart in a listing without putting a lead's number on a screen.
 */
export function maskPhoneNumber(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const total = value.replace(/\D/g, '').length;
  if (total <= 5) return value.replace(/\d/g, '*');
  let index = 0;
  return value.replace(/\d/g, (digit) => {
    const i = index++;
    return i < 2 || i >= total - 3 ? digit : '*';
  });
}
