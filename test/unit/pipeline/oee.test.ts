import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeOee, emptyAccum } from '../../../agent/pipeline/oee.ts';
import { oeeBody } from '../../../agent/contract/payloads.ts';
import { HOUR, Harness, MIN, makeConfig, round4 } from './harness.ts';

const MONDAY = Date.UTC(2026, 10, 23); // 2026-11-23, a Monday

describe('OEE accumulator', () => {
  it('gives the oee.com worked example from summed times and counts', () => {
    const acc = emptyAccum();
    acc.ms.plannedStop = 60 * MIN; // breaks 2×15 + 30 min
    acc.ms.fault = 47 * MIN;
    acc.downtime['d1'] = 47 * MIN;
    acc.ms.running = 480 * MIN - 60 * MIN - 47 * MIN;
    acc.total = 19_271;
    acc.reject = 423;
    acc.idealMs = 19_271 * 1000;
    const f = computeOee(acc, { excludeCommunicationLoss: true, categoryOf: () => 'availability' });
    assert.equal(f.times.planned, 420 * MIN);
    assert.equal(f.times.run, 373 * MIN);
    assert.equal(f.counts.good, 18_848);
    assert.equal(round4(f.availability), 0.8881);
    assert.equal(round4(f.performance), 0.8611);
    assert.equal(round4(f.quality), 0.978);
    assert.equal(round4(f.oee), 0.7479);
    // No rounding mid-way: OEE is exactly the product of the unrounded factors.
    assert.equal(f.oee, f.availability! * f.performance! * f.quality!);
  });

  it('reports performance over 100 % as it is, flagged', () => {
    const acc = emptyAccum();
    acc.ms.running = 10 * MIN;
    acc.total = 700;
    acc.idealMs = 700 * 1000;
    const f = computeOee(acc, { excludeCommunicationLoss: true, categoryOf: () => 'availability' });
    assert.equal(f.performance, 700_000 / 600_000);
    assert.deepEqual(f.flags, ['performance-over-100']);
  });

  it('gives OEE 0 for planned time without production, and null only without planned time', () => {
    const stopped = emptyAccum();
    stopped.ms.stopped = 60 * MIN;
    stopped.downtime = { d1: 60 * MIN };
    const f = computeOee(stopped, { excludeCommunicationLoss: true, categoryOf: () => 'availability' });
    assert.equal(f.availability, 0);
    assert.equal(f.performance, null);
    assert.equal(f.quality, null);
    assert.equal(f.oee, 0);
    const idle = emptyAccum();
    idle.ms.plannedStop = 60 * MIN;
    assert.equal(computeOee(idle, { excludeCommunicationLoss: true, categoryOf: () => 'availability' }).oee, null);
  });

  it('excludes communication-loss time and keeps it as stop time when told not to', () => {
    const acc = emptyAccum();
    acc.ms.running = 50 * MIN;
    acc.ms.unknown = 10 * MIN;
    acc.total = 3000;
    acc.idealMs = 3000 * 1000;
    const ex = computeOee(acc, { excludeCommunicationLoss: true, categoryOf: () => 'availability' });
    assert.equal(ex.times.planned, 50 * MIN);
    assert.equal(ex.availability, 1);
    const inc = computeOee(acc, { excludeCommunicationLoss: false, categoryOf: () => 'availability' });
    assert.equal(inc.times.planned, 60 * MIN);
    assert.equal(inc.times.stop, 10 * MIN);
    assert.equal(inc.availability, 50 / 60);
  });
});

/** The worked example through the whole pipeline: readings every 10 s over a real shift. */
function workedShift() {
  const config = makeConfig({
    shifts: `{ timezone: UTC, shifts: [{ name: early, days: [mon], start: "06:00", end: "14:00", breaks: [{ start: "08:00", duration: 15m }, { start: "10:00", duration: 30m }, { start: "12:00", duration: 15m }] }] }`,
    oee: '{ liveInterval: 30m }',
  });
  const start = MONDAY + 5 * HOUR + 59 * MIN;
  const h = new Harness(config, start);
  const RUN = 373 * MIN;
  const inBreak = (t: number) => [[8 * 60, 8 * 60 + 15], [10 * 60, 10 * 60 + 30], [12 * 60, 12 * 60 + 15]].some(([a, b]) => t >= MONDAY + a! * MIN && t < MONDAY + b! * MIN);
  const inFault = (t: number) => t >= MONDAY + 9 * HOUR && t < MONDAY + 9 * HOUR + 47 * MIN;
  const inShift = (t: number) => t >= MONDAY + 6 * HOUR && t < MONDAY + 14 * HOUR;
  let runMs = 0;
  let prev = start;
  for (let t = start; t <= MONDAY + 14 * HOUR + 2 * MIN; t += 10_000) {
    // Production time elapsed since the previous reading, while the machine ran in planned time.
    if (inShift(prev) && !inBreak(prev) && !inFault(prev)) runMs += t - prev;
    prev = t;
    // A count belongs to the period it is read in: the last parts must be read before 14:00.
    const r = Math.min(runMs, RUN - 10_000) / (RUN - 10_000) * RUN;
    const running = inShift(t) && !inBreak(t) && !inFault(t);
    h.read(t, { running, partCount: Math.floor((19_271 * r) / RUN), rejectCount: Math.floor((423 * r) / RUN), faultCode: inFault(t) ? 101 : 0, mode: 1 });
  }
  return h;
}

describe('machine pipeline: the worked example over a shift', () => {
  const h = workedShift();
  const shift = h.oee('shift:early:2026-11-23')!;

  it('closes the shift with the known answers', () => {
    assert.ok(shift, 'shift period closed');
    assert.equal(shift.start, '2026-11-23T06:00:00.000Z');
    assert.equal(shift.end, '2026-11-23T14:00:00.000Z');
    assert.equal(shift.times.elapsed, 480 * MIN);
    assert.equal(shift.times.plannedStop, 60 * MIN);
    assert.equal(shift.times.planned, 420 * MIN);
    assert.equal(shift.times.stop, 47 * MIN);
    assert.equal(shift.times.run, 373 * MIN);
    assert.deepEqual(shift.counts, { total: 19_271, good: 18_848, reject: 423, excluded: 0, implausibleJumps: 0 });
    assert.equal(round4(shift.availability), 0.8881);
    assert.equal(round4(shift.performance), 0.8611);
    assert.equal(round4(shift.quality), 0.978);
    assert.equal(round4(shift.oee), 0.7479);
    assert.equal(oeeBody.safeParse(shift).success, true);
  });

  it('reports the fault as one 47-minute downtime event with its reason', () => {
    const closed = h.of('downtime').map((e) => e.body as Record<string, any>).filter((b) => b.status === 'closed');
    assert.equal(closed.length, 1, JSON.stringify(closed));
    assert.equal(closed[0]!.state, 'fault');
    assert.equal(closed[0]!.faultCode, 101);
    assert.equal(closed[0]!.reason.code, 'fault-101');
    assert.equal(closed[0]!.durationMs, 47 * MIN);
    assert.equal(closed[0]!.start, '2026-11-23T09:00:00.000Z');
  });

  it('hour periods add up to the shift', () => {
    const hours = h.closed('hour').filter((b) => b.start >= '2026-11-23T06' && b.start < '2026-11-23T14');
    assert.equal(hours.length, 8);
    const sum = (f: (b: Record<string, any>) => number) => hours.reduce((s, b) => s + f(b), 0);
    assert.equal(sum((b) => b.counts.total), 19_271);
    assert.equal(sum((b) => b.counts.reject), 423);
    assert.equal(sum((b) => b.times.run), 373 * MIN);
    assert.equal(sum((b) => b.times.planned), 420 * MIN);
    for (const b of hours) assert.equal(b.times.elapsed, HOUR);
  });
});
