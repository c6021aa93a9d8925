// One delivery attempt against a raw TCP server that misbehaves exactly when told: a kept-alive
// connection closed just as it is reused is tried once more on a fresh one (the request never
// arrived), while a fresh connection that is reset is an honest failure, left to the back-off.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { HttpPoster } from '../../../agent/destinations/webhook/http-post.ts';

/** Each connection gets a script: per request on it, 'ok' (204, kept alive) or 'reset' (closed unanswered). */
async function rawServer(scripts: Array<Array<'ok' | 'reset'>>) {
  const requests: number[] = [];
  let conn = 0;
  const server = createServer((socket: Socket) => {
    const id = conn++;
    const script = scripts[id] ?? ['ok', 'ok', 'ok'];
    let n = 0;
    let buf = '';
    // The client's end of an aborted request resets the connection: expected here.
    socket.on('error', () => {});
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      // One small request per write in these tests: a head and a short body.
      while (buf.includes('\r\n\r\n')) {
        const head = buf.slice(0, buf.indexOf('\r\n\r\n'));
        const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < head.length + 4 + len) return;
        buf = buf.slice(head.length + 4 + len);
        requests.push(id);
        if (script[n++] === 'reset') return void socket.destroy();
        socket.write('HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n');
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  after(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/h`, requests, connections: () => conn };
}

const headers = { 'content-type': 'application/json' };

describe('HttpPoster', () => {
  it('tries once more on a fresh connection when a kept-alive one was closed as it was reused', async () => {
    const srv = await rawServer([['ok', 'reset'], ['ok']]);
    const poster = new HttpPoster({ url: srv.url, timeoutMs: 2000, maxSockets: 1 });
    after(() => poster.close());
    const signal = new AbortController().signal;
    assert.deepEqual(await poster.post('{"a":1}', headers, signal), { kind: 'delivered', status: 204 });
    assert.deepEqual(await poster.post('{"a":2}', headers, signal), { kind: 'delivered', status: 204 });
    assert.deepEqual(srv.requests, [0, 0, 1], 'the second request went again, on connection 1');
  });

  it('reports a reset of a fresh connection as a failure, without trying again itself', async () => {
    const srv = await rawServer([['reset'], ['ok']]);
    const poster = new HttpPoster({ url: srv.url, timeoutMs: 2000, maxSockets: 1 });
    after(() => poster.close());
    const o = await poster.post('{"a":1}', headers, new AbortController().signal);
    assert.equal(o.kind, 'retry');
    assert.match((o as { reason: string }).reason, /ECONNRESET/);
    assert.equal(srv.connections(), 1);
  });

  it('ends an attempt at once when stopped', async () => {
    const srv = await rawServer([[]]);
    // The script has no answer for the request: it waits until aborted.
    const poster = new HttpPoster({ url: srv.url, timeoutMs: 60_000, maxSockets: 1 });
    after(() => poster.close());
    const ac = new AbortController();
    const pending = poster.post('{}', headers, ac.signal);
    while (srv.requests.length === 0) await new Promise((r) => setImmediate(r));
    ac.abort();
    assert.deepEqual(await pending, { kind: 'retry', reason: 'aborted' });
  });
});
