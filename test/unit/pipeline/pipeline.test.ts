import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BODY_SCHEMAS } from '../../../agent/contract/payloads.ts';
import { Pipeline } from '../../../agent/pipeline/pipeline.ts';
import { HOUR, Harness, MIN, makeConfig } from './harness.ts';

const T0 = Date.UTC(2026, 10, 23, 6);
const SIM = (extra = '') => `{ id: m1, driver: sim, idealCycleTime: 1s, pollInterval: 10s${extra} }`;

function validateAll(h: Harness): void {
  for (const e of h.events) {
    const schema = BODY_SCHEMAS[e.schema as keyof typeof BODY_SCHEMAS];
    assert.ok(schema, `unknown schema ${e.schema}`);
    const r = schema.safeParse(e.body);
    assert.ok(r.success, `${e.schema} body invalid: ${JSON.stringify(e.body)} ${r.error?.message}`);
  }
}

describe('jobs: product change mid-period', () => {
  it('performance uses Σ ideal cycle time × count over both products', () => {
    const h = new Harness(makeConfig({ machine: SIM(), oee: '{ periods: [hour, job] }' }), T0);
    const p = h.pipeline;
    assert.equal(p.startJob('m1', { orderId: 'A-1', product: 'A', idealCycleTime: 1000 }, T0).ok, true);
    let parts = 0;
    for (let t = T0; t <= T0 + HOUR; t += 10_000) {
      if (t === T0 + 30 * MIN) {
        // Product change: job A ends, job B (twice the ideal cycle time) starts.
        h.read(t, { running: true, partCount: parts, rejectCount: 0, faultCode: 0, mode: 1 });
        assert.equal(p.endJob('m1', 'A-1', t).ok, true);
        assert.equal(p.startJob('m1', { orderId: 'B-1', product: 'B', idealCycleTime: 2000, targetQuantity: 800 }, t).ok, true);
        continue;
      }
      if (t > T0) parts += t <= T0 + 30 * MIN ? 8 : 4;
      h.read(t, { running: true, partCount: parts, rejectCount: t > T0 + 40 * MIN ? 1 : 0, faultCode: 0, mode: 1 });
    }
    const hour = h.oee('hour:2026-11-23T06:00:00.000Z')!;
    // Job A: 179 readings × 8 parts; job B: 179 × 4 in this hour (the parts read at 07:00 fall in the next).
    assert.equal(hour.counts.total, 1432 + 716);
    assert.equal(hour.times.ideal, 1432 * 1000 + 716 * 2000);
    assert.equal(hour.performance, (1432 * 1000 + 716 * 2000) / HOUR);
    const results = h.of('job').map((e) => e.body as Record<string, any>);
    assert.equal(results.length, 1, 'job A finished');
    assert.equal(results[0]!.orderId, 'A-1');
    assert.equal(results[0]!.total, 1432);
    assert.equal(results[0]!.durationMs, 30 * MIN);
    assert.equal(results[0]!.performance, (1432 * 1000) / (30 * MIN));
    assert.equal(p.endJob('m1', 'A-1', T0 + HOUR).ok, false, 'A is no longer running');
    assert.equal(p.endJob('m1', 'B-1', T0 + HOUR + 10_000).ok, true);
    h.read(T0 + HOUR + 20_000, { running: true, partCount: parts, rejectCount: 1, faultCode: 0, mode: 1 });
    const b = h.of('job').map((e) => e.body as Record<string, any>).at(-1)!;
    assert.equal(b.orderId, 'B-1');
    assert.equal(b.targetQuantity, 800);
    assert.equal(b.complete, false);
    assert.equal(b.idealCycleTimeMs, 2000);
    assert.equal(b.revision, 1);
    validateAll(h);
  });

  it('rejects invalid job orders', () => {
    const h = new Harness(makeConfig({ machine: SIM() }), T0);
    const r = h.pipeline.startJob('m1', { orderId: '', product: 'A', idealCycleTime: 1000 }, T0);
    assert.equal(r.ok, false);
    assert.equal(h.pipeline.startJob('nope', { orderId: 'x', product: 'A', idealCycleTime: 1000 }, T0).ok, false);
  });
});

describe('communication loss', () => {
  function run(exclude: boolean) {
    const h = new Harness(makeConfig({ machine: SIM(), oee: `{ periods: [hour], excludeCommunicationLoss: ${exclude} }` }), T0);
    let parts = 0;
    for (let t = T0; t <= T0 + HOUR; t += 10_000) {
      if (t > T0) parts += 9;
      if (t === T0 + 20 * MIN) h.pipeline.link('m1', { state: 'disconnected', since: t, reconnects: 0, polls: 0, pollErrors: 1, overruns: 0 });
      if (t === T0 + 30 * MIN) h.pipeline.link('m1', { state: 'connected', since: t, reconnects: 1, polls: 0, pollErrors: 1, overruns: 0 });
      if (t >= T0 + 20 * MIN && t < T0 + 30 * MIN) continue; // the machine keeps making parts; nobody reads them
      h.read(t, { running: true, partCount: parts, rejectCount: 0, faultCode: 0, mode: 1 });
    }
    return h;
  }

  it('excludes the outage time and the parts counted across it together', () => {
    const h = run(true);
    const hour = h.oee('hour:2026-11-23T06:00:00.000Z')!;
    // From the last good reading (06:19:50) on: the time of the parts excluded with the gap.
    assert.equal(hour.times.unknown, 10 * MIN + 10_000);
    assert.equal(hour.times.planned, 50 * MIN - 10_000);
    assert.equal(hour.counts.excluded, 9 * 60 + 9, 'the parts of the gap and of the first reading after it');
    assert.equal(hour.counts.total, 9 * 359 - (9 * 60 + 9));
    assert.ok(hour.flags.includes('parts-excluded-communication-loss'));
    const states = h.of('state').map((e) => (e.body as Record<string, any>).state);
    assert.deepEqual(states, ['running', 'unknown', 'running']);
  });

  it('counts the outage as stop time and keeps its parts when exclusion is off', () => {
    const hour = run(false).oee('hour:2026-11-23T06:00:00.000Z')!;
    assert.equal(hour.times.planned, HOUR);
    assert.equal(hour.times.stop, 10 * MIN + 10_000);
    assert.equal(hour.counts.total, 9 * 359);
    assert.equal(hour.counts.excluded, 0);
  });

  it('keeps a break that falls inside an outage a planned stop when exclusion is off', () => {
    const config = makeConfig({
      machine: SIM(),
      shifts: '{ shifts: [{ name: early, days: [mon], start: "06:00", end: "08:00", breaks: [{ start: "07:00", duration: 15m }] }] }',
      oee: '{ periods: [shift, hour], excludeCommunicationLoss: false }',
    });
    const h = new Harness(config, T0);
    let parts = 0;
    for (let t = T0; t <= T0 + 2 * HOUR + 10_000; t += 10_000) {
      if (t === T0 + 50 * MIN) h.pipeline.link('m1', { state: 'disconnected', since: t, reconnects: 0, polls: 0, pollErrors: 1, overruns: 0 });
      if (t === T0 + 80 * MIN) h.pipeline.link('m1', { state: 'connected', since: t, reconnects: 1, polls: 0, pollErrors: 1, overruns: 0 });
      if (t >= T0 + 50 * MIN && t < T0 + 80 * MIN) continue;
      if (t > T0 && h.pipeline.calendar.isPlanned(t)) parts += 9;
      h.read(t, { running: true, partCount: parts, rejectCount: 0, faultCode: 0, mode: 1 });
    }
    const shift = h.oee('shift:early:2026-11-23')!;
    // Unknown from the last good reading (06:49:50) until the link is back at 07:20.
    assert.equal(shift.times.unknown, 30 * MIN + 10_000);
    // The 15-minute break was never planned production time, with or without communication.
    assert.equal(shift.times.plannedStop, 15 * MIN);
    assert.equal(shift.times.planned, 105 * MIN);
    assert.equal(shift.times.stop, 15 * MIN + 10_000);
    assert.equal(shift.times.run, 90 * MIN - 10_000);
    // After the shift, with no communication, the hour is not planned production time either.
    h.pipeline.link('m1', { state: 'disconnected', since: T0 + 2 * HOUR + 20_000, reconnects: 1, polls: 0, pollErrors: 2, overruns: 0 });
    h.pipeline.tick(T0 + 3 * HOUR + 10_000);
    const after = h.oee('hour:2026-11-23T08:00:00.000Z')!;
    assert.equal(after.times.planned, 0);
    assert.equal(after.availability, null);
  });

  it('keeps a break before the agent started a planned stop when exclusion is off', () => {
    const config = makeConfig({
      machine: SIM(),
      shifts: '{ shifts: [{ name: early, days: [mon], start: "06:00", end: "08:00", breaks: [{ start: "06:30", duration: 15m }] }] }',
      oee: '{ periods: [shift], excludeCommunicationLoss: false }',
    });
    // The agent starts at 07:00: the hour before it is unknown, and holds the break.
    const h = new Harness(config, T0 + HOUR);
    for (let t = T0 + HOUR; t <= T0 + 2 * HOUR; t += 10_000) h.read(t, { running: true, partCount: 0, rejectCount: 0, faultCode: 0, mode: 1 });
    const shift = h.oee('shift:early:2026-11-23')!;
    assert.equal(shift.times.unknown, HOUR);
    assert.equal(shift.times.plannedStop, 15 * MIN);
    assert.equal(shift.times.stop, 45 * MIN);
  });

  it('keeps the gap open for counters read while the link is still down', () => {
    const h = new Harness(makeConfig({ machine: SIM(), oee: '{ periods: [hour] }' }), T0);
    let parts = 0;
    const link = (state: 'connected' | 'disconnected', t: number) => h.pipeline.link('m1', { state, since: t, reconnects: 0, polls: 0, pollErrors: 0, overruns: 0 });
    for (let t = T0; t <= T0 + HOUR; t += 10_000) {
      if (t > T0) parts += 9;
      if (t === T0 + 20 * MIN) link('disconnected', t);
      if (t === T0 + 30 * MIN) link('connected', t);
      // A straggling reading right after the link went down, then nothing until it is back.
      if (t > T0 + 20 * MIN + 10_000 && t < T0 + 30 * MIN) continue;
      h.read(t, { running: true, partCount: parts, rejectCount: 0, faultCode: 0, mode: 1 });
    }
    const hour = h.oee('hour:2026-11-23T06:00:00.000Z')!;
    // From the last good reading before the loss (06:19:50): the time of every part excluded.
    assert.equal(hour.times.unknown, 10 * MIN + 10_000);
    // Every part made while the state was unknown is excluded with that time, not only the straggler's.
    assert.equal(hour.counts.excluded, 9 * 61);
    assert.equal(hour.counts.total, 9 * 359 - 9 * 61);
  });

  it('does not take a quiet OPC UA subscription for stale data; all tags bad is communication loss', () => {
    const tags = ['running', 'partCount', 'rejectCount', 'faultCode'].map((t) => `{ name: ${t}, nodeId: "ns=1;s=${t}" }`).join(', ');
    const machine = `{ id: m1, driver: opcua, idealCycleTime: 1s, connection: { endpoint: "opc.tcp://127.0.0.1:4840" }, tags: [${tags}], signals: { running: { tag: running }, partCount: { tag: partCount }, rejectCount: { tag: rejectCount }, faultCode: { tag: faultCode } } }`;
    const h = new Harness(makeConfig({ machine, oee: '{ periods: [hour] }' }), T0);
    // Report by exception: the initial values, then only what changes.
    h.read(T0, { running: true, partCount: 0, rejectCount: 0, faultCode: 0 });
    for (let i = 1; i <= 60; i++) h.read(T0 + i * 1000, { partCount: i });
    h.read(T0 + 61_000, { running: false });
    // Ten quiet minutes: the machine stands still, nothing changes, the subscription keeps alive.
    h.pipeline.tick(T0 + 11 * MIN);
    assert.deepEqual(h.of('state').map((e) => (e.body as Record<string, any>).state), ['running', 'stopped']);
    // The driver's watchdog marks every tag bad when the subscription falls silent: that is communication loss.
    h.read(T0 + 11 * MIN, { running: false, partCount: 60, rejectCount: 0, faultCode: 0 }, 'bad');
    h.pipeline.tick(T0 + 12 * MIN);
    const last = h.of('state').at(-1)!.body as Record<string, any>;
    assert.equal(last.state, 'unknown');
    assert.equal(last.since, new Date(T0 + 11 * MIN).toISOString());
  });

  it('goes unknown when data goes stale without a link change', () => {
    const h = new Harness(makeConfig({ machine: SIM(', states: { staleAfter: 30s }') }), T0);
    h.read(T0, { running: true, partCount: 0, rejectCount: 0, faultCode: 0, mode: 1 });
    h.pipeline.tick(T0 + 5 * MIN);
    const s = h.of('state').map((e) => e.body as Record<string, any>);
    assert.equal(s.at(-1)!.state, 'unknown');
    // Found out 30 s (staleAfter) later, but unknown from the last good reading on.
    assert.equal(s.at(-1)!.since, new Date(T0).toISOString());
  });
});

describe('downtime reasons, micro-stops and revisions', () => {
  it('turns a short unexplained stop into a micro-stop counted as run time', () => {
    const h = new Harness(makeConfig({ machine: SIM(), oee: '{ periods: [hour] }' }), T0);
    for (let t = T0; t <= T0 + HOUR; t += 10_000) {
      const stopped = t >= T0 + 10 * MIN && t < T0 + 10 * MIN + 60_000;
      h.read(t, { running: !stopped, partCount: 0, rejectCount: 0, faultCode: 0, mode: stopped ? 0 : 1 });
    }
    const d = h.of('downtime').map((e) => e.body as Record<string, any>).filter((b) => b.status === 'closed');
    assert.equal(d.length, 1);
    assert.equal(d[0]!.reason.code, 'micro-stop');
    assert.equal(d[0]!.reason.category, 'performance');
    assert.equal(d[0]!.durationMs, 60_000);
    const hour = h.oee('hour:2026-11-23T06:00:00.000Z')!;
    assert.equal(hour.times.states.stopped, 60_000);
    assert.equal(hour.times.performanceLoss, 60_000);
    assert.equal(hour.times.run, HOUR);
  });

  it('debounces flicker shorter than the debounce time', () => {
    const h = new Harness(makeConfig({ machine: `{ id: m1, driver: sim, idealCycleTime: 1s, pollInterval: 1s, states: { debounce: 5s } }` }), T0);
    for (let t = T0; t <= T0 + 60_000; t += 1000) {
      const blip = t === T0 + 20_000 || t === T0 + 21_000;
      h.read(t, { running: !blip, partCount: 0, rejectCount: 0, faultCode: 0, mode: 1 });
    }
    assert.deepEqual(h.of('state').map((e) => (e.body as Record<string, any>).state), ['running']);
    assert.equal(h.of('downtime').length, 0);
  });

  it('re-issues a closed period as a new revision when a late reason changes its figures', () => {
    const h = new Harness(makeConfig({ machine: SIM(), oee: '{ periods: [hour] }', reasons: '{ cleaning: { text: Cleaning, category: planned } }' }), T0);
    let parts = 0;
    for (let t = T0; t <= T0 + HOUR + 10 * MIN; t += 10_000) {
      const stopped = t >= T0 + 50 * MIN && t < T0 + HOUR + 5 * MIN;
      if (t > T0 && !stopped) parts += 10;
      h.read(t, { running: !stopped, partCount: parts, rejectCount: 0, faultCode: 0, mode: 1 });
    }
    const first = h.oee('hour:2026-11-23T06:00:00.000Z')!;
    assert.equal(first.revision, 1);
    assert.equal(first.times.stop, 10 * MIN);
    assert.equal(first.availability, 50 / 60);
    const stop = h.of('downtime').map((e) => e.body as Record<string, any>).find((b) => b.status === 'closed')!;
    assert.equal(stop.reason.code, 'unassigned');
    assert.equal(stop.durationMs, 15 * MIN);
    assert.equal(h.pipeline.assignDowntimeReason('m1', stop.eventId, 'nope', T0 + 2 * HOUR).ok, false);
    const r = h.pipeline.assignDowntimeReason('m1', stop.eventId, 'cleaning', T0 + 2 * HOUR, { text: 'weekly clean', by: 'anna' });
    assert.equal(r.ok, true);
    const revised = h.oee('hour:2026-11-23T06:00:00.000Z')!;
    assert.equal(revised.revision, 2);
    assert.equal(revised.times.plannedDowntime, 10 * MIN);
    assert.equal(revised.times.planned, 50 * MIN);
    assert.equal(revised.availability, 1);
    const updated = h.of('downtime').at(-1)!.body as Record<string, any>;
    assert.equal(updated.status, 'updated');
    assert.equal(updated.reason.code, 'cleaning');
    assert.equal(updated.assignedBy, 'anna');
    validateAll(h);
  });

  it('re-issues the closed period when a reason arrives for a stop that spans its end and is still open', () => {
    const h = new Harness(makeConfig({ machine: SIM(), oee: '{ periods: [hour] }', reasons: '{ cleaning: { text: Cleaning, category: planned } }' }), T0);
    let parts = 0;
    for (let t = T0; t <= T0 + HOUR + 5 * MIN; t += 10_000) {
      const stopped = t >= T0 + 50 * MIN;
      if (t > T0 && !stopped) parts += 10;
      h.read(t, { running: !stopped, partCount: parts, rejectCount: 0, faultCode: 0, mode: 1 });
    }
    const first = h.oee('hour:2026-11-23T06:00:00.000Z')!;
    assert.equal(first.revision, 1);
    assert.equal(first.availability, 50 / 60);
    const open = h.of('downtime').map((e) => e.body as Record<string, any>).find((b) => b.status === 'open')!;
    assert.equal(h.pipeline.assignDowntimeReason('m1', open.eventId, 'cleaning', T0 + HOUR + 5 * MIN).ok, true);
    const revised = h.oee('hour:2026-11-23T06:00:00.000Z')!;
    assert.equal(revised.revision, 2, 'the closed hour holds 10 min of this stop and its figures changed');
    assert.equal(revised.times.plannedDowntime, 10 * MIN);
    assert.equal(revised.availability, 1);
    validateAll(h);
  });

  it('re-issues a finished job\'s result when a late reason changes it', () => {
    const h = new Harness(makeConfig({ machine: SIM(), oee: '{ periods: [job] }', reasons: '{ cleaning: { text: Cleaning, category: planned } }' }), T0);
    h.pipeline.startJob('m1', { orderId: 'J', product: 'P', idealCycleTime: 1000 }, T0);
    for (let t = T0; t <= T0 + 30 * MIN; t += 10_000) {
      const stopped = t >= T0 + 10 * MIN && t < T0 + 20 * MIN;
      h.read(t, { running: !stopped, partCount: 0, rejectCount: 0, faultCode: 0, mode: 1 });
    }
    h.pipeline.endJob('m1', 'J', T0 + 30 * MIN);
    const first = h.of('job').at(-1)!.body as Record<string, any>;
    assert.equal(first.revision, 1);
    assert.equal(first.availability, 2 / 3);
    const stop = h.of('downtime').map((e) => e.body as Record<string, any>).find((b) => b.status === 'closed')!;
    assert.equal(h.pipeline.assignDowntimeReason('m1', stop.eventId, 'cleaning', T0 + HOUR).ok, true);
    const second = h.of('job').at(-1)!.body as Record<string, any>;
    assert.equal(second.revision, 2);
    assert.equal(second.availability, 1);
    validateAll(h);
  });

  it('accepts a reason for a stop in no period, and for a stop still open', () => {
    const h = new Harness(makeConfig({ machine: SIM(), oee: '{ periods: [job] }', reasons: '{ jam: { text: Jam } }' }), T0);
    for (let t = T0; t <= T0 + 30 * MIN; t += 10_000) {
      const stopped = t >= T0 + 5 * MIN && t < T0 + 10 * MIN || t >= T0 + 25 * MIN;
      h.read(t, { running: !stopped, partCount: 0, rejectCount: 0, faultCode: 0, mode: 1 });
    }
    const [first, open] = h.of('downtime').map((e) => e.body as Record<string, any>).filter((b) => b.status === 'open');
    assert.equal(h.pipeline.assignDowntimeReason('m1', first!.eventId, 'jam', T0 + 30 * MIN).ok, true);
    assert.equal(h.pipeline.assignDowntimeReason('m1', open!.eventId, 'jam', T0 + 30 * MIN).ok, true);
    const last = h.of('downtime').at(-1)!.body as Record<string, any>;
    assert.equal(last.status, 'open');
    assert.equal(last.reason.code, 'jam');
    assert.equal(last.reason.assigned, true);
  });

  it('maps fault codes to reasons and prefers fault over changeover', () => {
    const h = new Harness(makeConfig({ machine: SIM(', faults: { "7": jam }'), reasons: '{ jam: { text: Material jam } }' }), T0);
    h.read(T0, { running: false, partCount: 0, rejectCount: 0, faultCode: 7, mode: 2 });
    h.read(T0 + 10_000, { running: false, partCount: 0, rejectCount: 0, faultCode: 7, mode: 2 });
    const s = h.of('state').at(-1)!.body as Record<string, any>;
    assert.equal(s.state, 'fault');
    assert.deepEqual(s.reason, { code: 'jam', text: 'Material jam' });
    h.read(T0 + 20_000, { running: false, partCount: 0, rejectCount: 0, faultCode: 0, mode: 2 });
    h.read(T0 + 30_000, { running: false, partCount: 0, rejectCount: 0, faultCode: 0, mode: 2 });
    assert.equal((h.of('state').at(-1)!.body as Record<string, any>).state, 'changeover');
    validateAll(h);
  });
});

describe('restart', () => {
  it('continues the shift from a snapshot; the time the agent was down is unknown', () => {
    const config = makeConfig({ machine: SIM(), shifts: '{ shifts: [{ name: early, days: [mon], start: "06:00", end: "14:00" }] }', oee: '{ periods: [shift] }' });
    const a = new Harness(config, T0);
    let parts = 0;
    for (let t = T0; t <= T0 + 2 * HOUR; t += 10_000) {
      if (t > T0) parts += 9;
      a.read(t, { running: true, partCount: parts, rejectCount: 0, faultCode: 0, mode: 1 });
    }
    const saved = JSON.parse(JSON.stringify([...a.pipeline.snapshots()]));
    const before = parts;
    // Down for 30 minutes while the machine kept producing 9 parts per 10 s.
    const back = T0 + 2 * HOUR + 30 * MIN;
    parts += 9 * 180;
    const b = new Harness(config, back, new Map(saved));
    let lastInShift = 0;
    for (let t = back; t <= T0 + 8 * HOUR + 10_000; t += 10_000) {
      parts += 9;
      if (t < T0 + 8 * HOUR) lastInShift = parts;
      b.read(t, { running: true, partCount: parts, rejectCount: 0, faultCode: 0, mode: 1 });
    }
    const shift = b.oee('shift:early:2026-11-23')!;
    assert.equal(shift.times.elapsed, 8 * HOUR);
    assert.equal(shift.times.unknown, 30 * MIN);
    assert.equal(shift.times.planned, 7.5 * HOUR);
    // The parts made while the agent was down are read with the first reading after it: excluded with the gap.
    const excluded = 9 * 181;
    assert.equal(shift.counts.excluded, excluded);
    assert.equal(shift.counts.total, before + (lastInShift - before - excluded));
    const states = b.of('state').map((e) => (e.body as Record<string, any>).state);
    assert.deepEqual(states, ['unknown', 'running', 'plannedStop']);
    assert.equal((b.of('state')[0]!.body as Record<string, any>).since, new Date(T0 + 2 * HOUR).toISOString());
  });
});

describe('event sink failures', () => {
  it('keeps the events a failing sink refused and delivers them with the next batch', () => {
    const config = makeConfig({ machine: SIM() });
    const got: string[] = [];
    let fail = true;
    const p = new Pipeline({ config, now: T0, sink: { publish: (e) => { if (fail) throw new Error('outbox full'); got.push(...e.map((x) => x.kind)); } } });
    assert.throws(() => p.readings('m1', [{ tag: 'running', value: true, quality: 'good', ts: T0 }]), /outbox full/);
    assert.deepEqual(got, []);
    fail = false;
    p.readings('m1', [{ tag: 'running', value: false, quality: 'good', ts: T0 + 20_000 }]);
    assert.deepEqual(got.slice(0, 2), ['state', 'telemetry'], 'the refused events come first');
    assert.ok(got.length > 2);
    assert.equal(p.droppedEvents, 0);
  });
});
