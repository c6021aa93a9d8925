import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Registry } from 'prom-client';
import { buildHousekeeping } from '../../../agent/housekeeping/build.ts';
import type { MachineEvent } from '../../../agent/events.ts';
import { Outbox } from '../../../agent/outbox/outbox.ts';
import { PipelineComponent } from '../../../agent/pipeline-store/component.ts';
import { PipelineStore } from '../../../agent/pipeline-store/store.ts';
import { captureLog } from '../../helpers/capture-log.ts';
import { parsePrometheus } from '../../helpers/prometheus.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { ack, lease } from '../../helpers/outbox-lease.ts';
import { makeConfig } from '../pipeline/harness.ts';
import { ManualTriggers } from './manual-trigger.ts';

const DAY = 86_400_000;
const T = Date.UTC(2026, 10, 24, 2, 30);

const telemetry = (i: number): MachineEvent => ({ kind: 'telemetry', machine: 'm1', schema: 'lineside.telemetry/1', ts: T - 60_000 + i, body: { i, pad: 'x'.repeat(1000) } });

/** An outbox whose big backlog was delivered: a large freelist to give back, one live row at the end. */
function drainedOutbox(dir: string, now: () => number, log: ReturnType<typeof captureLog>['log']): Outbox {
  const ob = new Outbox({ dataDir: dir, synchronous: 'normal', commitInterval: 10, maxBytes: 1 << 30, maxAge: 7 * DAY, log, now });
  ob.open();
  for (let i = 0; i < 10; i++) {
    ob.append(Array.from({ length: 2000 }, (_, j) => telemetry(i * 2000 + j)));
    ob.flush();
  }
  for (let rows = lease(ob, 5000); rows.length; rows = lease(ob, 5000)) ack(ob, rows);
  ob.append([{ ...telemetry(0), kind: 'oee', schema: 'lineside.oee/1' }]);
  ob.flush();
  return ob;
}

/** state.db with one period that ended 100 days ago (past the 90-day retention) and one from yesterday. */
function historyFile(dir: string): void {
  new PipelineStore(join(dir, 'state.db')).close();
  const db = new Database(join(dir, 'state.db'));
  const put = db.prepare('INSERT INTO period_history VALUES (?, ?, ?, ?, ?, ?, ?)');
  put.run('m1', 'hour:old', 'hour', T - 100 * DAY - 3_600_000, T - 100 * DAY, 1, '{"periodId":"hour:old"}');
  put.run('m1', 'hour:recent', 'hour', T - DAY - 3_600_000, T - DAY, 1, '{"periodId":"hour:recent"}');
  db.close();
}

describe('housekeeping jobs on the real outbox and pipeline store', () => {
  it('compact the outbox, prune history and the command log when triggered, and /metrics says when', async () => {
    const dir = tempDir();
    let t = T - 31 * DAY;
    const now = () => t;
    const cap = captureLog();
    const ob = drainedOutbox(dir, now, cap.log);
    ob.rememberCommand('old-cmd', 'm1', 'job', '{"ok":true}');
    t = T;
    ob.rememberCommand('new-cmd', 'm1', 'job', '{"ok":true}');
    historyFile(dir);
    const config = makeConfig();
    config.agent.dataDir = dir;
    const pipeline = new PipelineComponent({ config, log: cap.log, sink: ob, now, tickMs: 60_000 });
    await pipeline.start();

    const probe = new Database(join(dir, 'outbox.db'), { readonly: true });
    const free = () => probe.pragma('freelist_count', { simple: true }) as number;
    const freeBefore = free();
    assert.ok(freeBefore > 4000, `a large freelist to give back (${freeBefore} pages)`);
    for (let i = 0; i < 5; i++) ob.tick();
    assert.equal(free(), freeBefore, 'the outbox tick no longer compacts: that waits for the schedule');
    assert.equal(pipeline.store!.periods('m1').length, 2, 'starting the pipeline no longer prunes');
    const sizeBefore = statSync(ob.file).size;

    const triggers = new ManualTriggers();
    const registry = new Registry();
    const scheduler = buildHousekeeping(config, { outbox: ob, pipeline }, registry, cap.log, { now, trigger: triggers.factory });
    await scheduler.start();
    const scrape = async () => parsePrometheus(await registry.metrics());
    const before = await scrape();
    const runs = before.get('lineside_housekeeping_runs_total')!;
    assert.equal(runs.type, 'counter');
    assert.equal(runs.samples.length, 3 * 6, 'every job and result from the start');
    assert.ok(runs.samples.every((s) => s.value === 0));
    assert.equal(before.get('lineside_housekeeping_last_run_timestamp_seconds')!.samples.length, 0, 'no run yet');

    triggers.fireAll();
    await scheduler.idle();

    assert.ok(free() <= 256, `free pages given back (${freeBefore} → ${free()})`);
    assert.ok(statSync(ob.file).size < sizeBefore / 4, `the file shrank (${sizeBefore} → ${statSync(ob.file).size})`);
    probe.close();
    assert.equal(lease(ob, 10).length, 1, 'the undelivered row is still there');
    assert.deepEqual(pipeline.store!.periods('m1').map((r) => r.body.periodId), ['hour:recent']);
    assert.equal(ob.recallCommand('old-cmd'), undefined, 'a command id past 30 days is forgotten');
    assert.equal(ob.recallCommand('new-cmd'), '{"ok":true}');

    const after = await scrape();
    const value = (name: string, labels: Record<string, string>) =>
      after.get(name)!.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    for (const job of ['outbox-compact', 'command-log-prune', 'history-prune']) {
      assert.equal(value('lineside_housekeeping_runs_total', { job, result: 'ok' }), 1, job);
      assert.equal(value('lineside_housekeeping_runs_total', { job, result: 'failed' }), 0, job);
      assert.equal(value('lineside_housekeeping_last_run_timestamp_seconds', { job }), T / 1000, job);
      assert.equal(value('lineside_housekeeping_last_success_timestamp_seconds', { job }), T / 1000, job);
      assert.equal(value('lineside_housekeeping_last_duration_seconds', { job }), 0, `${job} (the test clock stands still)`);
      assert.equal(value('lineside_housekeeping_next_run_timestamp_seconds', { job }), triggers.next / 1000, job);
      assert.equal(value('lineside_housekeeping_running', { job }), 0, job);
    }
    const done = cap.find((l) => l.job === 'outbox-compact' && l.msg === 'housekeeping job done')!;
    assert.ok((done.freedBytes as number) > 0 && (done.steps as number) > 1, `compacted in several steps (${JSON.stringify(done)})`);
    assert.equal(cap.find((l) => l.job === 'history-prune' && l.msg === 'housekeeping job done')?.removed, 1);

    await scheduler.stop();
    await pipeline.stop();
    ob.close();
  });

  it('counts a job whose file fails as failed (and logs it), and the others still run', async () => {
    const dir = tempDir();
    const cap = captureLog();
    const ob = drainedOutbox(dir, () => T, cap.log);
    const pipeline = { pruneHistory: (): number => { throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' }); } };
    const triggers = new ManualTriggers();
    const scheduler = buildHousekeeping(makeConfig(), { outbox: ob, pipeline }, new Registry(), cap.log, { now: () => T, trigger: triggers.factory });
    await scheduler.start();
    triggers.fireAll();
    await scheduler.idle();
    const stats = Object.fromEntries(scheduler.stats().map((s) => [s.job, s.runs]));
    assert.equal(stats['history-prune']!.failed, 1);
    assert.equal(stats['outbox-compact']!.ok, 1);
    assert.equal(stats['command-log-prune']!.ok, 1);
    assert.ok(cap.find((l) => l.job === 'history-prune' && l.level === 50));
    await scheduler.stop();
    ob.close();
  });

  it('stops compacting at the next step when the agent stops', async () => {
    const dir = tempDir();
    const cap = captureLog();
    const ob = drainedOutbox(dir, () => T, cap.log);
    const probe = new Database(join(dir, 'outbox.db'), { readonly: true });
    const free = () => probe.pragma('freelist_count', { simple: true }) as number;
    const triggers = new ManualTriggers();
    let firstStep!: () => void;
    const stepped = new Promise<void>((resolve) => (firstStep = resolve));
    const outbox = { file: ob.file, pruneCommands: () => 0, compact: () => (firstStep(), ob.compact()) };
    const scheduler = buildHousekeeping(makeConfig(), { outbox, pipeline: { pruneHistory: () => 0 } }, new Registry(), cap.log, { now: () => T, trigger: triggers.factory });
    await scheduler.start();
    const before = free();
    const run = scheduler.run('outbox-compact');
    await stepped;
    await scheduler.stop();
    assert.equal(await run, 'interrupted');
    assert.ok(free() > 256 && free() < before, `stopped part-way (${before} → ${free()} free pages)`);
    probe.close();
    ob.close();
  });
});
