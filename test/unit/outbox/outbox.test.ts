import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { BODY_JSON, type EventKind, type MachineEvent } from '../../../agent/events.ts';
import { Outbox, type OutboxOptions } from '../../../agent/outbox/outbox.ts';
import { DROP_REPORT_SCHEMA } from '../../../agent/contract/status.ts';
import { captureLog } from '../../helpers/capture-log.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { ack, lease, release } from '../../helpers/outbox-lease.ts';

function ev(i: number, kind: EventKind = 'telemetry', machine = 'm1', pad = 0): MachineEvent {
  return { kind, machine, schema: `lineside.${kind}/1`, ts: 1_700_000_000_000 + i, body: { i, pad: 'x'.repeat(pad) } };
}

function outbox(dir: string, over: Partial<OutboxOptions> = {}) {
  const cap = captureLog();
  const ob = new Outbox({ dataDir: dir, synchronous: 'normal', commitInterval: 10, maxBytes: 1 << 30, maxAge: 7 * 86_400_000, log: cap.log, now: () => 1_700_000_100_000, destinations: [{ name: 'mqtt', strict: true }], ...over });
  ob.open();
  return { ob, cap };
}

const seqs = (rows: Array<{ seq: number }>) => rows.map((r) => r.seq);

/** 5,000 rows of 4 KB committed, then garbage over 4 MiB of pages that are no longer in SQLite's 2 MiB page cache. */
function fillThenCorrupt(ob: Outbox, dir: string): void {
  for (let i = 0; i < 10; i++) {
    ob.append(Array.from({ length: 500 }, (_, j) => ev(i * 500 + j, 'telemetry', 'm1', 4000)));
    ob.flush();
  }
  const fd = openSync(join(dir, 'outbox.db'), 'r+');
  writeSync(fd, Buffer.alloc(4 << 20, 0x41), 0, 4 << 20, 40_960);
  closeSync(fd);
}

describe('outbox', () => {
  it('commits appends per flush, assigns seqs in the commit and leases only committed rows', () => {
    const { ob } = outbox(tempDir());
    ob.append([ev(1), ev(2)]);
    assert.deepEqual(lease(ob, 10), [], 'nothing is leasable before the commit');
    assert.equal(ob.stats().depth, 2);
    ob.flush();
    const rows = lease(ob, 10);
    assert.deepEqual(seqs(rows), [1, 2]);
    assert.equal(rows[0]!.machine, 'm1');
    assert.deepEqual(JSON.parse(rows[1]!.body), { i: 2, pad: '' });
    ob.close();
  });

  it('stores the JSON a body brings along as it is, and stringifies every other body', () => {
    const { ob } = outbox(tempDir());
    const body = { values: { a: 1 } };
    Object.defineProperty(body, BODY_JSON, { value: '{"values":{"a":1}}' });
    ob.append([{ ...ev(1), body }, ev(2)]);
    ob.flush();
    const rows = lease(ob, 10);
    assert.deepEqual(rows.map((r) => r.body), ['{"values":{"a":1}}', '{"i":2,"pad":""}']);
    assert.equal(rows[0]!.size - rows[1]!.size, Buffer.byteLength('{"values":{"a":1}}') - Buffer.byteLength('{"i":2,"pad":""}'));
    ob.close();
  });

  it('commits the state handed over with events in the same transaction, and gives it back after a restart', () => {
    const dir = tempDir();
    const { ob } = outbox(dir);
    const peek = new Database(join(dir, 'outbox.db'), { readonly: true });
    const fileHolds = () => ({
      rows: (peek.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n,
      state: (peek.prepare('SELECT key, value FROM saved_state').all() as Array<{ key: string; value: string }>).map((r) => `${r.key}=${r.value}`),
    });
    ob.append([ev(1, 'state'), ev(2, 'downtime')], new Map([['m1', '{"v":1,"n":1}']]));
    ob.append([ev(3, 'state')], new Map([['m1', '{"v":1,"n":2}'], ['m2', '{"v":1,"n":1}']]));
    assert.deepEqual(fileHolds(), { rows: 0, state: [] }, 'neither before the commit');
    assert.deepEqual([...ob.loadState()], [['m1', '{"v":1,"n":2}'], ['m2', '{"v":1,"n":1}']], 'the pending state is the newest');
    ob.flush();
    assert.deepEqual(fileHolds(), { rows: 3, state: ['m1={"v":1,"n":2}', 'm2={"v":1,"n":1}'] }, 'both in one commit');
    // State alone (a periodic save) commits too.
    ob.append([], new Map([['m2', '{"v":1,"n":2}']]));
    ob.flush();
    assert.deepEqual(fileHolds().state, ['m1={"v":1,"n":2}', 'm2={"v":1,"n":2}']);
    peek.close();
    ob.close();
    const again = outbox(dir).ob;
    assert.deepEqual([...again.loadState()], [['m1', '{"v":1,"n":2}'], ['m2', '{"v":1,"n":2}']]);
    again.close();
  });

  it('keeps rows until acked, re-leases from the oldest after release, deletes on ack', () => {
    const { ob } = outbox(tempDir());
    ob.append([ev(1), ev(2), ev(3), ev(4)]);
    ob.flush();
    const a = lease(ob, 2);
    const b = lease(ob, 2);
    assert.deepEqual([seqs(a), seqs(b)], [[1, 2], [3, 4]]);
    assert.deepEqual(lease(ob, 2), []);
    ack(ob, [a[0]!]);
    release(ob);
    assert.deepEqual(seqs(lease(ob, 10)), [2, 3, 4], 'acked row gone, the rest re-leased in order');
    assert.equal(ob.stats().depth, 3);
    ob.close();
  });

  it('never reuses a seq: not after emptying, not after reopening, not after the file is deleted', () => {
    const dir = tempDir();
    let { ob } = outbox(dir);
    ob.append([ev(1), ev(2), ev(3)]);
    ob.flush();
    ack(ob, lease(ob, 10));
    ob.flush();
    assert.equal(ob.stats().depth, 0);
    ob.append([ev(4)]);
    ob.flush();
    assert.deepEqual(seqs(lease(ob, 10)), [4]);
    ob.close();
    ({ ob } = outbox(dir));
    ob.append([ev(5)]);
    ob.flush();
    assert.deepEqual(seqs(lease(ob, 10)), [4, 5]);
    ob.close();
    for (const f of readdirSync(dir)) if (f.startsWith('outbox.db')) writeFileSync(join(dir, f), '');
    ({ ob } = outbox(dir));
    ob.append([ev(6)]);
    ob.flush();
    const [row] = lease(ob, 10);
    assert.ok(row!.seq > 5, `seq ${row!.seq} continues above everything used before`);
    ob.close();
  });

  it('commits on its tick and wakes listeners', async () => {
    const { ob } = outbox(tempDir());
    await ob.start();
    const woke = new Promise<void>((resolve) => ob.onCommit(resolve));
    ob.append([ev(1)]);
    await woke;
    assert.deepEqual(seqs(lease(ob, 5)), [1]);
    await ob.stop();
  });

  it('under maxBytes drops the oldest telemetry first, keeps oee/downtime/job, and reports the drop', () => {
    const dir = tempDir();
    const { ob, cap } = outbox(dir, { maxBytes: 200_000 });
    const events: MachineEvent[] = [];
    for (let i = 0; i < 400; i++) {
      events.push(ev(i, 'telemetry', i % 2 ? 'm1' : 'm2', 1000));
      if (i % 50 === 0) events.push(ev(i, 'oee', 'm1', 1000), ev(i, 'downtime', 'm2', 1000), ev(i, 'job', 'm1', 1000));
    }
    ob.append(events);
    ob.flush();
    const st = ob.stats();
    assert.ok(st.bytes <= 200_000, `bytes ${st.bytes} within the bound`);
    assert.ok(st.dropped > 0);
    ob.flush(); // commits the drop reports
    const rows = lease(ob, 10_000);
    const kinds = rows.map((r) => r.kind);
    assert.equal(kinds.filter((k) => k === 'oee').length, 8, 'every OEE message kept');
    assert.equal(kinds.filter((k) => k === 'downtime').length, 8);
    assert.equal(kinds.filter((k) => k === 'job').length, 8);
    const telemetry = rows.filter((r) => r.kind === 'telemetry');
    const keptIdx = telemetry.map((r) => (JSON.parse(r.body) as { i: number }).i);
    assert.equal(Math.min(...keptIdx), 400 - telemetry.length, 'the newest telemetry is what is left');
    const reports = rows.filter((r) => r.schema === DROP_REPORT_SCHEMA).map((r) => ({ machine: r.machine, ...(JSON.parse(r.body) as { count: number; reason: string; byKind: Record<string, number> }) }));
    assert.deepEqual(reports.map((r) => r.machine).sort(), ['m1', 'm2']);
    assert.equal(reports.reduce((n, r) => n + r.count, 0), st.dropped);
    assert.ok(reports.every((r) => r.reason === 'maxBytes' && Object.keys(r.byKind).join() === 'telemetry'));
    assert.ok(cap.find((l) => l.code === 'LS_OUTBOX_DROPPED'));
    ob.close();
  });

  it('drops messages older than maxAge and reports them', () => {
    let now = 1_700_000_000_000;
    const { ob } = outbox(tempDir(), { maxAge: 60_000, now: () => now });
    ob.append([ev(0, 'oee'), ev(1)]);
    ob.flush();
    now += 120_000;
    ob.append([{ ...ev(2), ts: now }]);
    ob.tick();
    ob.flush();
    const rows = lease(ob, 10);
    assert.deepEqual(rows.map((r) => r.kind), ['telemetry', 'event']);
    const report = JSON.parse(rows[1]!.body) as { reason: string; count: number; firstSeq: number; lastSeq: number };
    assert.deepEqual([report.reason, report.count, report.firstSeq, report.lastSeq], ['maxAge', 2, 1, 2]);
    ob.close();
  });

  it('commits a drop report with the drop: a crash right after a sweep never leaves an unexplained seq gap', () => {
    for (const reason of ['maxBytes', 'maxAge'] as const) {
      const dir = tempDir();
      let now = 1_700_000_000_000;
      // The first instance is abandoned without close(), as a kill -9 right after the sweep would.
      const { ob: crashed } = outbox(dir, { maxBytes: reason === 'maxBytes' ? 100_000 : 1 << 30, maxAge: 60_000, now: () => now });
      crashed.append(Array.from({ length: 200 }, (_, i) => ({ ...ev(i, 'telemetry', 'm1', 1000), ts: now })));
      crashed.flush();
      if (reason === 'maxAge') {
        now += 120_000;
        crashed.tick();
      }
      assert.ok(crashed.stats().dropped > 0, `${reason}: something was dropped`);
      const { ob } = outbox(dir, { now: () => now });
      const rows = lease(ob, 10_000);
      const reports = rows.filter((r) => r.schema === DROP_REPORT_SCHEMA).map((r) => JSON.parse(r.body) as { reason: string; count: number; firstSeq: number; lastSeq: number });
      assert.equal(reports.length, 1, `${reason}: the drop report is durable with the drop`);
      assert.equal(reports[0]!.reason, reason);
      // Every seq below the report is either still there or covered by the report.
      const kept = new Set(rows.map((r) => r.seq));
      for (let seq = 1; seq <= 200; seq++) assert.ok(kept.has(seq) || (seq >= reports[0]!.firstSeq && seq <= reports[0]!.lastSeq), `${reason}: seq ${seq} unexplained`);
      ob.close();
      crashed.close();
    }
  });

  it('survives a corrupt file: moves it aside, starts fresh with a higher seq, logs loudly', () => {
    const dir = tempDir();
    let { ob } = outbox(dir);
    ob.append([ev(1), ev(2)]);
    ob.flush();
    ob.close();
    writeFileSync(join(dir, 'outbox.db'), Buffer.alloc(8192, 0x5a));
    const r = outbox(dir);
    ob = r.ob;
    const err = r.cap.find((l) => l.code === 'LS_OUTBOX_CORRUPT');
    assert.ok(err, 'loud error logged');
    assert.equal(err.level, 50);
    assert.ok(readdirSync(dir).some((f) => f.startsWith('outbox.db.corrupt-')), 'corrupt file kept aside');
    ob.append([ev(3)]);
    ob.flush();
    assert.ok(lease(ob, 1)[0]!.seq > 2);
    ob.close();
  });

  it('survives corruption found while running: moves the file aside, keeps accepting events, seqs continue above', () => {
    const dir = tempDir();
    const { ob, cap } = outbox(dir);
    fillThenCorrupt(ob, dir);
    assert.doesNotThrow(() => {
      for (let n = 0; n < 20 && lease(ob, 500).length; n++);
    });
    assert.ok(cap.find((l) => l.code === 'LS_OUTBOX_CORRUPT'), 'loud error');
    assert.ok(readdirSync(dir).some((f) => f.startsWith('outbox.db.corrupt-')));
    ob.append([ev(1, 'oee')]);
    ob.flush();
    const rows = lease(ob, 10);
    const oee = rows.filter((r) => r.kind === 'oee');
    assert.equal(oee.length, 1);
    assert.ok(oee[0]!.seq > 5000, `seq ${oee[0]!.seq} above every seq used before`);
    // What could still be read of the moved file is reported: those messages never reached anyone.
    const reports = rows.filter((r) => r.schema === DROP_REPORT_SCHEMA).map((r) => JSON.parse(r.body) as { reason: string; count: number; seqs: number[][] });
    assert.ok(reports.every((b) => b.reason === 'fileCorrupt' && b.seqs.every(([a, z]) => a! >= 1 && z! <= 5000)));
    const unreadable = cap.find((l) => Array.isArray(l.unreadableSeqs));
    const reported = reports.reduce((n, b) => n + b.count, 0);
    const lostUnread = unreadable ? (unreadable.unreadableSeqs as number[])[1]! - (unreadable.unreadableSeqs as number[])[0]! + 1 : 0;
    // The garbage hits the table's interior pages, so most or all of it is unreadable: the span is logged.
    assert.ok(reported + lostUnread >= 5000, `reported ${reported} + unreadable span ${lostUnread} cover the 5,000 undelivered rows`);
    ob.close();
  });

  it('when the corrupt file cannot be moved aside, bounds memory and reopens later', () => {
    const dir = tempDir();
    let now = 1_700_000_100_000;
    const { ob, cap } = outbox(dir, { now: () => now });
    fillThenCorrupt(ob, dir);
    // A non-empty directory where the corrupt file would go: the rename fails for real (as on a
    // read-only or failing file system) and the outbox is left without a file.
    const blocked = join(dir, `outbox.db.corrupt-${new Date(now).toISOString().replace(/[:.]/g, '-')}`);
    mkdirSync(blocked);
    writeFileSync(join(blocked, 'x'), 'x');
    for (let n = 0; n < 20 && lease(ob, 500).length; n++);
    assert.ok(cap.find((l) => l.code === 'LS_OUTBOX_UNAVAILABLE'), 'the failed reopen is logged');
    for (let i = 0; i < 21; i++) {
      ob.append(Array.from({ length: 10_000 }, (_, j) => ev(i * 10_000 + j)));
      assert.doesNotThrow(() => ob.tick());
    }
    assert.ok(ob.stats().depth <= 200_000 + 10, `events held in memory stay bounded (${ob.stats().depth})`);
    assert.ok(ob.stats().dropped > 0, 'the excess is dropped and counted');
    now += 10_000;
    ob.append([ev(1, 'oee')]);
    ob.tick();
    const rows = lease(ob, 300_000);
    assert.ok(rows.length >= 200_000, `the outbox has a file again and holds what was kept (${rows.length})`);
    assert.ok(rows[0]!.seq > 5000, 'seqs continue above every seq used before');
    assert.ok(rows.some((r) => r.schema === DROP_REPORT_SCHEMA), 'the memory drop is reported');
    assert.ok(rows.some((r) => r.kind === 'oee'));
    ob.close();
  });

  it('does not throw on SQLITE_FULL: keeps appending in memory, frees room by dropping telemetry, recovers', () => {
    const dir = tempDir();
    const { ob, cap } = outbox(dir, { maxPageCount: 64 });
    for (let i = 0; i < 60; i++) {
      ob.append(Array.from({ length: 20 }, (_, j) => ev(i * 20 + j, j === 0 ? 'oee' : 'telemetry', 'm1', 400)));
      assert.doesNotThrow(() => ob.tick());
    }
    assert.ok(cap.find((l) => l.code === 'LS_OUTBOX_DISK_FULL'), 'disk full logged');
    assert.ok(ob.stats().dropped > 0, 'telemetry dropped to make room');
    const sent = lease(ob, 100_000);
    ack(ob, sent);
    ob.flush();
    ob.flush();
    ob.append([ev(9999, 'oee')]);
    ob.flush();
    const rows = [...sent, ...lease(ob, 100_000)];
    assert.ok(rows.some((r) => r.schema === DROP_REPORT_SCHEMA), 'drop reported');
    assert.equal(rows.filter((r) => r.kind === 'oee').length >= 1, true);
    assert.ok(rows.some((r) => r.body.includes('9999')), 'writes work again once room was made');
    assert.ok(cap.find((l) => l.code === 'LS_OUTBOX_RECOVERED'));
    ob.close();
  });

  it('gives space back: the file shrinks after a large backlog is acked', () => {
    const dir = tempDir();
    const { ob } = outbox(dir);
    for (let i = 0; i < 20; i++) ob.append(Array.from({ length: 500 }, (_, j) => ev(i * 500 + j, 'telemetry', 'm1', 500)));
    ob.flush();
    ob.compact();
    const file = join(dir, 'outbox.db');
    (ob as unknown as { close(): void }).close();
    const big = statSync(file).size;
    const { ob: ob2 } = outbox(dir);
    for (;;) {
      const rows = lease(ob2, 5000);
      if (!rows.length) break;
      ack(ob2, rows);
    }
    ob2.flush();
    while (ob2.compact()); // in bounded steps
    ob2.close();
    const small = statSync(file).size;
    assert.ok(small < big / 4, `file shrank from ${big} to ${small}`);
    assert.ok(existsSync(file));
  });

  it('compacts in bounded steps, so a drained backlog does not stall the agent', () => {
    const dir = tempDir();
    const { ob } = outbox(dir);
    for (let i = 0; i < 10; i++) {
      ob.append(Array.from({ length: 2000 }, (_, j) => ev(i * 2000 + j, 'telemetry', 'm1', 1000)));
      ob.flush();
    }
    for (;;) {
      const rows = lease(ob, 5000);
      if (!rows.length) break;
      ack(ob, rows);
    }
    ob.append([ev(1, 'oee')]); // a live row at the end of the file: vacuum must move pages
    ob.flush();
    const probe = new Database(join(dir, 'outbox.db'), { readonly: true });
    const free = () => probe.pragma('freelist_count', { simple: true }) as number;
    const before = free();
    assert.ok(before > 4000, `a large freelist to give back (${before} pages)`);
    assert.equal(ob.compact(), true, 'one step, and more to do');
    const afterOne = free();
    assert.ok(afterOne < before && afterOne > 256, `one step frees part of it (${before} → ${afterOne})`);
    let steps = 0;
    while (ob.compact() && steps < 100) steps++;
    assert.ok(free() <= 256, `the following steps finish the job (${free()} free after ${steps} more steps)`);
    probe.close();
    assert.equal(lease(ob, 10).length, 1, 'the live row is still there');
    ob.close();
  });

  it('refuses an unserialisable event without losing the others, and repairs an invalid ts', () => {
    const { ob, cap } = outbox(tempDir());
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    ob.append([ev(1), { ...ev(2), body: circular }, { ...ev(3), body: { big: 10n } as unknown as Record<string, unknown> }, { ...ev(4), ts: Number.NaN }]);
    ob.flush();
    const rows = lease(ob, 10);
    assert.deepEqual(rows.map((r) => (JSON.parse(r.body) as { i: number }).i), [1, 4]);
    assert.equal(rows[1]!.ts, 1_700_000_100_000, 'NaN ts replaced by now');
    assert.equal(ob.stats().rejected, 2);
    assert.equal(cap.lines.filter((l) => l.code === 'LS_OUTBOX_BAD_EVENT').length, 2);
    ob.close();
  });

  it('remembers command ids across restarts', () => {
    const dir = tempDir();
    let { ob } = outbox(dir);
    assert.equal(ob.recallCommand('c-1'), undefined);
    ob.rememberCommand('c-1', 'm1', 'job', '{"status":"accepted"}');
    ob.close();
    ({ ob } = outbox(dir));
    assert.equal(ob.recallCommand('c-1'), '{"status":"accepted"}');
    ob.close();
  });
});
