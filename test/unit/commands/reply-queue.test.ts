import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReplyQueue } from '../../../agent/commands/reply-queue.ts';
import { captureLog } from '../../helpers/capture-log.ts';

/** A broker whose PUBACKs the test hands out one by one. */
function broker() {
  const waiting: Array<{ topic: string; payload: string; ack: (ok: boolean) => void }> = [];
  const publish = (topic: string, payload: string) => new Promise<boolean>((ack) => waiting.push({ topic, payload, ack }));
  return { waiting, publish };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('command replies', () => {
  it('keep at most `window` awaiting PUBACK and `capacity` droppable ones waiting; the rest are dropped and counted', async () => {
    const b = broker();
    const { log, lines } = captureLog();
    const q = new ReplyQueue({ publish: b.publish, window: 2, capacity: 3, log });
    for (let i = 0; i < 10; i++) q.push('t', `limited-${i}`, true);
    assert.deepEqual(b.waiting.map((w) => w.payload), ['limited-0', 'limited-1'], 'two on the wire');
    assert.deepEqual(q.stats(), { overflow: 5, unsent: 0, queued: 3 });
    // A reply to a command that got through the rate limit is never dropped.
    q.push('t', 'accepted', false);
    assert.equal(q.stats().queued, 4);
    assert.equal(lines.filter((l) => /back up/.test(String(l.msg))).length, 1, 'logged once, not per drop');

    b.waiting.shift()!.ack(true);
    b.waiting.shift()!.ack(false);
    await settle();
    assert.deepEqual(b.waiting.map((w) => w.payload), ['limited-2', 'limited-3']);
    assert.equal(q.stats().unsent, 1);
    while (b.waiting.length) {
      b.waiting.shift()!.ack(true);
      await settle();
    }
    assert.deepEqual(q.stats(), { overflow: 5, unsent: 1, queued: 0 });
    assert.ok(lines.some((l) => /flow again/.test(String(l.msg)) && l.dropped === 5));
  });

  it('stay bounded under a flood however long it lasts', async () => {
    const b = broker();
    const q = new ReplyQueue({ publish: b.publish, window: 4, capacity: 100, log: captureLog().log });
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 1000; i++) q.push('t', 'x', true);
      // The broker acknowledges a few per round: far fewer than arrive.
      for (const w of b.waiting.splice(0, 4)) w.ack(true);
      await settle();
      assert.ok(q.stats().queued <= 100 && b.waiting.length <= 4, `round ${round}: ${q.stats().queued} queued, ${b.waiting.length} in flight`);
    }
    assert.equal(q.stats().overflow, 50_000 - 100 - 4 - 49 * 4);
  });
});
