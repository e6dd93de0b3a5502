import { CsvError, parse } from 'csv-parse/sync';
import { agentInputSchema, crmUserIdSchema, type AgentInput } from '../model/agent';
import { CliError } from './errors';

/** The columns of an agent import file, in the canonical spelling; headers match case-insensitively. */
export const AGENT_CSV_COLUMNS = ['crmUserId', 'extension', 'email', 'name', 'teams'] as const;
/**
 * Between the team names of the `teams` column (`sales|support`). Not a comma, which would need quoting in every
 * row, nor a semicolon, which some spreadsheets write as the field separator of their CSV.
 */
export const TEAM_SEPARATOR = '|';
type AgentColumn = (typeof AGENT_CSV_COLUMNS)[number];
const REQUIRED_COLUMNS: readonly AgentColumn[] = ['crmUserId', 'extension'];

/** One valid row, ready for `AgentRepository.putMany`. */
export interface AgentCsvRow extends AgentInput {
  line: number;
  crmUserId: string;
}

/** One problem with one row; a row may have several. */
export interface AgentCsvIssue {
  line: number;
  /** A column name, or "row" for a problem with the whole row. */
  field: string;
  message: string;
  crmUserId?: string;
}

export interface AgentCsvResult {
  /** Data rows in the file (empty lines not counted). */
  total: number;
  valid: AgentCsvRow[];
  /** Lines of the rows that have at least one issue, ascending. */
  invalidLines: number[];
  issues: AgentCsvIssue[];
}

/** The file cannot be read as an agent import at all (no header, unknown column, unclosed quote). */
export class AgentCsvFileError extends CliError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AgentCsvFileError';
  }
}

/**
 * Parses and validates a whole agent import file before anything is written: every row is checked
 * against the same schemas the API uses, and a crmUserId that appears on more than one row makes
 * each of those rows invalid (which one was meant is for a human to say).
 */
export function parseAgentCsv(text: string): AgentCsvResult {
  const records = readRecords(text);
  const [header, ...rows] = records;
  if (!header) throw new AgentCsvFileError(`The file is empty: expected a header line ${AGENT_CSV_COLUMNS.join(',')}`);
  const columns = readHeader(header.fields, header.line);

  const issues: AgentCsvIssue[] = [];
  const valid: AgentCsvRow[] = [];
  const linesById = new Map<string, number[]>();

  for (const { fields, line } of rows) {
    const rowIssues: AgentCsvIssue[] = [];
    const value = (column: AgentColumn) => {
      const index = columns.indexOf(column);
      return index === -1 ? '' : (fields[index] ?? '');
    };
    const crmUserId = value('crmUserId');
    if (fields.length !== columns.length) {
      rowIssues.push({ line, field: 'row', message: `expected ${columns.length} fields, found ${fields.length}` });
    }
    const id = crmUserIdSchema.safeParse(crmUserId);
    if (!id.success) {
      rowIssues.push({ line, field: 'crmUserId', message: crmUserId === '' ? 'required' : firstMessage(id.error) });
    } else {
      linesById.set(crmUserId, [...(linesById.get(crmUserId) ?? []), line]);
    }
    const input: { extension: string; email?: string; name?: string; teams?: string[] } = { extension: value('extension') };
    if (value('email') !== '') input.email = value('email');
    if (value('name') !== '') input.name = value('name');
    if (value('teams') !== '') input.teams = splitTeams(value('teams'));
    const agent = agentInputSchema.safeParse(input);
    if (!agent.success) {
      for (const issue of agent.error.issues) {
        const field = String(issue.path[0] ?? 'row');
        const team = field === 'teams' && typeof issue.path[1] === 'number' ? input.teams?.[issue.path[1]] : undefined;
        const message =
          field === 'extension' && input.extension === ''
            ? 'required'
            : team !== undefined
              ? `${JSON.stringify(team)}: ${issue.message}`
              : issue.message;
        rowIssues.push({ line, field, message });
      }
    }
    if (rowIssues.length > 0) {
      issues.push(...rowIssues.map((i) => (crmUserId ? { ...i, crmUserId } : i)));
    } else if (agent.success) {
      valid.push({ line, crmUserId, ...agent.data });
    }
  }

  const duplicated = new Set<number>();
  // One agent per extension: an extension on two rows is as ambiguous as a crmUserId on two rows.
  const linesByExtension = new Map<string, AgentCsvRow[]>();
  for (const row of valid) linesByExtension.set(row.extension, [...(linesByExtension.get(row.extension) ?? []), row]);
  for (const [extension, rows] of linesByExtension) {
    if (rows.length < 2) continue;
    for (const row of rows) {
      duplicated.add(row.line);
      const others = rows.filter((r) => r.line !== row.line).map((r) => r.line);
      issues.push({
        line: row.line,
        field: 'extension',
        crmUserId: row.crmUserId,
        message: `duplicate: extension ${extension} is also on line${others.length > 1 ? 's' : ''} ${others.join(', ')}`,
      });
    }
  }
  for (const [crmUserId, lines] of linesById) {
    if (lines.length < 2) continue;
    for (const line of lines) {
      duplicated.add(line);
      const others = lines.filter((l) => l !== line).join(', ');
      issues.push({
        line,
        field: 'crmUserId',
        crmUserId,
        message: `duplicate: ${crmUserId} is also on line${lines.length > 2 ? 's' : ''} ${others}`,
      });
    }
  }

  issues.sort((a, b) => a.line - b.line);
  return {
    total: rows.length,
    valid: valid.filter((row) => !duplicated.has(row.line)),
    invalidLines: [...new Set(issues.map((i) => i.line))],
    issues,
  };
}

/** The team names of one `teams` cell: separated by {@link TEAM_SEPARATOR}, blanks around each name dropped. */
export function splitTeams(cell: string): string[] {
  return cell
    .split(TEAM_SEPARATOR)
    .map((team) => team.trim())
    .filter((team) => team !== '');
}

interface CsvRecord {
  fields: string[];
  /** Line on which the record starts, 1-based. */
  line: number;
}

function readRecords(text: string): CsvRecord[] {
  // csv-parse counts lines wrongly across CRLF empty lines; one line ending makes its counts exact.
  const normalized = text.replace(/\r\n?/g, '\n');
  let parsed: Array<{ record: string[]; info: { lines: number } }>;
  try {
    parsed = parse(normalized, {
      bom: true,
      info: true,
      trim: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
      relax_column_count: true,
    }) as unknown as typeof parsed;
  } catch (error) {
    if (error instanceof CsvError) {
      const line = (error as CsvError & { lines?: number }).lines;
      throw new AgentCsvFileError(`Not a readable CSV file${line ? ` (line ${line})` : ''}: ${error.message}`, { cause: error });
    }
    throw error;
  }
  return parsed.map(({ record, info }) => ({
    fields: record,
    // `info.lines` is the line the record ends on; a quoted field may span lines.
    line: info.lines - record.reduce((n, field) => n + (field.match(/\n/g)?.length ?? 0), 0),
  }));
}

function readHeader(fields: string[], line: number): AgentColumn[] {
  const byLowerCase = new Map(AGENT_CSV_COLUMNS.map((c) => [c.toLowerCase(), c]));
  const columns: AgentColumn[] = [];
  for (const field of fields) {
    const column = byLowerCase.get(field.toLowerCase());
    if (!column) {
      throw new AgentCsvFileError(
        `Line ${line}: unknown column ${JSON.stringify(field)} (the header is ${AGENT_CSV_COLUMNS.join(',')}; email, name and teams are optional)`,
      );
    }
    if (columns.includes(column)) throw new AgentCsvFileError(`Line ${line}: column ${column} appears twice`);
    columns.push(column);
  }
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
  if (missing.length > 0) {
    throw new AgentCsvFileError(
      `Line ${line}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (the header is ${AGENT_CSV_COLUMNS.join(',')})`,
    );
  }
  return columns;
}

function firstMessage(error: { issues: Array<{ message: string }> }): string {
  return error.issues[0]?.message ?? 'invalid';
}
