import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReplayPacer } from '../../../agent/destinations/replay-pacer.ts';
import { captureLog } from '../../helpers/capture-log.ts';

describe('replay pacer', () => {
  it('lets a backlog go at the configured rate and logs depth, rate and ETA', () => {
    let now = 0;
    const cap = captureLog('info');
    const pacer = new ReplayPacer(100, 10, cap.log, () => now);
    pacer.begin(5000, 5000);
    assert.equal(pacer.take(64), 10, 'the burst');
    assert.equal(pacer.take(64), 0);
    assert.equal(pacer.waitMs(), 10);
    let sent = 10;
    for (let step = 0; step < 1000; step++) {
      now += 10;
      const n = pacer.take(64);
      sent += n;
      pacer.acked(n);
    }
    assert.ok(Math.abs(sent - 1010) <= 2, `~100 msg/s over 10 s, got ${sent}`);
    const progress = cap.lines.filter((l) => l.msg === 'backlog replay progress');
    assert.equal(progress.length, 2);
    assert.equal(progress[1]!.rate, 100);
    assert.ok(Math.abs((progress[1]!.etaSeconds as number) - 40) <= 1, `eta ${String(progress[1]!.etaSeconds)}`);
    assert.equal(pacer.progress().active, true);
    pacer.finish();
    assert.equal(pacer.progress().active, false);
    assert.ok(cap.find((l) => l.msg === 'backlog replayed'));
  });
});
