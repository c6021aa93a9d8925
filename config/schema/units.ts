// Human units for config values: durations ("500ms", "15m", "1h30m") and sizes ("64MiB").
// The schema keeps the text form for JSON Schema and docs; validation yields numbers
// (milliseconds, bytes) so nothing downstream parses units again.
import { z } from 'zod';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_RE = /^(\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/** Milliseconds of a duration like "1h30m" or "250ms"; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const compact = text.trim();
  if (!DURATION_RE.test(compact)) return undefined;
  let ms = 0;
  for (const [, n, unit] of compact.matchAll(DURATION_PART)) ms += Number(n) * DURATION_UNITS[unit!]!;
  return ms;
}

const SIZE_UNITS: Record<string, number> = {
  b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4,
};
const SIZE_RE = /^(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?$/i;

/** Bytes of a size like "512MiB", "1GB" or a bare byte count; undefined when malformed. */
export function parseSize(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? Math.floor(text) : undefined;
  const m = SIZE_RE.exec(text.trim());
  if (!m) return undefined;
  return Math.floor(Number(m[1]) * SIZE_UNITS[(m[2] ?? 'b').toLowerCase()]!);
}

export function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0 && ms > 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0 && ms > 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** A duration field: text in, milliseconds out, bounded. */
export function duration(opts: { min?: string; max?: string } = {}) {
  const min = opts.min ? parseDuration(opts.min)! : 0;
  const max = opts.max ? parseDuration(opts.max)! : Number.POSITIVE_INFINITY;
  const range = opts.max ? ` between ${opts.min ?? '0ms'} and ${opts.max}` : opts.min ? ` of at least ${opts.min}` : '';
  const expected = `expected a duration like 500ms, 15s, 2m or 1h30m${range}`;
  return z
    .string({ error: expected })
    .regex(DURATION_RE, { error: expected, abort: true })
    .refine((s) => { const v = parseDuration(s)!; return v >= min && v <= max; }, { error: expected })
    .transform((s) => parseDuration(s)!);
}

/** A size field: text ("64MiB") or a byte count in, bytes out. */
export function size(opts: { min?: string } = {}) {
  const min = opts.min ? parseSize(opts.min)! : 0;
  const expected = `expected a size like 64MiB, 1GB or a byte count${opts.min ? ` of at least ${opts.min}` : ''}`;
  return z
    .union([z.string(), z.number()], { error: expected })
    .refine((v) => { const b = parseSize(v); return b !== undefined && b >= min; }, { error: expected })
    .transform((v) => parseSize(v)!);
}

/** An integer field whose message states the whole allowed range. */
export function int(min: number, max: number) {
  const expected = `expected an integer ${min}..${max}`;
  return z.number({ error: expected }).int({ error: expected }).min(min, { error: expected }).max(max, { error: expected });
}

/** A finite number field, optionally bounded. */
export function num(opts: { min?: number; max?: number; exclusiveMin?: boolean } = {}) {
  const { min, max } = opts;
  const lower = min === undefined ? '' : opts.exclusiveMin ? ` > ${min}` : ` >= ${min}`;
  const upper = max === undefined ? '' : ` <= ${max}`;
  const expected = `expected a number${lower}${lower && upper ? ' and' : ''}${upper}`;
  let s = z.number({ error: expected });
  if (min !== undefined) s = opts.exclusiveMin ? s.gt(min, { error: expected }) : s.min(min, { error: expected });
  if (max !== undefined) s = s.max(max, { error: expected });
  return s;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** An identifier that is also a valid MQTT topic level (no '/', '+', '#', spaces). */
export function topicLevel(what: string) {
  const expected = `expected ${what}: 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit`;
  return z.string({ error: expected }).regex(NAME_RE, { error: expected });
}

/** "HH:MM" wall-clock time of day, as minutes after midnight. */
export function timeOfDay() {
  const expected = 'expected a time of day "HH:MM" (24h)';
  return z
    .string({ error: expected })
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: expected })
    .transform((s) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5)));
}

export function text(what = 'a non-empty string') {
  return z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });
}
