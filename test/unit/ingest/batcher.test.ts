import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { Batcher, type Pending } from '../../../ingest/batcher.ts';
import type { Item, Store, WriteResult } from '../../../ingest/store.ts';

const log = pino({ level: 'silent' });
const stats = { onBatch: () => {}, onDbState: () => {} };

function item(name: string, acks: string[]): Pending {
  return { topic: name, payload: Buffer.from(name), decoded: { type: 'ignored', why: 'test' }, ack: () => acks.push(name) };
}

class FakeStore implements Store {
  committed: string[] = [];
  quarantined: Array<[string, string]> = [];
  failures: Array<(items: readonly Item[]) => Error | undefined> = [];
  async write(items: readonly Item[]): Promise<WriteResult> {
    await new Promise((r) => setImmediate(r));
    for (const f of this.failures) {
      const err = f(items);
      if (err) throw err;
    }
    this.committed.push(...items.map((i) => i.topic));
    return { inserted: items.length, duplicates: 0, quarantined: 0, ignored: 0 };
  }
  async quarantine(items: readonly Item[], reason: string): Promise<void> {
    for (const i of items) this.quarantined.push([i.topic, reason]);
  }
}

const dbError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('ingest batcher', () => {
  it('a stop that may not wait longer: drain(signal) returns when the signal aborts, with nothing acknowledged', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const store = new FakeStore();
    store.write = async (items) => (await held, store.committed.push(...items.map((i) => i.topic)), { inserted: items.length, duplicates: 0, quarantined: 0, ignored: 0 });
    const acks: string[] = [];
    const b = new Batcher({ maxRows: 10, maxDelayMs: 0, concurrency: 1 }, store, log, stats);
    b.push(item('a', acks));
    const ac = new AbortController();
    const drained = b.drain(ac.signal);
    ac.abort();
    await drained;
    assert.deepEqual(acks, [], 'the write is still in flight: nothing acknowledged');
    release();
    await b.drain();
    assert.deepEqual(acks, ['a'], 'the write completes later and is acknowledged then');
  });

  it('acknowledges a message only after its batch committed, and batches by size', async () => {
    const store = new FakeStore();
    const acks: string[] = [];
    const b = new Batcher({ maxRows: 3, maxDelayMs: 10_000, concurrency: 1 }, store, log, stats);
    for (const n of ['a', 'b']) b.push(item(n, acks));
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(acks, [], 'nothing acknowledged before a commit');
    b.push(item('c', acks));
    await b.drain();
    assert.deepEqual(store.committed, ['a', 'b', 'c']);
    assert.deepEqual(acks, ['a', 'b', 'c']);
  });

  it('abandon() cuts short the back-off between retries: a stop does not wait for it', async () => {
    const store = new FakeStore();
    store.failures.push(() => dbError('57P01', 'terminating connection'));
    let failures = 0;
    let third!: () => void;
    const thirdFailure = new Promise<void>((r) => (third = r));
    const b = new Batcher({ maxRows: 10, maxDelayMs: 1, concurrency: 1 }, store, log, { onBatch: () => {}, onDbState: (up) => up || ++failures !== 3 || third() });
    const acks: string[] = [];
    b.push(item('a', acks));
    await thirdFailure; // the back-off is now 400 ms
    const t0 = performance.now();
    b.abandon();
    await b.drain();
    assert.ok(performance.now() - t0 < 300, `drained ${Math.round(performance.now() - t0)} ms after abandon()`);
    assert.deepEqual(acks, [], 'nothing acknowledged');
  });

  it('retries a batch while the database is down, acknowledging nothing until it commits', async () => {
    const store = new FakeStore();
    let down = 2;
    store.failures.push(() => (down-- > 0 ? dbError('57P01', 'terminating connection') : undefined));
    const acks: string[] = [];
    let failed!: () => void;
    const firstFailure = new Promise<void>((r) => (failed = r));
    const b = new Batcher({ maxRows: 10, maxDelayMs: 1, concurrency: 1 }, store, log, { onBatch: () => {}, onDbState: (up) => up || failed() });
    b.push(item('a', acks));
    b.push(item('b', acks));
    await firstFailure;
    assert.equal(b.dbUp, false);
    assert.deepEqual(acks, []);
    await b.drain();
    assert.equal(b.dbUp, true);
    assert.deepEqual(acks, ['a', 'b']);
    assert.deepEqual(store.committed, ['a', 'b']);
  });

  it('a message the database refuses is found by splitting the batch and quarantined; the rest commits', async () => {
    const store = new FakeStore();
    store.failures.push((items) => (items.some((i) => i.topic === 'poison') ? dbError('22003', 'value out of range') : undefined));
    const acks: string[] = [];
    const b = new Batcher({ maxRows: 8, maxDelayMs: 1, concurrency: 1 }, store, log, stats);
    for (const n of ['a', 'b', 'c', 'poison', 'd', 'e', 'f', 'g']) b.push(item(n, acks));
    await b.drain();
    assert.deepEqual(store.committed.sort(), ['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    assert.deepEqual(store.quarantined, [['poison', 'database refused it: value out of range']]);
    assert.deepEqual([...acks].sort(), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'poison']);
  });
});
