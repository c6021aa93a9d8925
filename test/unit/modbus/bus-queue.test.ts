import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BusQueue, CancelledError } from '../../../drivers/modbus/bus-queue.ts';

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('modbus bus queue', () => {
  it('keeps at most `depth` jobs in flight, in FIFO order', async () => {
    const q = new BusQueue({ depth: 2, interFrameDelayMs: 0 });
    const started: number[] = [];
    const gates = [deferred<void>(), deferred<void>(), deferred<void>()];
    const jobs = gates.map((g, i) => q.run(async () => { started.push(i); await g.promise; return i; }));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, [0, 1]);
    gates[1]!.resolve();
    await jobs[1];
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, [0, 1, 2]);
    gates[0]!.resolve();
    gates[2]!.resolve();
    assert.deepEqual(await Promise.all(jobs), [0, 1, 2]);
  });

  it('drops jobs whose owner gave up before their turn, without running them', async () => {
    const q = new BusQueue({ depth: 1, interFrameDelayMs: 0 });
    const gate = deferred<void>();
    const ran: string[] = [];
    const giveUp = new AbortController();
    const first = q.run(async () => { ran.push('a'); await gate.promise; });
    const second = q.run(async () => { ran.push('b'); }, giveUp.signal);
    const other = q.run(async () => { ran.push('c'); });
    giveUp.abort();
    gate.resolve();
    await first;
    await assert.rejects(second, CancelledError);
    await other;
    assert.deepEqual(ran, ['a', 'c']);
  });

  it('leaves the inter-frame quiet time between jobs', async () => {
    const q = new BusQueue({ depth: 1, interFrameDelayMs: 30 });
    const at: number[] = [];
    await Promise.all([q.run(async () => void at.push(performance.now())), q.run(async () => void at.push(performance.now()))]);
    assert.ok(at[1]! - at[0]! >= 29, `gap ${at[1]! - at[0]!} ms`);
  });

  it('clear() fails everything still waiting', async () => {
    const q = new BusQueue({ depth: 1, interFrameDelayMs: 0 });
    const gate = deferred<void>();
    const first = q.run(() => gate.promise);
    const waiting = q.run(async () => 1);
    q.clear(new Error('link down'));
    await assert.rejects(waiting, /link down/);
    gate.resolve();
    await first;
    await new Promise((r) => setImmediate(r));
    assert.equal(q.pending, 0);
  });
});
