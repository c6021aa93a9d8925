// What the HTTP server does with requests that are malformed, oversized, slow or odd: every one
// is answered with the API's JSON error (or closed), and the server serves on afterwards.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { Registry } from 'prom-client';
import { Readiness } from '../../../agent/http/health.ts';
import { HttpServer } from '../../../agent/http/server.ts';
import { exchange, type Exchange } from './raw-http.ts';

const errorCode = (x: Exchange) => (JSON.parse(Buffer.from(x.body, 'latin1').toString('utf8')) as { error: { code: string } }).error.code;

describe('HTTP server against hostile requests', () => {
  let server: HttpServer;
  before(async () => {
    server = new HttpServer({
      host: '127.0.0.1',
      port: 0,
      readiness: new Readiness(),
      registry: new Registry(),
      log: pino({ level: 'silent' }),
      // Short enough to watch a slow client being cut off within the test.
      limits: { headersTimeoutMs: 400, requestTimeoutMs: 800 },
    });
    await server.start();
  });
  after(() => server.stop());

  const healthy = async () => {
    const r = await exchange(server.port, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    assert.equal(r.status, 200, r.raw);
  };

  it('answers an unparseable request target with 400 LS_HTTP_BAD_REQUEST (these once ended the process)', async () => {
    for (const target of ['//[', 'http://[', 'http://:99999/x', '*', 'healthz', '//[/healthz', '/%zz', '/api/v1/%E0%A4%A', '/healthz#x', '/a{b}', '/a\\b']) {
      const r = await exchange(server.port, `GET ${target} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
      assert.equal(r.status, 400, `${target}: ${r.raw}`);
      assert.equal(errorCode(r), 'LS_HTTP_BAD_REQUEST', target);
      assert.match(r.headers['content-type'] ?? '', /^application\/json/, target);
    }
    // `//:99999` is a valid path (empty segment, then `:99999`): no such route.
    assert.equal((await exchange(server.port, 'GET //:99999 HTTP/1.1\r\nHost: localhost\r\n\r\n')).status, 404);
    await healthy();
  });

  it('reads `//healthz` and absolute-form targets as paths, not hosts', async () => {
    assert.equal((await exchange(server.port, 'GET //healthz HTTP/1.1\r\nHost: localhost\r\n\r\n')).status, 200);
    assert.equal((await exchange(server.port, 'GET http://elsewhere.example:1/healthz HTTP/1.1\r\nHost: localhost\r\n\r\n')).status, 200);
  });

  it('answers 405 with an Allow header listing the route\'s methods', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND']) {
      const r = await exchange(server.port, `${method} /readyz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n`);
      assert.equal(r.status, 405, `${method}: ${r.raw}`);
      assert.equal(r.headers.allow, 'GET, HEAD', method);
      assert.equal(errorCode(r), 'LS_HTTP_METHOD_NOT_ALLOWED');
    }
    const connect = await exchange(server.port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    assert.equal(connect.status, 405, connect.raw);
    assert.equal(connect.headers.allow, 'GET, HEAD');
  });

  it('answers what is not HTTP/1.1 with a JSON 400 and closes the connection', async () => {
    for (const bytes of [
      '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', // a TLS ClientHello
      'BREW /healthz HTCPCP/1.0\r\n\r\n',
      'GET /healthz HTTP/1.1\r\nHost: localhost\r\nBad Header: x\r\n\r\n',
      'GET /healthz HTTP/1.1\r\nHost: localhost\r\nX: a\x00b\r\n\r\n',
      'GET /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
      'GET /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: -1\r\n\r\n',
      'GET /healthz HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc',
      'GET /healthz HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'GET /healthz HTTP/1.1\r\n', // ends before the head does
    ]) {
      const r = await exchange(server.port, bytes);
      assert.equal(r.status, 400, `${JSON.stringify(bytes)}: ${r.raw}`);
      assert.equal(errorCode(r), 'LS_HTTP_BAD_REQUEST');
      assert.equal(r.headers.connection, 'close');
    }
    await healthy();
  });

  it('answers an HTTP/1.1 request without Host with a JSON 400 (Node\'s own answer has no body)', async () => {
    for (const target of ['/healthz', '//[', 'http://[', '//:99999']) {
      const r = await exchange(server.port, `GET ${target} HTTP/1.1\r\n\r\n`);
      assert.equal(r.status, 400, target);
      assert.equal(errorCode(r), 'LS_HTTP_BAD_REQUEST');
    }
    assert.equal((await exchange(server.port, 'GET /healthz HTTP/1.0\r\n\r\n')).status, 200, 'HTTP/1.0 has no Host to require');
  });

  it('answers an oversized request head with 431', async () => {
    const r = await exchange(server.port, `GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.equal(r.status, 431, r.raw.slice(0, 200));
    assert.equal(errorCode(r), 'LS_HTTP_HEADERS_TOO_LARGE');
  });

  it('cuts off a client whose request head never completes, and one that sends nothing, with 408', async () => {
    const started = Date.now();
    const slow = await exchange(server.port, ['GET /healthz HTTP/1.1\r\n', 'Host: localhost\r\n'], { end: false, timeoutMs: 5000 });
    assert.equal(slow.status, 408, slow.raw);
    assert.equal(errorCode(slow), 'LS_HTTP_REQUEST_TIMEOUT');
    const silent = await exchange(server.port, [], { end: false, timeoutMs: 5000 });
    assert.notEqual(silent.outcome, 'hung');
    assert.ok(Date.now() - started < 4000, 'both within the configured bounds, not Node\'s defaults');
  });

  it('replies to a request with a body it will not read, then closes instead of draining it', async () => {
    const r = await exchange(server.port, ['GET /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000000\r\n\r\n', 'x'.repeat(1000)], { end: false });
    assert.equal(r.status, 200, r.raw);
    assert.equal(r.headers.connection, 'close');
    assert.equal(r.outcome, 'answered');
    await healthy();
  });

  it('answers pipelined requests in order on one connection', async () => {
    const r = await exchange(server.port, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\nHEAD /healthz HTTP/1.1\r\nHost: localhost\r\n\r\nGET //[ HTTP/1.1\r\nHost: localhost\r\n\r\nGET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    assert.deepEqual([...r.raw.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => m[1]), ['200', '200', '400', '200']);
  });

  it('stops without waiting for a client that never finishes its request', async () => {
    const other = new HttpServer({ host: '127.0.0.1', port: 0, readiness: new Readiness(), registry: new Registry(), log: pino({ level: 'silent' }) });
    await other.start();
    const slow = exchange(other.port, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n', { end: false, timeoutMs: 20_000 });
    // The server has the connection once it answers another one.
    assert.equal((await exchange(other.port, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n')).status, 200);
    const started = Date.now();
    await other.stop();
    assert.ok(Date.now() - started < 5000, `stopped in ${Date.now() - started} ms, not after the 10 s head timeout`);
    assert.notEqual((await slow).outcome, 'hung');
  });
});
