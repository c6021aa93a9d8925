import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HousekeepingScheduler, type HousekeepingJob, type SchedulerOptions } from '../../../agent/housekeeping/scheduler.ts';
import { captureLog } from '../../helpers/capture-log.ts';
import { ManualTriggers } from './manual-trigger.ts';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function setup(jobs: HousekeepingJob[], over: Partial<SchedulerOptions> = {}) {
  const triggers = new ManualTriggers();
  const cap = captureLog();
  let t = 1_800_000_000_000;
  const clock = { now: () => t, advance: (ms: number) => void (t += ms) };
  const scheduler = new HousekeepingScheduler({ jobs, trigger: triggers.factory, timeoutMs: 60_000, log: cap.log, now: clock.now, ...over });
  const stats = (job: string) => scheduler.stats().find((s) => s.job === job)!;
  return { scheduler, triggers, cap, clock, stats };
}

describe('housekeeping scheduler', () => {
  it('arms a trigger per job and runs the job when it fires, recording when, how long and how it ended', async () => {
    let t0 = 0;
    const { scheduler, triggers, clock, stats, cap } = setup([
      { name: 'a', run: () => void clock.advance(1500) },
      { name: 'b', run: () => ({ removed: 3 }) },
    ]);
    await scheduler.start();
    assert.deepEqual(triggers.armed.sort(), ['a', 'b']);
    assert.equal(stats('a').lastRun, undefined, 'nothing ran at start (runOnStart is off)');
    t0 = clock.now();
    assert.equal(triggers.fire('a'), true);
    await scheduler.idle();
    const a = stats('a');
    assert.equal(a.lastRun, t0);
    assert.equal(a.lastDurationMs, 1500);
    assert.equal(a.lastSuccess, t0 + 1500);
    assert.equal(a.runs.ok, 1);
    assert.equal(a.nextRun, triggers.next);
    assert.equal(stats('b').runs.ok, 0, 'b waits for its own trigger');
    triggers.fire('b');
    await scheduler.idle();
    assert.equal(cap.find((l) => l.job === 'b' && l.msg === 'housekeeping job done')?.removed, 3, 'what the job returns is logged');
    await scheduler.stop();
  });

  it('logs a failing job once when it begins to fail and once when it works again, counting every run; the others run on', async () => {
    let fail = true;
    let bRuns = 0;
    const { scheduler, triggers, stats, cap } = setup([
      { name: 'a', run: () => { if (fail) throw new Error('disk I/O error'); } },
      { name: 'b', run: () => void bRuns++ },
    ]);
    await scheduler.start();
    for (let night = 0; night < 3; night++) {
      triggers.fireAll();
      await scheduler.idle();
    }
    assert.equal(stats('a').runs.failed, 3);
    assert.equal(stats('a').lastSuccess, undefined);
    assert.equal(bRuns, 3, 'b ran every night regardless');
    const errors = cap.lines.filter((l) => l.job === 'a' && l.level === 50);
    assert.equal(errors.length, 1, 'one error line for three failed nights');
    assert.match(String((errors[0]!.err as { message: string }).message), /disk I\/O error/);
    fail = false;
    triggers.fire('a');
    await scheduler.idle();
    assert.equal(stats('a').runs.ok, 1);
    assert.equal(cap.lines.filter((l) => l.job === 'a' && l.msg === 'housekeeping job works again').length, 1);
    await scheduler.stop();
  });

  it('counts a job that throws before its first await as failed, and does not leave it marked running', async () => {
    const { scheduler, stats } = setup([{ name: 'a', run: () => { throw new Error('at once'); } }]);
    await scheduler.start();
    assert.equal(await scheduler.run('a'), 'failed');
    assert.equal(stats('a').running, false);
    assert.equal(await scheduler.run('a'), 'failed', 'the next run is not skipped as overlapping');
    await scheduler.stop();
  });

  it('never overlaps a job with itself: a start while it still runs is skipped and counted', async () => {
    const gate = deferred();
    let calls = 0;
    const { scheduler, triggers, stats, cap } = setup([{ name: 'a', run: async () => { calls++; await gate.promise; } }]);
    await scheduler.start();
    assert.equal(triggers.fire('a'), true);
    assert.equal(stats('a').running, true, 'running from the moment it fired');
    triggers.fire('a');
    triggers.fire('a');
    gate.resolve();
    await scheduler.idle();
    assert.equal(calls, 1);
    assert.deepEqual([stats('a').runs.ok, stats('a').runs.skipped], [1, 2]);
    assert.equal(cap.lines.filter((l) => l.msg?.toString().includes('this start skipped') && l.level === 40).length, 1, 'warned once');
    assert.equal(await scheduler.run('a'), 'ok', 'runs again once the previous run ended');
    await scheduler.stop();
  });

  it('asks a job past housekeeping.timeout to stop, and counts the run as a timeout', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const started = deferred();
    let seen: AbortSignal | undefined;
    const { scheduler, stats, cap } = setup(
      [{ name: 'a', run: (signal) => new Promise<void>((_, reject) => { seen = signal; started.resolve(); signal.addEventListener('abort', () => reject(signal.reason as Error)); }) }],
      { timeoutMs: 10_000 },
    );
    await scheduler.start();
    const result = scheduler.run('a');
    await started.promise;
    t.mock.timers.tick(9_999);
    assert.equal(seen!.aborted, false, 'not before its time');
    t.mock.timers.tick(1);
    assert.equal(await result, 'timeout');
    assert.equal(stats('a').runs.timeout, 1);
    assert.ok(cap.find((l) => l.job === 'a' && l.level === 40 && String(l.msg).includes('time limit')));
    await scheduler.stop();
  });

  it('leaves no timer behind once a run ended', async () => {
    const { scheduler } = setup([{ name: 'a', run: () => undefined }]);
    await scheduler.start();
    const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timeouts();
    const running = scheduler.run('a');
    assert.equal(timeouts(), before + 1, 'the run is bounded by a timer');
    assert.equal(await running, 'ok');
    assert.equal(timeouts(), before);
    await scheduler.stop();
  });

  it('on stop removes every trigger, interrupts running jobs and waits for them; later fires do nothing', async () => {
    let ended = false;
    const started = deferred();
    const { scheduler, triggers, stats, cap } = setup([
      { name: 'a', run: (signal) => new Promise<void>((_, reject) => { started.resolve(); signal.addEventListener('abort', () => { ended = true; reject(signal.reason as Error); }); }) },
      { name: 'b', run: () => undefined },
    ]);
    await scheduler.start();
    triggers.fire('a');
    await started.promise;
    await scheduler.stop();
    assert.equal(ended, true, 'stop() returned after the job ended');
    assert.deepEqual(triggers.stopped.sort(), ['a', 'b']);
    assert.deepEqual(triggers.armed, []);
    assert.equal(stats('a').runs.interrupted, 1);
    assert.equal(stats('a').nextRun, undefined, 'no next run once stopped');
    assert.equal(await scheduler.run('b'), 'interrupted');
    assert.equal(stats('b').runs.ok, 0, 'nothing runs after stop');
    assert.equal(cap.lines.filter((l) => (l.level as number) >= 40).length, 0, 'stopping is not a failure');
  });

  it('does not begin a job the agent stopped for before it began', async () => {
    let calls = 0;
    const { scheduler, stats } = setup([{ name: 'a', run: () => void calls++ }]);
    await scheduler.start();
    const run = scheduler.run('a');
    await scheduler.stop();
    assert.equal(await run, 'interrupted');
    assert.equal(calls, 0);
    assert.equal(stats('a').runs.interrupted, 1);
  });

  it('runs every job once at start with runOnStart', async () => {
    const ran: string[] = [];
    const { scheduler } = setup([{ name: 'a', run: () => void ran.push('a') }, { name: 'b', run: () => void ran.push('b') }], { runOnStart: true });
    await scheduler.start();
    await scheduler.idle();
    assert.deepEqual(ran.sort(), ['a', 'b']);
    await scheduler.stop();
  });

  it('counts and logs (once) a scheduled time that passed unnoticed', async () => {
    const { scheduler, triggers, stats, cap } = setup([{ name: 'a', run: () => undefined }]);
    await scheduler.start();
    triggers.miss('a');
    triggers.miss('a');
    assert.equal(stats('a').runs.missed, 2);
    assert.equal(stats('a').lastRun, undefined, 'a missed time is not a run');
    assert.equal(cap.lines.filter((l) => l.level === 40 && String(l.msg).includes('missed')).length, 1);
    await scheduler.stop();
  });

  it('rejects an unknown job name', async () => {
    const { scheduler } = setup([{ name: 'a', run: () => undefined }]);
    await assert.rejects(scheduler.run('nope'), /no housekeeping job "nope"/);
  });
});
