import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DestinationCursor, type RowSource } from '../../../agent/outbox/cursor.ts';
import type { LeasedRow } from '../../../agent/outbox/database.ts';

const row = (seq: number): LeasedRow => ({ seq, machine: 'm1', kind: 'telemetry', schema: 'lineside.telemetry/1', ts: seq, body: '{}', size: 98 });

describe('destination cursor', () => {
  it('does not move a lane past rows a failed read never saw', () => {
    let failing = true;
    const src: RowSource = {
      lastSeq: 5,
      // The outbox answers a read the file refused with nothing scanned (scannedTo below from).
      rows: (from, to, max) => (failing ? { rows: [], scannedTo: from - 1 } : { rows: [1, 2, 3, 4, 5].filter((s) => s >= from && s <= to).slice(0, max).map(row), scannedTo: to }),
    };
    const c = new DestinationCursor({ name: 'mqtt', src });
    c.begin();
    assert.deepEqual(c.takeReplay(10), []);
    assert.equal(c.replayDone, false, 'the backlog is still there');
    failing = false;
    assert.deepEqual(c.takeReplay(10).map((r) => r.seq), [1, 2, 3, 4, 5]);
    assert.equal(c.sent, 5);
  });
});
