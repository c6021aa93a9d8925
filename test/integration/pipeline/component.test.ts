import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pino from 'pino';
import type { MachineEvent } from '../../../agent/events.ts';
import { PipelineComponent } from '../../../agent/pipeline-store/component.ts';
import { PipelineStore } from '../../../agent/pipeline-store/store.ts';
import { outboxSink } from '../../helpers/outbox-sink.ts';
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
    let wake: (() => void) | undefined;
    const closed = new Promise<void>((resolve) => (wake = resolve));
    const sink = outboxSink(dir, { onPublish: (e) => e.some((x) => x.kind === 'oee' && x.body.status === 'closed') && wake!() });
    const events = sink.events;
    const c = new PipelineComponent({ config, log: pino({ level: 'silent' }), sink, now, tickMs: 5 });
    await c.start();
    const first = t;
    c.readings('m1', [{ tag: 'running', value: true, quality: 'good', ts: first }]);
    c.readings('m1', [{ tag: 'running', value: true, quality: 'good', ts: first + 20_000 }]);
    await closed;
    await c.stop();
    const oee = events.filter((e) => e.kind === 'oee').map((e) => e.body as Record<string, any>);
    assert.ok(oee.some((b) => b.status === 'live'), 'live figures at the interval');
    const hour = oee.find((b) => b.status === 'closed')!;
    assert.equal(hour.periodId, 'hour:2026-11-23T06:00:00.000Z');
    // Before the agent started, and from the last reading on (found stale 30 s later), the hour is unknown.
    assert.equal(hour.times.elapsed, 3_600_000);
    assert.equal(hour.times.states.running, 20_000);
    assert.equal(hour.times.unknown, 3_600_000 - 20_000);
    assert.ok(existsSync(join(dir, 'state.db')));
    const store = new PipelineStore(join(dir, 'state.db'));
    assert.equal(store.periods('m1').length, 1, 'the closed hour is in the history');
    store.close();
    assert.ok(sink.outbox.loadState().has('m1'), 'state committed on stop');
    sink.outbox.close();
  });

  it('saves a closed period at once: after a crash the restarted pipeline does not close it again', async () => {
    const dir = tempDir();
    const config = makeConfig({ oee: '{ periods: [hour], liveInterval: 1h }' });
    config.agent.dataDir = dir;
    let t = T0;
    const opts = { config, log: pino({ level: 'silent' }), now: () => t, tickMs: 3_600_000, saveEveryMs: 3_600_000 };
    const closedHours = (events: MachineEvent[]) => events.filter((e) => e.kind === 'oee' && e.body.status === 'closed').map((e) => e.body.periodId);
    const run = (m1: boolean) => [{ tag: 'running', value: m1, quality: 'good' as const, ts: t }];
    // A clean stop at 06:59:30 leaves a saved state in which the 06:00 hour is open.
    const first = outboxSink(dir);
    const one = new PipelineComponent({ ...opts, sink: first });
    await one.start();
    one.readings('m1', run(true));
    t += 30_000;
    one.readings('m1', run(true));
    await one.stop();
    first.outbox.close();
    // Restarted, it closes the hour at 07:00; the group commit makes that durable (and so
    // published), and then the agent dies without stopping (kill -9): the outbox is abandoned.
    const before = outboxSink(dir);
    const second = new PipelineComponent({ ...opts, sink: before });
    await second.start();
    t += 20_000;
    second.readings('m1', run(true));
    t += 20_000;
    second.readings('m1', run(true));
    before.outbox.flush();
    assert.deepEqual(closedHours(before.events), ['hour:2026-11-23T06:00:00.000Z']);
    // The next start must not publish the 06:00 hour as closed a second time.
    const after = outboxSink(dir);
    const third = new PipelineComponent({ ...opts, sink: after });
    await third.start();
    t += 20_000;
    third.readings('m1', run(true));
    await third.stop();
    after.outbox.close();
    assert.deepEqual(closedHours(after.events), []);
  });

  it('moves a damaged state file aside and starts fresh', async () => {
    const dir = tempDir();
    const config = makeConfig();
    config.agent.dataDir = dir;
    writeFileSync(join(dir, 'state.db'), 'this is not an SQLite database, just text that fills a page '.repeat(100));
    const lines: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    const sink = outboxSink(dir);
    const c = new PipelineComponent({ config, log, sink });
    await c.start();
    await c.stop();
    assert.ok(lines.some((l) => l.msg === 'pipeline history file is damaged; moved aside, starting with a fresh one'), JSON.stringify(lines));
    assert.ok(readdirSync(dir).some((f) => f.startsWith('state.db.damaged-')));
    const store = new PipelineStore(join(dir, 'state.db'));
    assert.deepEqual(store.periods('m1'), [], 'a fresh, working history file');
    store.close();
    assert.ok(sink.outbox.loadState().has('m1'));
    sink.outbox.close();
  });

  it('carries the state a version 1 agent left in state.db over into the outbox file, once', async () => {
    const dir = tempDir();
    const config = makeConfig({ oee: '{ periods: [hour], liveInterval: 1h }' });
    config.agent.dataDir = dir;
    let t = T0;
    const opts = { config, log: pino({ level: 'silent' }), now: () => t, tickMs: 3_600_000 };
    // A state saved by another run, written where version 1 kept it.
    const donor = outboxSink(tempDir());
    const d = new PipelineComponent({ ...opts, config: { ...config, agent: { ...config.agent, dataDir: tempDir() } }, sink: donor });
    await d.start();
    d.readings('m1', [{ tag: 'running', value: true, quality: 'good', ts: t }]);
    t += 30_000;
    d.readings('m1', [{ tag: 'running', value: true, quality: 'good', ts: t }]);
    await d.stop();
    const v1 = donor.outbox.loadState().get('m1')!;
    donor.outbox.close();
    new PipelineStore(join(dir, 'state.db')).close();
    const legacy = new Database(join(dir, 'state.db'));
    legacy.exec('CREATE TABLE machine_state (machine TEXT PRIMARY KEY, snapshot TEXT NOT NULL, saved_at INTEGER NOT NULL)');
    legacy.prepare('INSERT INTO machine_state VALUES (?, ?, ?)').run('m1', v1, t);
    legacy.close();

    const sink = outboxSink(dir);
    const c = new PipelineComponent({ ...opts, sink });
    await c.start();
    assert.equal(c.pipeline!.machine('m1')!.state.state, 'unknown', 'restored: the time since the save is unknown');
    assert.ok(sink.events.some((e) => e.kind === 'state' && (e.body as any).previous?.state === 'running'), 'the restored machine was running');
    await c.stop();
    sink.outbox.close();
    const after = new Database(join(dir, 'state.db'), { readonly: true });
    const left = after.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'machine_state'").get() as { n: number };
    assert.equal(left.n, 0, 'the old copy is gone');
    after.close();
  });
});
