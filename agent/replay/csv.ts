// Replay input as a historian's CSV export: a header row naming the columns `timestamp`,
// `machine`, `tag` and `value` (and optionally `quality`), in any order, then one reading a row in
// time order. Fields may be quoted (RFC 4180). A value is typed by its text, quoted or not:
// a number, true/false, empty (no value: null with quality bad), else a string.
import { CsvError, parse } from 'csv-parse/sync';
import type { ReplayConfig } from '../../config/schema/replay.ts';
import { closestKey } from '../../config/closest-key.ts';
import { InputBuilder } from './input.ts';

const REQUIRED = ['timestamp', 'machine', 'tag', 'value'] as const;
const COLUMNS = [...REQUIRED, 'quality'] as const;
type Column = (typeof COLUMNS)[number];

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

interface Row {
  record: string[];
  info: { lines: number };
  raw: string;
}

export function parseCsv(text: string, config: ReplayConfig): InputBuilder {
  const input = new InputBuilder(config);
  let rows: Row[];
  try {
    rows = parse(text, { bom: true, info: true, raw: true, trim: true, skip_empty_lines: true, relax_column_count: true, record_delimiter: ['\r\n', '\n'] }) as unknown as Row[];
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    const line = (err as CsvError & { lines?: number }).lines ?? 1;
    input.problem(line, undefined, `not CSV: ${err.message.replace(/ at line \d+/, '')}`);
    return input;
  }
  const [header, ...records] = rows;
  if (!header) return input;
  const columns = readHeader(input, firstLine(header), header.record);
  if (!columns) return input;
  for (const row of records) {
    const n = firstLine(row);
    const f = row.record;
    if (f.length !== header.record.length) {
      input.problem(n, undefined, `expected ${header.record.length} fields as in the header, got ${f.length}`);
      continue;
    }
    const ts = input.time(n, 'timestamp', f[columns.timestamp]);
    const m = input.machine(n, f[columns.machine]);
    const tag = f[columns.tag]!;
    if (tag === '') input.problem(n, 'tag', 'expected a tag name');
    if (ts === undefined || !m || tag === '') continue;
    const text = f[columns.value]!;
    const given = columns.quality === undefined ? '' : f[columns.quality]!;
    if (text === '' && given !== '' && given !== 'bad') {
      input.problem(n, 'quality', `an empty value has quality bad, got ${JSON.stringify(given)}`);
      continue;
    }
    input.reading(n, ts, m.id, tag, typed(text), given || (text === '' ? 'bad' : 'good'));
  }
  return input;
}

function typed(text: string): number | boolean | string | null {
  if (text === '') return null;
  if (NUMBER.test(text)) return Number(text);
  const lower = text.toLowerCase();
  if (lower === 'true' || lower === 'false') return lower === 'true';
  return text;
}

/** Column indexes by name; header names are matched without regard to case. */
function readHeader(input: InputBuilder, n: number, names: string[]): Partial<Record<Column, number>> & Record<(typeof REQUIRED)[number], number> | undefined {
  const at: Partial<Record<Column, number>> = {};
  let ok = true;
  names.forEach((raw, i) => {
    const name = raw.toLowerCase();
    if (!(COLUMNS as readonly string[]).includes(name)) {
      const near = closestKey(name, COLUMNS);
      input.problem(n, `column ${JSON.stringify(raw)}`, `unknown${near ? `; did you mean "${near}"?` : `; expected ${COLUMNS.join(', ')}`}`);
      ok = false;
    } else if (at[name as Column] !== undefined) {
      input.problem(n, `column ${JSON.stringify(raw)}`, 'appears twice');
      ok = false;
    } else at[name as Column] = i;
  });
  for (const c of REQUIRED) {
    if (at[c] === undefined) {
      input.problem(n, undefined, `header: missing column ${c} (expected a header row: ${REQUIRED.join(',')}[,quality])`);
      ok = false;
    }
  }
  return ok ? (at as Record<(typeof REQUIRED)[number], number>) : undefined;
}

/** The line a record starts on: csv-parse counts to its end, and a quoted field may span lines. */
function firstLine(row: Row): number {
  const breaks = row.raw.replace(/\r?\n$/, '').split('\n').length - 1;
  return row.info.lines - breaks;
}
