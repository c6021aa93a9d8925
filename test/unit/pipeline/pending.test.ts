// Events the sink refused stay in the pipeline and count as buffered (readyz adds them to the
// outbox depth): they are neither lost nor invisible.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { MachineEvent } from '../../../agent/events.ts';
import { Pipeline } from '../../../agent/pipeline/pipeline.ts';
import { makeConfig } from './harness.ts';

const T0 = Date.UTC(2026, 10, 23, 6);

it('counts events the sink refused as pending until it takes them', () => {
  const config = makeConfig({ machine: '{ id: m1, driver: sim, idealCycleTime: 1s, pollInterval: 1s, telemetry: { interval: 100ms } }' });
  let refuse = true;
  const taken: MachineEvent[] = [];
  const p = new Pipeline({ config, now: T0, sink: { publish: (e) => { if (refuse) throw new Error('disk full'); taken.push(...e); } } });
  const read = (t: number) => p.readings('m1', [{ tag: 'running', value: true, quality: 'good', ts: t }, { tag: 'partCount', value: (t - T0) / 1000, quality: 'good', ts: t }]);
  assert.throws(() => read(T0 + 1000), /disk full/);
  assert.throws(() => read(T0 + 2000), /disk full/);
  const held = p.pendingEvents;
  assert.ok(held >= 2, `the refused events are held (${held})`);
  refuse = false;
  read(T0 + 3000);
  assert.equal(p.pendingEvents, 0);
  assert.ok(taken.length > held, 'the held events went out with the next batch');
});
