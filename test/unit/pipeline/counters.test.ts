import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter } from '../../../agent/pipeline/counters.ts';
import { PartCounts } from '../../../agent/pipeline/counts.ts';
import { Harness, MIN, makeConfig } from './harness.ts';

describe('counter deltas', () => {
  it('wraps a 16-bit counter', () => {
    const c = new Counter({ width: 16 });
    c.update(65_530, 0, 1000);
    assert.deepEqual(c.update(5, 10_000, 1000), { delta: 11, event: 'wrap' });
    assert.deepEqual(c.update(15, 20_000, 1000), { delta: 10, event: 'count' });
  });

  it('treats a drop that is no plausible wrap as a PLC reset and counts the new value', () => {
    const c = new Counter({ width: 16 });
    c.update(5000, 0, 1000);
    assert.deepEqual(c.update(3, 10_000, 1000), { delta: 3, event: 'reset' });
    const c32 = new Counter({ width: 32 });
    c32.update(4_294_967_290, 0, 1000);
    assert.deepEqual(c32.update(4, 10_000, 1000), { delta: 10, event: 'wrap' });
  });

  it('flags an implausible jump and does not count it, then counts on from the new value', () => {
    const c = new Counter({ width: 32 });
    c.update(100, 0, 1000);
    assert.deepEqual(c.update(1_000_100, 10_000, 1000), { delta: 0, event: 'jump' });
    assert.deepEqual(c.update(1_000_105, 20_000, 1000), { delta: 5, event: 'count' });
    const fixed = new Counter({ width: 32, maxDelta: 3 });
    fixed.update(0, 0, 1000);
    assert.equal(fixed.update(4, 60_000, 1000)!.event, 'jump');
  });

  it('never counts a negative delta when a value is above the configured width', () => {
    // A 32-bit PLC counter configured as 16-bit: a drop from beyond 2^16 is no wrap.
    const c = new Counter({ width: 16 });
    c.update(70_000, 0, 1000);
    assert.deepEqual(c.update(5, 10_000, 1000), { delta: 5, event: 'reset' });
    const exact = new Counter({ width: 16 });
    exact.update(65_536, 0, 1000);
    assert.deepEqual(exact.update(0, 10_000, 1000), { delta: 0, event: 'reset' });
  });

  it('ignores values that are not counts', () => {
    const c = new Counter({ width: 16 });
    assert.equal(c.update(-1, 0, 1000), undefined);
    assert.equal(c.update(1.5, 0, 1000), undefined);
    assert.equal(c.update(Number.NaN, 0, 1000), undefined);
  });
});

describe('counters through the pipeline', () => {
  const t0 = Date.UTC(2026, 10, 23, 6);
  const machine = `{ id: m1, driver: sim, idealCycleTime: 1s, pollInterval: 10s, signals: { running: { tag: running }, partCount: { tag: partCount, width: 16 }, rejectCount: { tag: rejectCount, width: 16 } } }`;

  it('counts across a 16-bit wrap and a PLC reset without losing or inventing parts', () => {
    const h = new Harness(makeConfig({ machine, oee: '{ periods: [hour] }' }), t0);
    // 8 parts per 10 s; the part counter starts near the top and wraps, then the PLC resets it.
    let raw = 65_500;
    let made = 0;
    for (let t = t0; t <= t0 + 60 * MIN; t += 10_000) {
      if (t > t0) {
        made += 8;
        raw = t === t0 + 30 * MIN ? 8 : (raw + 8) % 65_536; // reset to 0 at 30 min, then 8 made
      }
      h.read(t, { running: true, partCount: raw, rejectCount: 0 });
    }
    const hour = h.oee('hour:2026-11-23T06:00:00.000Z')!;
    // Parts read at 07:00:00 belong to the next hour.
    assert.equal(hour.counts.total, made - 8);
    assert.equal(hour.counts.implausibleJumps, 0);
  });
});

describe('a machine with only a part counter and a good counter', () => {
  const t0 = Date.UTC(2026, 10, 23, 6);
  const machine = `{ id: m1, driver: modbus, idealCycleTime: 2s, pollInterval: 5s, connection: { host: 127.0.0.1 }, tags: [{ name: parts, address: 0, type: uint32 }, { name: good, address: 2, type: uint32 }], signals: { partCount: { tag: parts }, goodCount: { tag: good } } }`;

  it('runs while the counter advances, stops when it does not, and derives rejects from good parts', () => {
    const h = new Harness(makeConfig({ machine, oee: '{ periods: [hour] }' }), t0);
    let parts = 0;
    let good = 0;
    for (let t = t0; t <= t0 + 60 * MIN; t += 5000) {
      // Idle from 06:20 to 06:30; one reject in every ten parts otherwise.
      const idle = t > t0 + 20 * MIN && t <= t0 + 30 * MIN;
      if (t > t0 && !idle) {
        parts += 2;
        good += parts % 10 === 0 ? 1 : 2;
      }
      h.pipeline.readings('m1', [{ tag: 'parts', value: parts, quality: 'good', ts: t }, { tag: 'good', value: good, quality: 'good', ts: t }]);
    }
    const states = h.of('state').map((e) => e.body as Record<string, any>);
    // No evidence of running before the first part; then running from the first part on.
    assert.deepEqual(states.map((s) => s.state), ['stopped', 'running', 'stopped', 'running']);
    assert.equal(states[1]!.since, new Date(t0 + 5000).toISOString());
    // Stopped once no part came for max(3 × ideal cycle time, 3 × poll interval) = 15 s, until the next part.
    assert.equal(states[2]!.since, new Date(t0 + 20 * MIN + 15_000).toISOString());
    assert.equal(states[3]!.since, new Date(t0 + 30 * MIN + 5000).toISOString());
    const hour = h.oee('hour:2026-11-23T06:00:00.000Z')!;
    assert.equal(hour.counts.total, parts - 2, 'the parts read at 07:00 belong to the next hour');
    assert.equal(hour.counts.reject, hour.counts.total - hour.counts.good);
    assert.equal(hour.counts.reject, Math.floor((parts - 2) / 10));
  });
});

describe('rejects derived from a part and a good counter', () => {
  it('does not turn parts into rejects when the good counter jumps', () => {
    const counts = new PartCounts(makeConfig({ machine: `{ id: m1, driver: modbus, idealCycleTime: 1s, pollInterval: 10s, connection: { host: 127.0.0.1 }, tags: [{ name: parts, address: 0, type: uint32 }, { name: good, address: 2, type: uint32 }], signals: { partCount: { tag: parts }, goodCount: { tag: good } } }` }).machines[0]!.signals);
    const read = (ts: number, parts: number, good: number) => counts.update([{ signal: 'partCount', value: parts, ts }, { signal: 'goodCount', value: good, ts }], ts, 1000, true);
    read(0, 100, 90);
    assert.deepEqual(read(10_000, 110, 99), { total: 10, reject: 1, excluded: 0, jumps: 0 });
    // The good counter leaps by a million: not counted, and the ten parts are not rejects either.
    assert.deepEqual(read(20_000, 120, 1_000_099), { total: 10, reject: 0, excluded: 0, jumps: 1 });
    // The part counter leaps: no parts counted, so no (negative) rejects from the good ones.
    assert.deepEqual(read(30_000, 5_000_000, 1_000_108), { total: 0, reject: 0, excluded: 0, jumps: 1 });
  });
});

describe('a machine whose part counter is its run signal, on a slow job', () => {
  const t0 = Date.UTC(2026, 10, 23, 6);
  const machine = `{ id: m1, driver: modbus, idealCycleTime: 2s, pollInterval: 5s, connection: { host: 127.0.0.1 }, tags: [{ name: parts, address: 0, type: uint32 }], signals: { partCount: { tag: parts } } }`;

  it('keeps running between parts made at the job\'s own ideal cycle time', () => {
    const h = new Harness(makeConfig({ machine, oee: '{ periods: [job] }' }), t0);
    assert.equal(h.pipeline.startJob('m1', { orderId: 'SLOW', product: 'big', idealCycleTime: 60_000 }, t0).ok, true);
    let parts = 0;
    for (let t = t0; t <= t0 + 30 * MIN; t += 5000) {
      if (t > t0 && (t - t0) % 60_000 === 0) parts++;
      h.pipeline.readings('m1', [{ tag: 'parts', value: parts, quality: 'good', ts: t }]);
    }
    h.pipeline.endJob('m1', 'SLOW', t0 + 30 * MIN);
    // One part a minute is this job's full speed: no stop between two parts.
    assert.deepEqual(h.of('state').map((e) => (e.body as Record<string, any>).state), ['stopped', 'running']);
    const job = h.of('job').at(-1)!.body as Record<string, any>;
    assert.equal(job.total, 30);
  });
});
