// One outbox, several destinations: one copy of each row, a cursor per destination, two lanes per
// session, dead letters, and what a restart keeps.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { EventKind, MachineEvent } from '../../../agent/events.ts';
import { DROP_REPORT_SCHEMA } from '../../../agent/contract/status.ts';
import { requeueDeadLetters } from '../../../agent/outbox/dead-letters.ts';
import { Outbox, type OutboxOptions } from '../../../agent/outbox/outbox.ts';
import { captureLog } from '../../helpers/capture-log.ts';
import { tempDir } from '../../helpers/tmp.ts';

const ev = (i: number, kind: EventKind = 'telemetry', machine = 'm1'): MachineEvent => ({ kind, machine, schema: `lineside.${kind}/1`, ts: 1_700_000_000_000 + i, body: { i } });

function open(dir: string, over: Partial<OutboxOptions> = {}): Outbox {
  const ob = new Outbox({
    dataDir: dir, synchronous: 'normal', commitInterval: 10, maxBytes: 1 << 30, maxAge: 7 * 86_400_000, log: captureLog().log, now: () => 1_700_000_100_000,
    destinations: [{ name: 'mqtt' }, { name: 'webhook:cmms', filter: { kinds: ['downtime'] } }],
    ...over,
  });
  ob.open();
  return ob;
}

const rowsInFile = (dir: string) => {
  const db = new Database(join(dir, 'outbox.db'), { readonly: true });
  try {
    return (db.prepare('SELECT seq FROM outbox ORDER BY seq').all() as Array<{ seq: number }>).map((r) => r.seq);
  } finally {
    db.close();
  }
};
const seqs = (rows: Array<{ seq: number }>) => rows.map((r) => r.seq);

describe('outbox destinations', () => {
  it('keeps one copy until every destination that wants a row has it; a filter sees only its kinds', () => {
    const dir = tempDir();
    const ob = open(dir);
    ob.append([ev(1), ev(2, 'downtime'), ev(3), ev(4, 'downtime', 'm2')]);
    ob.flush();
    const mqtt = ob.cursor('mqtt');
    const cmms = ob.cursor('webhook:cmms');
    assert.equal(mqtt.pending, 4);
    assert.equal(cmms.pending, 2);
    mqtt.begin();
    cmms.begin();
    ob.acked('mqtt', mqtt.takeReplay(10));
    ob.flush();
    assert.deepEqual(rowsInFile(dir), [2, 4], 'telemetry is gone: the only destination that wants it has it');
    const toCmms = cmms.takeReplay(10);
    assert.deepEqual(seqs(toCmms), [2, 4]);
    ob.acked('webhook:cmms', toCmms);
    ob.flush();
    assert.deepEqual(rowsInFile(dir), []);
    assert.equal(cmms.pending, 0);
    ob.close();
  });

  it('sends what came after the session began at once (live), and the backlog beside it (replay)', () => {
    const ob = open(tempDir());
    ob.append([ev(1), ev(2), ev(3)]);
    ob.flush();
    const c = ob.cursor('mqtt');
    const s = c.begin();
    assert.deepEqual([s.boundary, s.backlog], [3, 3]);
    ob.append([ev(4), ev(5)]);
    ob.flush();
    assert.deepEqual(seqs(c.takeLive(10)), [4, 5], 'live does not wait for the backlog');
    assert.deepEqual(seqs(c.takeReplay(2)), [1, 2]);
    assert.equal(c.isReplay(2), true);
    assert.equal(c.isReplay(4), false);
    assert.deepEqual(seqs(c.takeReplay(10)), [3]);
    assert.equal(c.replayDone, true);
    ob.close();
  });

  it('in strict mode sends everything in one lane, in seq order', () => {
    const ob = open(tempDir(), { destinations: [{ name: 'mqtt', strict: true }] });
    ob.append([ev(1), ev(2)]);
    ob.flush();
    const c = ob.cursor('mqtt');
    c.begin();
    ob.append([ev(3)]);
    ob.flush();
    assert.deepEqual(seqs(c.takeLive(10)), []);
    assert.deepEqual(seqs(c.takeReplay(10)), [1, 2, 3]);
    ob.close();
  });

  it('resumes each destination where it was after a restart, without resending what it had', () => {
    const dir = tempDir();
    const ob = open(dir);
    ob.append([ev(1), ev(2, 'downtime'), ev(3), ev(4, 'downtime')]);
    ob.flush();
    const c = ob.cursor('mqtt');
    c.begin();
    // Acknowledged out of order: 1 and 3, not 2 and 4.
    const [r1, , r3] = c.takeReplay(4);
    ob.acked('mqtt', [r1!, r3!]);
    ob.close();
    const again = open(dir);
    const m = again.cursor('mqtt');
    assert.equal(m.pending, 2);
    m.begin();
    assert.deepEqual(seqs(m.takeReplay(10)), [2, 4]);
    assert.equal(again.cursor('webhook:cmms').pending, 2);
    again.close();
  });

  it('keeps a dead letter in the file, lists it, and sends it again once it is marked for resending', () => {
    const dir = tempDir();
    const ob = open(dir);
    ob.append([ev(1, 'downtime'), ev(2, 'downtime')]);
    ob.flush();
    const mqtt = ob.cursor('mqtt');
    mqtt.begin();
    ob.acked('mqtt', mqtt.takeReplay(10));
    const cmms = ob.cursor('webhook:cmms');
    cmms.begin();
    const [first, second] = cmms.takeReplay(10);
    ob.deadLetter('webhook:cmms', first!, 'http-400', 'bad request: unknown machine');
    ob.acked('webhook:cmms', [second!]);
    ob.flush();
    assert.deepEqual(rowsInFile(dir), [1], 'the dead letter stays; the delivered row is gone');
    assert.deepEqual(ob.listDeadLetters('webhook:cmms').map((d) => [d.seq, d.code, d.machine]), [[1, 'http-400', 'm1']]);
    assert.equal(ob.deadLetterCounts().get('webhook:cmms'), 1);
    assert.equal(cmms.takeReplay(10).length, 0, 'not sent again on its own');

    // What `lineside dead-letters resend` does, from another process.
    const cli = new Database(join(dir, 'outbox.db'));
    assert.equal(requeueDeadLetters(cli, 'webhook:cmms', undefined), 1);
    cli.close();
    ob.tick();
    const resent = cmms.takeReplay(10);
    assert.deepEqual(seqs(resent), [1]);
    assert.equal(cmms.isReplay(1), true);
    ob.acked('webhook:cmms', resent);
    ob.flush();
    assert.deepEqual(rowsInFile(dir), []);
    assert.equal(ob.deadLetterCounts().get('webhook:cmms') ?? 0, 0);
    ob.close();
  });

  it('never drops a drop report, and says which dropped messages may have arrived', () => {
    let now = 1_700_000_000_000;
    const dir = tempDir();
    const ob = open(dir, { maxAge: 60_000, now: () => now, destinations: [{ name: 'mqtt' }] });
    ob.append([ev(1), ev(2), ev(3)].map((e) => ({ ...e, ts: now })));
    ob.flush();
    const c = ob.cursor('mqtt');
    c.begin();
    // Seq 1 was handed to the broker, which never confirmed it.
    assert.deepEqual(seqs(c.takeReplay(1)), [1]);
    now += 120_000;
    ob.tick();
    ob.flush();
    const report = c.takeLive(10).find((r) => r.schema === DROP_REPORT_SCHEMA)!;
    const body = JSON.parse(report.body) as { count: number; seqs: number[][]; maybeDelivered: number[][] };
    assert.deepEqual([body.count, body.seqs, body.maybeDelivered], [3, [[1, 3]], [[1, 1]]]);
    // Long after, the age bound passes the report itself by.
    now += 600_000;
    ob.tick();
    ob.flush();
    assert.ok(rowsInFile(dir).includes(report.seq), 'the report is still there');
    ob.close();
  });
});
