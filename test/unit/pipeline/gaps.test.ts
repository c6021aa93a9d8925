// A gap in a machine's data costs the same time and parts however it shows: as a lost link, as
// readings that simply stop, or as readings that arrive bad. The time is unknown from the last
// good reading, the same instant from which the parts counted across the gap are excluded.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LinkStatus } from '../../../agent/machines/link-status.ts';
import { HOUR, Harness, MIN, makeConfig } from './harness.ts';

const T0 = Date.UTC(2026, 10, 23, 6);
const GAP_FROM = T0 + 20 * MIN;
const GAP_TO = T0 + 30 * MIN;
const LAST_GOOD = GAP_FROM - 10_000;

type Marking = 'link loss' | 'missing readings' | 'bad readings';

function hourWithGap(marking: Marking): Record<string, any> {
  const h = new Harness(makeConfig({ machine: '{ id: m1, driver: sim, idealCycleTime: 1s, pollInterval: 10s }', oee: '{ periods: [hour] }' }), T0);
  const link = (state: LinkStatus['state'], since: number) => h.pipeline.link('m1', { state, since, reconnects: 0, polls: 0, pollErrors: 0, overruns: 0 });
  let parts = 0;
  for (let t = T0; t <= T0 + HOUR; t += 10_000) {
    if (t > T0) parts += 8;
    const inGap = t >= GAP_FROM && t < GAP_TO;
    if (inGap) {
      // The machine keeps making parts; the agent learns of them only after the gap.
      if (marking === 'link loss' && t === GAP_FROM) link('disconnected', t);
      if (marking === 'bad readings') h.read(t, { running: null, partCount: null }, 'bad');
      h.pipeline.tick(t + 5000);
      continue;
    }
    if (marking === 'link loss' && t === GAP_TO) link('connected', t);
    h.read(t, { running: true, partCount: parts, rejectCount: 0, faultCode: 0, mode: 1 });
  }
  h.pipeline.tick(T0 + HOUR + 1000);
  const hour = h.oee('hour:2026-11-23T06:00:00.000Z');
  assert.ok(hour, `${marking}: the hour closed`);
  const states = h.of('state').map((e) => e.body as Record<string, any>);
  const unknown = states.find((s) => s.state === 'unknown' && Date.parse(s.since) > T0);
  assert.equal(unknown?.since, new Date(LAST_GOOD).toISOString(), `${marking}: unknown from the last good reading`);
  return hour;
}

describe('gaps in the data', () => {
  it('a gap seen only as missing or bad readings costs the same planned time, run time and performance as a link loss', () => {
    const byLink = hourWithGap('link loss');
    const figures = (b: Record<string, any>) => ({ planned: b.times.planned, run: b.times.run, unknown: b.times.unknown, performance: b.performance, total: b.counts.total });
    // The unknown time runs from the last good reading to the first one after the gap.
    assert.equal(byLink.times.unknown, GAP_TO - LAST_GOOD);
    // No part made across the gap counts, and none of its time. Run time: 06:00:00–06:19:50 and
    // 06:30:00–07:00:00; parts: 8 a reading from 06:00:10 to 06:19:50 and from 06:30:10 to
    // 06:59:50 (those read at 07:00:00 belong to the next hour).
    assert.equal(byLink.times.run, (19 * 60 + 50 + 30 * 60) * 1000);
    assert.equal(byLink.counts.total, (119 + 179) * 8);
    assert.equal(byLink.performance, ((119 + 179) * 8) / (19 * 60 + 50 + 30 * 60));
    for (const marking of ['missing readings', 'bad readings'] as const) assert.deepEqual(figures(hourWithGap(marking)), figures(byLink), marking);
  });
});

describe('the end of a replayed export', () => {
  it('closes the periods up to where the input is complete, though the last reading is older than staleAfter would wait for', () => {
    const h = new Harness(makeConfig({ machine: '{ id: m1, driver: sim, idealCycleTime: 1s, pollInterval: 1m }', oee: '{ periods: [hour] }' }), T0);
    for (let t = T0; t <= T0 + 59 * MIN; t += MIN) h.read(t, { running: true, partCount: (t - T0) / 1000, rejectCount: 0, faultCode: 0, mode: 1 });
    h.pipeline.tick(T0 + HOUR);
    assert.equal(h.oee('hour:2026-11-23T06:00:00.000Z'), undefined, 'without more, the last minute is not final yet');
    h.pipeline.dataComplete(T0 + HOUR);
    const hour = h.oee('hour:2026-11-23T06:00:00.000Z')!;
    assert.equal(hour.times.states.running, HOUR, 'the last values held until the end of the input');
    assert.equal(hour.times.unknown, 0);
  });
});
