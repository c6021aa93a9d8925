import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getTasks } from 'node-cron';
import { cronTrigger } from '../../../agent/housekeeping/cron-trigger.ts';
import { captureLog } from '../../helpers/capture-log.ts';

const wallClock = (ms: number, timeZone: string) =>
  new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hour12: false }).format(new Date(ms));

describe('node-cron trigger', () => {
  it('schedules in the given timezone and, stopped, leaves no task and no timer behind', () => {
    const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const tasksBefore = getTasks().size;
    const timersBefore = timeouts();
    const trigger = cronTrigger({ schedule: '30 3 * * *', timezone: 'Asia/Tokyo', log: captureLog().log })('outbox-compact');
    assert.equal(trigger.nextRun(), undefined, 'nothing scheduled before start');
    trigger.start(() => assert.fail('not due for hours'), () => {});
    assert.equal(getTasks().size, tasksBefore + 1);
    assert.equal(timeouts(), timersBefore + 1, 'one timer waits for the next time');
    const next = trigger.nextRun()!;
    assert.ok(next > Date.now() && next <= Date.now() + 86_400_000, 'within the next day');
    assert.equal(wallClock(next, 'Asia/Tokyo'), '03:30', 'at 03:30 in Tokyo');
    assert.equal(trigger.nextRun(), next, 'the same answer until it fired');
    trigger.stop();
    assert.equal(getTasks().size, tasksBefore, 'dropped from node-cron\'s registry');
    assert.equal(timeouts(), timersBefore, 'its timer is gone');
    assert.equal(trigger.nextRun(), undefined);
  });

  it('fires at the scheduled time (a six-field expression: every second)', async () => {
    const trigger = cronTrigger({ schedule: '* * * * * *', timezone: 'UTC', log: captureLog().log })('history-prune');
    const due = Math.ceil(Date.now() / 1000) * 1000;
    const fired = new Promise<number>((resolve) => trigger.start(() => resolve(Date.now()), () => {}));
    try {
      const at = await fired;
      assert.ok(at >= due - 5, `not before the next second (${at} vs ${due})`);
    } finally {
      trigger.stop();
    }
  });
});
