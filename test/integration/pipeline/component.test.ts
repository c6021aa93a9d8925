import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { MachineEvent } from '../../../agent/events.ts';
import { PipelineComponent } from '../../../agent/pipeline-store/component.ts';
import { PipelineStore } from '../../../agent/pipeline-store/store.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { makeConfig } from '../../unit/pipeline/harness.ts';

const T0 = Date.UTC(2026, 10, 23, 6, 59);

describe('pipeline component (run-time clock, SQLite)', () => {
  it('closes periods and publishes live figures from its own clock, with no readings arriving', async () => {
    const dir = tempDir();
    const config = makeConfig({ oee: '{ periods: [hour], liveInterval: 1m }' });
    config.agent.dataDir = dir;
    // A virtual clock that moves 30 s on every look, so the one-second timer sweeps past an hour boundary quickly.
    let t = T0;
    const now = () => (t += 30_000);
    const events: MachineEvent[] = [];
    let wake: (() => void) | undefined;
    const closed = new Promise<void>((resolve) => (wake = resolve));
    const sink = { publish: (e: MachineEvent[]) => { events.push(...e); if (e.some((x) => x.kind === 'oee' && x.body.status === 'closed')) wake!(); } };
    const c = new PipelineComponent({ config, log: pino({ level: 'silent' }), sink, now, tickMs: 5 });
    await c.start();
    c.readings('m1', [{ tag: 'running', value: true, quality: 'good', ts: t }]);
    await closed;
    await c.stop();
    const oee = events.filter((e) => e.kind === 'oee').map((e) => e.body as Record<string, any>);
    assert.ok(oee.some((b) => b.status === 'live'), 'live figures at the interval');
    const hour = oee.find((b) => b.status === 'closed')!;
    assert.equal(hour.periodId, 'hour:2026-11-23T06:00:00.000Z');
    // Before the agent started, and from 30 s (staleAfter) after the only reading on, the hour is unknown.
    assert.equal(hour.times.elapsed, 3_600_000);
    assert.equal(hour.times.states.running + hour.times.unknown, 3_600_000);
    assert.ok(hour.times.states.running > 0 && hour.times.states.running <= 30_000, `running ${hour.times.states.running}`);
    assert.ok(existsSync(join(dir, 'state.db')));
    const store = new PipelineStore(join(dir, 'state.db'));
    assert.equal(store.periods('m1').length, 1, 'the closed hour is in the history');
    assert.ok(store.loadSnapshots().has('m1'), 'state saved on stop');
    store.close();
  });

  it('saves a closed period at once: after a crash the restarted pipeline does not close it again', async () => {
    const dir = tempDir();
    const config = makeConfig({ oee: '{ periods: [hour], liveInterval: 1h }' });
    config.agent.dataDir = dir;
    let t = T0;
    const opts = { config, log: pino({ level: 'silent' }), now: () => t, tickMs: 3_600_000, saveEveryMs: 3_600_000 };
    const run = (m1: boolean) => [{ tag: 'running', value: m1, quality: 'good' as const, ts: t }];
    const closedHours = (events: MachineEvent[]) => events.filter((e) => e.kind === 'oee' && e.body.status === 'closed').map((e) => e.body.periodId);
    // A clean stop at 06:59:30 leaves a saved state in which the 06:00 hour is open.
    const first = new PipelineComponent({ ...opts, sink: { publish() {} } });
    await first.start();
    first.readings('m1', run(true));
    t += 30_000;
    first.readings('m1', run(true));
    await first.stop();
    // Restarted, it closes the hour at 07:00 and then dies without stopping (kill -9).
    const before: MachineEvent[] = [];
    const second = new PipelineComponent({ ...opts, sink: { publish: (e: MachineEvent[]) => void before.push(...e) } });
    await second.start();
    t += 20_000;
    second.readings('m1', run(true));
    t += 20_000;
    second.readings('m1', run(true));
    assert.deepEqual(closedHours(before), ['hour:2026-11-23T06:00:00.000Z']);
    // The next start must not publish the 06:00 hour as closed a second time.
    const after: MachineEvent[] = [];
    const third = new PipelineComponent({ ...opts, sink: { publish: (e: MachineEvent[]) => void after.push(...e) } });
    await third.start();
    t += 20_000;
    third.readings('m1', run(true));
    await third.stop();
    assert.deepEqual(closedHours(after), []);
  });

  it('moves a damaged state file aside and starts fresh', async () => {
    const dir = tempDir();
    const config = makeConfig();
    config.agent.dataDir = dir;
    writeFileSync(join(dir, 'state.db'), 'this is not an SQLite database, just text that fills a page '.repeat(100));
    const lines: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    const c = new PipelineComponent({ config, log, sink: { publish() {} } });
    await c.start();
    await c.stop();
    assert.ok(lines.some((l) => l.msg === 'pipeline state file is damaged; moved aside, starting with a fresh one'), JSON.stringify(lines));
    assert.ok(readdirSync(dir).some((f) => f.startsWith('state.db.damaged-')));
    const store = new PipelineStore(join(dir, 'state.db'));
    assert.ok(store.loadSnapshots().has('m1'));
    store.close();
  });
});
