// Timestamps of replay input. A number (or, in CSV, digits) is ms since the epoch; text is ISO 8601.
// Text with an offset (`Z`, `+01:00`) is that instant. Text without one is wall-clock time in
// `shifts.timezone`, read by the shift calendar's own zone arithmetic and never in the host's time
// zone, so a file closes the same periods on every machine.
import { DAY, type ShiftCalendar } from '../pipeline/calendar.ts';

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const EXAMPLE = 'ms since epoch or an ISO 8601 time like 2026-11-23T06:00:00+01:00';

export type Stamp = { at: number } | { problem: string };

/**
 * The instant `value` names. `after` is the instant of the line before (or -Infinity): a wall time
 * the clocks pass twice (fall back) is the earlier instant unless that is before `after`, so an
 * export in time order reads right through the repeated hour. A wall time the clocks skip
 * (spring forward) exists nowhere and is a problem, as is any other malformed time.
 */
export function readTimestamp(value: unknown, calendar: ShiftCalendar, after: number): Stamp {
  if (typeof value === 'number') return Number.isFinite(value) ? { at: value } : { problem: `expected ${EXAMPLE}` };
  if (typeof value !== 'string') return { problem: `expected ${EXAMPLE}, got ${JSON.stringify(value)}` };
  if (/^\d+$/.test(value)) return { at: Number(value) };
  const m = ISO.exec(value.trim());
  const bad = { problem: `expected ${EXAMPLE}, got ${JSON.stringify(value)}` };
  if (!m) return bad;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  const ms = Math.floor(Number(`0.${m[7] ?? '0'}`) * 1000);
  const minute = Date.UTC(y, mo - 1, d, h, mi);
  // Date.UTC rolls 2026-02-30 over into March: a field out of range shows as a different date.
  const back = new Date(minute);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || back.getUTCHours() !== h || s > 59) return bad;
  const offset = m[8];
  if (offset !== undefined) {
    const o = offsetMs(offset);
    return o === undefined ? bad : { at: minute - o + s * 1000 + ms };
  }
  // Offsets change on whole minutes, so the minute decides which instants the wall time has.
  const later = calendar.toInstant(`${m[1]}-${m[2]}-${m[3]}`, h * 60 + mi);
  if (later + calendar.offsetAt(later) !== minute) {
    return { problem: `${JSON.stringify(value)} does not exist in ${calendar.timezone} (the clocks skip it); give the time with its offset` };
  }
  // toInstant resolves a repeated wall time to its later instant; the earlier one has the offset in force before the change.
  const earlier = minute - calendar.offsetAt(later - DAY);
  const twice = earlier < later && earlier + calendar.offsetAt(earlier) === minute;
  const at = twice && earlier + s * 1000 + ms >= after ? earlier : later;
  return { at: at + s * 1000 + ms };
}

function offsetMs(text: string): number | undefined {
  if (text.toUpperCase() === 'Z') return 0;
  const digits = text.slice(1).replace(':', '');
  const h = Number(digits.slice(0, 2));
  const min = Number(digits.slice(2) || '0');
  if (h > 23 || min > 59) return undefined;
  return (text[0] === '-' ? -1 : 1) * (h * 60 + min) * 60_000;
}
