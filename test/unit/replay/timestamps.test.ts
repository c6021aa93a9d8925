import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ShiftCalendar } from '../../../agent/pipeline/calendar.ts';
import { readTimestamp } from '../../../agent/replay/timestamps.ts';
import { shiftsSchema } from '../../../config/schema/shifts.ts';

const calendar = (timezone: string) => new ShiftCalendar(shiftsSchema.parse({ timezone }));
const berlin = calendar('Europe/Berlin');
const at = (v: unknown, cal = berlin, after = Number.NEGATIVE_INFINITY) => {
  const s = readTimestamp(v, cal, after);
  return 'at' in s ? new Date(s.at).toISOString() : s.problem;
};

describe('replay timestamps', () => {
  it('reads a time with an offset as that instant, whatever the calendar zone', () => {
    for (const cal of [berlin, calendar('UTC'), calendar('America/New_York')]) {
      assert.equal(at('2026-11-23T06:00:00+01:00', cal), '2026-11-23T05:00:00.000Z');
      assert.equal(at('2026-11-23T05:00:00Z', cal), '2026-11-23T05:00:00.000Z');
      assert.equal(at('2026-11-23 00:00:00.250 -0500', cal), '2026-11-23T05:00:00.250Z');
      assert.equal(at(1795410000000, cal), '2026-11-23T05:00:00.000Z');
      assert.equal(at('1795410000000', cal), '2026-11-23T05:00:00.000Z');
    }
  });

  it('reads a time without an offset in the calendar zone, not the host one', () => {
    assert.equal(at('2026-11-23T06:00:00', berlin), '2026-11-23T05:00:00.000Z');
    assert.equal(at('2026-11-23 06:00', calendar('UTC')), '2026-11-23T06:00:00.000Z');
    assert.equal(at('2026-07-01T06:00:00.5', calendar('America/New_York')), '2026-07-01T10:00:00.500Z');
  });

  it('refuses a wall time the clocks skip, naming the zone', () => {
    assert.match(at('2026-03-29T02:30:00'), /"2026-03-29T02:30:00" does not exist in Europe\/Berlin .*give the time with its offset/);
    assert.equal(at('2026-03-29T02:30:00+01:00'), '2026-03-29T01:30:00.000Z');
  });

  it('reads the repeated hour in time order: the first pass first, the second once the file is past it', () => {
    // 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:30 happens at 00:30Z and again at 01:30Z.
    assert.equal(at('2026-10-25T02:30:00'), '2026-10-25T00:30:00.000Z');
    assert.equal(at('2026-10-25T02:30:00', berlin, Date.parse('2026-10-25T00:30:00Z')), '2026-10-25T00:30:00.000Z');
    assert.equal(at('2026-10-25T02:10:00', berlin, Date.parse('2026-10-25T00:59:00Z')), '2026-10-25T01:10:00.000Z');
    // Seconds count: 02:30:30 after 00:30:10Z is still the first pass.
    assert.equal(at('2026-10-25T02:30:30', berlin, Date.parse('2026-10-25T00:30:10Z')), '2026-10-25T00:30:30.000Z');
    assert.equal(at('2026-10-25T03:00:00', berlin, Date.parse('2026-10-25T01:59:00Z')), '2026-10-25T02:00:00.000Z');
  });

  it('refuses what is no time', () => {
    for (const v of ['2026-02-30T00:00:00', '2026-11-23', '2026-11-23T24:00:00', '2026-11-23T10:61:00', '2026-11-23T10:00:60', '2026-11-23T10:00:00+25:00', 'yesterday', '', true, null, Number.NaN]) {
      assert.match(at(v), /expected ms since epoch or an ISO 8601 time/, String(v));
    }
  });
});
