import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pino from 'pino';
import { DropTally } from '../../../agent/outbox/drop-report.ts';
import { Outbox } from '../../../agent/outbox/outbox.ts';
import { confirmedIn, salvage } from '../../../agent/outbox/salvage.ts';
import { tempDir } from '../../helpers/tmp.ts';

describe('salvaging a moved-aside outbox file', () => {
  it('tallies every readable row per machine, and knows which ones a destination had confirmed', () => {
    const dir = tempDir();
    const ob = new Outbox({ dataDir: dir, synchronous: 'normal', commitInterval: 10, maxBytes: 1 << 30, maxAge: 86_400_000, log: pino({ level: 'silent' }) });
    ob.open();
    ob.append(Array.from({ length: 12_000 }, (_, i) => ({ kind: i % 3 ? 'telemetry' as const : 'state' as const, machine: `m${i % 2}`, schema: 's/1', ts: 1_700_000_000_000 + i, body: { i } })));
    ob.flush();
    const c = ob.cursor('mqtt');
    c.begin();
    ob.acked('mqtt', c.takeReplay(5));
    ob.flush();
    ob.close();
    const file = join(dir, 'outbox.db');
    const tally = new DropTally(confirmedIn(file));
    assert.deepEqual(salvage(file, tally), {});
    assert.equal(tally.total, 12_000 - 5, 'the delivered rows were deleted; the rest is there');
    assert.deepEqual([...tally.byMachine.keys()].sort(), ['m0', 'm1']);
    assert.deepEqual(tally.byMachine.get('m0')!.seqs.ranges.at(0), [7, 7]);
    assert.equal(tally.byMachine.get('m0')!.maybeDelivered.ranges.length, 0, 'rows still there were not confirmed');
  });

  it('reports the span it knew when the file cannot say anything', () => {
    const tally = new DropTally();
    assert.deepEqual(salvage(join(tempDir(), 'missing.db'), tally, [10, 20]), { unreadable: [10, 20] });
    assert.equal(tally.total, 0);
  });
});
