import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseSnapshots, type RestoreProblem } from '../../../agent/pipeline-store/snapshots.ts';
import { PipelineStore } from '../../../agent/pipeline-store/store.ts';
import { Pipeline } from '../../../agent/pipeline/pipeline.ts';
import type { MachineSnapshot } from '../../../agent/pipeline/machine-pipeline.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { Harness, HOUR, MIN, makeConfig } from '../../unit/pipeline/harness.ts';

const T0 = Date.UTC(2026, 10, 23, 6);

describe('pipeline store (SQLite file)', () => {
  it('keeps closed periods, downtime and revisions as history, restores snapshots, and prunes by age', () => {
    const store = new PipelineStore(join(tempDir(), 'state.db'));
    const h = new Harness(makeConfig({ oee: '{ periods: [hour] }', reasons: '{ cleaning: { text: Cleaning, category: planned } }' }), T0);
    const p = h.pipeline;
    let parts = 0;
    for (let t = T0; t <= T0 + 3 * HOUR; t += 10_000) {
      const stopped = t >= T0 + 50 * MIN && t < T0 + HOUR + 5 * MIN;
      if (!stopped && t > T0) parts += 9;
      p.readings('m1', [{ tag: 'running', value: !stopped, quality: 'good', ts: t }, { tag: 'partCount', value: parts, quality: 'good', ts: t }]);
    }
    store.record(h.events);
    const stop = h.of('downtime').map((e) => e.body as Record<string, any>).find((b) => b.status === 'closed')!;
    const mark = h.events.length;
    assert.equal(p.assignDowntimeReason('m1', stop.eventId, 'cleaning', T0 + 4 * HOUR).ok, true);
    store.record(h.events.slice(mark));

    const periods = store.periods('m1', 0, Number.MAX_SAFE_INTEGER, 'hour');
    assert.deepEqual(periods.map((r) => r.body.periodId), ['hour:2026-11-23T06:00:00.000Z', 'hour:2026-11-23T07:00:00.000Z', 'hour:2026-11-23T08:00:00.000Z']);
    assert.equal(periods[0]!.body.revision, 2, 'the re-issued period replaced revision 1');
    assert.equal((periods[0]!.body as any).times.plannedDowntime, 10 * MIN);
    const dt = store.downtime('m1');
    assert.equal(dt.length, 1);
    assert.equal((dt[0]!.body as any).reason.code, 'cleaning');

    // The state timeline: running, stopped at 06:50, running again at 07:05, each interval ending where the next starts.
    const states = store.states('m1');
    assert.deepEqual(states.map((r) => r.body.state), ['running', 'stopped']);
    assert.equal(states[1]!.start, states[0]!.end);
    assert.equal(states[1]!.end, T0 + HOUR + 5 * MIN);

    // Only history that ended before the cut goes: the first hour and the first running interval, not the stop that ended at 07:05.
    assert.equal(store.prune(T0 + HOUR + 1), 2);
    assert.equal(store.states('m1').length, 1);
    assert.equal(store.periods('m1').length, 2);
    assert.equal(store.downtime('m1').length, 1);
    store.close();
  });

  it('starts a machine fresh, and says so, when its saved state is damaged', () => {
    const problems: RestoreProblem[] = [];
    assert.equal(parseSnapshots(new Map([['m1', '{"v":1,"open":'], ['m2', '{"v":7}']]), problems).size, 0);
    assert.deepEqual(problems.map((p) => p.machine), ['m1', 'm2']);
    assert.match(problems[1]!.error, /unsupported state version 7/);

    const config = makeConfig();
    const events: unknown[] = [];
    const p = new Pipeline({ config, now: T0, sink: { publish: (e) => events.push(...e) }, snapshots: new Map([['m1', { v: 1 } as unknown as MachineSnapshot]]) });
    assert.equal(p.restoreProblems.length, 1);
    assert.equal(p.restoreProblems[0]!.machine, 'm1');
    p.readings('m1', [{ tag: 'running', value: true, quality: 'good', ts: T0 + 1000 }]);
    assert.equal(p.machine('m1')!.state.state, 'running', 'the fresh pipeline works');
  });
});
