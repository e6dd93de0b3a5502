import { escapeControlCharacters } from '../model/control-characters';

/** Where the CLI writes: the process's streams in production, buffers in tests. */
export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

const BENEATH = Symbol('the stream beneath');
type EscapingOutput = Output & { [BENEATH]: Output };

/**
 * What every command writes through (`run` wraps both streams): control characters become visible `\uXXXX`, the
 * line breaks of the output itself excepted, whatever the text's source (a stored name from before control characters
 * were refused, a PBX's answer, an error message). JSON stays valid: its strings hold the same values.
 */
export function escapingOutput(out: Output): Output {
  if (BENEATH in out) return out;
  const wrapped: EscapingOutput = {
    write: (text: string) => out.write(escapeControlCharacters(text, { keepNewlines: true })),
    isTTY: out.isTTY,
    [BENEATH]: out,
  };
  return wrapped;
}

/**
 * The stream beneath an escaping output, for the one writer that draws with control sequences of its own: the
 * import's progress bar, whose text is a constant format and numbers.
 */
export function terminalOf(out: Output): Output {
  return BENEATH in out ? (out as EscapingOutput)[BENEATH] : out;
}

/** One value on one line: every control character escaped, line breaks, tabs and carriage returns included. */
export function oneLine(text: string): string {
  return escapeControlCharacters(text);
}

/** Prints a value as indented JSON, for `--json`: C1 and bidirectional characters escaped too, which JSON.stringify leaves. */
export function writeJson(out: Output, value: unknown): void {
  out.write(`${escapeControlCharacters(JSON.stringify(value, null, 2), { keepNewlines: true })}\n`);
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
