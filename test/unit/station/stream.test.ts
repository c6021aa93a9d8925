import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import type { Tile } from '../../../agent/station/schema.ts';
import { TileStream } from '../../../agent/station/stream.ts';

/** A response that records what was written; `writableLength` is set by the test (a slow socket). */
class FakeRes extends EventEmitter {
  chunks: string[] = [];
  writableLength = 0;
  ended = false;
  writeHead(): this {
    return this;
  }
  write(s: string): boolean {
    this.chunks.push(s);
    return true;
  }
  end(last?: string): void {
    if (last) this.chunks.push(last);
    this.ended = true;
    this.emit('close');
  }
  events(): Array<{ event: string; ids: string[] }> {
    return this.chunks.filter((c) => c.startsWith('event:') && !c.startsWith('event: end')).map((c) => {
      const [e, d] = c.split('\n');
      return { event: e!.slice(7), ids: (JSON.parse(d!.slice(6)) as { machines: Tile[] }).machines.map((t) => t.id) };
    });
  }
}

const tile = (id: string, good: number): Tile => ({ id, link: 'connected', state: null, stop: null, job: null, counts: { good, reject: 0, total: good }, oee: null });

describe('the live tile stream', () => {
  it('starts with every tile, then sends only the ones that changed; a slow client gets a resync once drained', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const tiles = [tile('a', 0), tile('b', 0)];
    const s = new TileStream({ tiles: () => tiles.map((x) => ({ ...x })), intervalMs: 100, maxBufferedBytes: 1000 });
    const fast = new FakeRes();
    const slow = new FakeRes();
    s.add(fast as unknown as ServerResponse, 's1');
    s.add(slow as unknown as ServerResponse, 's2');
    assert.deepEqual(fast.events(), [{ event: 'resync', ids: ['a', 'b'] }]);
    t.mock.timers.tick(100);
    assert.equal(fast.events().length, 1, 'nothing changed, nothing sent');
    tiles[1] = tile('b', 1);
    t.mock.timers.tick(100);
    assert.deepEqual(fast.events()[1], { event: 'tiles', ids: ['b'] });

    slow.writableLength = 5000; // the socket stopped draining
    tiles[0] = tile('a', 1);
    t.mock.timers.tick(100);
    tiles[0] = tile('a', 2);
    t.mock.timers.tick(100);
    assert.equal(slow.events().length, 2, 'nothing queued for a client that does not read');
    assert.equal(s.dropped, 1);
    assert.equal(fast.events().length, 4);
    slow.writableLength = 0;
    slow.emit('drain');
    assert.deepEqual(slow.events().at(-1), { event: 'resync', ids: ['a', 'b'] });

    s.endSession('s1');
    assert.equal(fast.ended, true);
    assert.equal(slow.ended, false);
    assert.equal(s.clients, 1);
    s.close();
    assert.equal(slow.ended, true);
  });

  it('sends nothing while the tiles cannot be computed, and every tile once they can', (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    let tiles: Tile[] | undefined;
    const s = new TileStream({ tiles: () => tiles, intervalMs: 100 });
    const res = new FakeRes();
    s.add(res as unknown as ServerResponse, undefined);
    t.mock.timers.tick(300);
    assert.deepEqual(res.events(), []);
    tiles = [tile('a', 1), tile('b', 2)];
    t.mock.timers.tick(100);
    assert.deepEqual(res.events(), [{ event: 'tiles', ids: ['a', 'b'] }]);
    s.close();
  });

  it('ends the streams of a session that expired', (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const alive = new Set(['s1', 's2']);
    const s = new TileStream({ tiles: () => [tile('a', 0)], intervalMs: 100, sessionAlive: (id) => alive.has(id) });
    const [r1, r2, token] = [new FakeRes(), new FakeRes(), new FakeRes()];
    s.add(r1 as unknown as ServerResponse, 's1');
    s.add(r2 as unknown as ServerResponse, 's2');
    s.add(token as unknown as ServerResponse, undefined);
    alive.delete('s1');
    t.mock.timers.tick(100);
    assert.deepEqual([r1.ended, r2.ended, token.ended], [true, false, false]);
    assert.equal(r1.chunks.at(-1), 'event: end\ndata: {}\n\n', 'the page is told not to reconnect');
    s.close();
  });

  it('refuses clients past its cap', () => {
    const s = new TileStream({ tiles: () => [], maxClients: 1 });
    s.add(new FakeRes() as unknown as ServerResponse, undefined);
    assert.equal(s.full, true);
    s.close();
  });
});
