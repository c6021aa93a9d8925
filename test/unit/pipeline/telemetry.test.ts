import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Quality, Reading } from '../../../drivers/driver.ts';
import { BODY_SCHEMAS, SCHEMA as SCHEMAS } from '../../../agent/contract/payloads.ts';
import { TelemetryThrottle } from '../../../agent/pipeline/telemetry.ts';
import { Harness, makeConfig } from './harness.ts';

const SCHEMA = SCHEMAS.telemetry;
const at = (ts: number, value: number, quality: Quality = 'good'): Reading[] => [{ tag: 'speed', value, quality, ts }];

describe('telemetry throttle', () => {
  it('publishes every poll when the interval equals the poll interval, though polls land a few ms early', () => {
    const t = new TelemetryThrottle(1000, undefined, 1000);
    let published = 0;
    // Jitter of up to 15 ms either way, the way timers and slow devices deliver.
    for (let i = 0; i < 300; i++) {
      const ts = i * 1000 + ((i * 7919) % 31) - 15;
      t.offer(at(ts, i));
      if (t.due(ts).length) published++;
    }
    assert.equal(published, 300);
  });

  it('still folds changes within the interval into one publication', () => {
    const t = new TelemetryThrottle(5000, undefined, 1000);
    const sent: number[] = [];
    for (let ts = 0; ts <= 20_000; ts += 1000) {
      t.offer(at(ts, ts));
      for (const [, v] of t.due(ts)) sent.push(v.value as number);
    }
    assert.deepEqual(sent, [0, 5000, 10_000, 15_000, 20_000]);
  });

  it('publishes a change of quality at once, both ways, whatever the interval', () => {
    const t = new TelemetryThrottle(60_000, undefined, 1000);
    const sent: string[] = [];
    const step = (ts: number, q: Quality) => {
      t.offer(at(ts, 1, q));
      for (const [, v] of t.due(ts)) sent.push(`${ts}:${v.quality}`);
    };
    step(0, 'good');
    step(1000, 'good');
    step(2000, 'bad');
    step(3000, 'bad');
    step(4000, 'good');
    step(5000, 'uncertain');
    assert.deepEqual(sent, ['0:good', '2000:bad', '4000:good', '5000:uncertain']);
  });
});

describe('telemetry on a lost link', () => {
  it('publishes every tag bad when the link drops, whatever the interval, and good again with the first reading after', () => {
    const T0 = Date.UTC(2026, 10, 23, 6);
    const h = new Harness(makeConfig({ machine: '{ id: m1, driver: sim, idealCycleTime: 1s, pollInterval: 1s, telemetry: { interval: 1m } }' }), T0);
    const link = (state: 'connected' | 'disconnected', since: number) => h.pipeline.link('m1', { state, since, reconnects: 0, polls: 0, pollErrors: 0, overruns: 0 });
    const values = () => h.of('telemetry').map((e) => e.body.values as Record<string, { value: unknown; quality: string }>);
    for (let round = 0; round < 13; round++) {
      const t = T0 + round * 10_000;
      h.read(t, { running: true, speed: 50 });
      link('disconnected', t + 2000);
      const lost = values().at(-1)!;
      assert.deepEqual(lost, { running: { value: null, quality: 'bad', ts: new Date(t + 2000).toISOString() }, speed: { value: null, quality: 'bad', ts: new Date(t + 2000).toISOString() } }, `outage ${round}`);
      link('connected', t + 5000);
      h.read(t + 5000, { running: true, speed: 50 });
      assert.equal(values().at(-1)!.speed!.quality, 'good', `back after outage ${round}`);
    }
    for (const e of h.of('telemetry')) assert.ok(BODY_SCHEMAS[SCHEMA].safeParse(e.body).success, JSON.stringify(e.body));
  });
});
