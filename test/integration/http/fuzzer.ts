// Malformed HTTP/1.1 requests from a seeded generator (fast-check), sent over raw sockets, and a
// tally of what the server did with each. Shared by test/integration/http/fuzz.test.ts and
// bench/http-fuzz.ts. The same seed gives the same requests, so a failure can be replayed.
import fc from 'fast-check';
import { exchange, type Exchange } from './raw-http.ts';

export interface FuzzCase {
  kind: string;
  pieces: Buffer[];
  /** Pause between pieces (ms): a slow client. */
  paceMs?: number;
  /** Reset the connection after writing. */
  abort?: boolean;
}

/** Requests that once ended the process or that target one defence in particular. */
export function curatedCases(): FuzzCase[] {
  const req = (kind: string, text: string): FuzzCase => ({ kind, pieces: [Buffer.from(text, 'latin1')] });
  const get = (target: string, headers = 'Host: localhost\r\n') => `GET ${target} HTTP/1.1\r\n${headers}\r\n`;
  return [
    ...['//[', 'http://[', '//:99999', 'http://:99999/', '%zz', '/%zz', '/api/v1/machines/%zz', '/api/v1/machines/%E0%A4%A', '*', '//[/healthz', 'http://[::1', '/healthz#frag', '/a b']
      .map((t) => req('bad-target', get(t))),
    req('long-path', get(`/${'a'.repeat(20_000)}`)),
    req('long-path', get(`/api/v1/machines/${'x'.repeat(8_000)}`)),
    req('long-query', get(`/api/v1/oee?machine=${'y'.repeat(15_000)}`)),
    req('bad-query', get('/api/v1/oee?machine=%zz&limit=-1&cursor=%%%')),
    req('bad-query', get('/api/v1/downtime?machine=press-1&limit=1e9')),
    req('bad-query', get('/api/v1/machines?cursor=bm90IGEgY3Vyc29y')),
    req('header-name', get('/healthz', 'Host: localhost\r\nBad Header: 1\r\n')),
    req('header-name', get('/healthz', 'Host: localhost\r\n: empty\r\n')),
    req('header-value', get('/healthz', 'Host: localhost\r\nX: a\x00b\r\n')),
    req('header-value', get('/healthz', 'Host: localhost\r\nX: a\rb\r\n')),
    req('many-headers', get('/healthz', `Host: localhost\r\n${'X-A: 1\r\n'.repeat(3000)}`)),
    req('content-length', `${get('/healthz', 'Host: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n')}ab`),
    req('content-length', get('/healthz', 'Host: localhost\r\nContent-Length: -1\r\n')),
    req('content-length', get('/healthz', 'Host: localhost\r\nContent-Length: 18446744073709551617\r\n')),
    req('content-length', get('/healthz', 'Host: localhost\r\nContent-Length: 1, 1\r\n')),
    req('content-length', `POST /api/v1/machines HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000000\r\n\r\n${'z'.repeat(4096)}`),
    req('transfer-encoding', `${get('/healthz', 'Host: localhost\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n')}abc`),
    req('transfer-encoding', get('/healthz', 'Host: localhost\r\nTransfer-Encoding: garbage\r\n')),
    req('transfer-encoding', get('/healthz', 'Host: localhost\r\nTransfer-Encoding: chunked, gzip\r\n')),
    req('transfer-encoding', `${get('/healthz', 'Host: localhost\r\nTransfer-Encoding: chunked\r\n')}zz\r\n`),
    req('transfer-encoding', `${get('/healthz', 'Host: localhost\r\nTransfer-Encoding: chunked\r\n')}FFFFFFFFFFFFFFFFFF\r\n`),
    req('transfer-encoding', `${get('/healthz', 'Host: localhost\r\nTransfer-Encoding: chunked\r\n')}5;${'e'.repeat(20_000)}\r\nhello\r\n0\r\n\r\n`),
    ...['FOO', 'BREW', 'get', 'G ET', 'PRI', 'TRACE', 'PROPFIND', 'M-SEARCH', 'SOURCE', 'QUERY'].map((m) => req('method', `${m} /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n`)),
    req('method', 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n'),
    req('method', 'OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n'),
    req('version', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
    req('version', 'GET /healthz\r\n\r\n'),
    req('version', 'GET /healthz HTTP/9.9\r\nHost: localhost\r\n\r\n'),
    req('version', 'GET /healthz HTTP/1.1\nHost: x\n\n'),
    req('expect', get('/healthz', 'Host: localhost\r\nExpect: 100-continue\r\n')),
    req('expect', get('/healthz', 'Host: localhost\r\nExpect: teapot\r\n')),
    req('upgrade', get('/healthz', 'Host: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n')),
    req('upgrade', get('/healthz', 'Host: localhost\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n')),
    req('no-host', get('//[', '')),
    req('tls', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03'),
    { kind: 'slow', pieces: [...'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n'].map((c) => Buffer.from(c)), paceMs: 2 },
    { kind: 'slow', pieces: [...'GET //[ HTTP/1.1\r\nHost: localhost\r\n\r\n'].map((c) => Buffer.from(c)), paceMs: 2 },
    { kind: 'abort', pieces: [Buffer.from('GET /api/v1/machines HTTP/1.1\r\nHost: localhost\r\n')], abort: true },
    { kind: 'abort', pieces: [Buffer.from('GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n')], abort: true },
  ];
}

const ROUTES = ['/healthz', '/readyz', '/metrics', '/api/v1/machines', '/api/v1/machines/press-1', '/api/v1/oee?machine=press-1', '/api/v1/downtime?machine=press-1&limit=5'];

const method = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'PROPFIND', 'PURGE', 'LINK') },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z-]{1,12}$/) },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);
const target = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...ROUTES, '//[', 'http://[', '//:99999', '/%zz', '*', '', '/api/v1/machines/%00', '/api/v1/oee?machine=press-1&cursor=WzEsIngiXQ') },
  { weight: 3, arbitrary: fc.webPath() },
  { weight: 1, arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true }) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...ROUTES), fc.string({ unit: 'binary', maxLength: 24 })).map(([r, s]) => `${r}${s}`) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 48 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 40_000 }).map((n) => `/${'p'.repeat(n)}`) },
);
const version = fc.constantFrom('HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'http/1.1', 'HTTP/1.', 'HTTP/1.1 x', '');
const eol = fc.constantFrom('\r\n', '\r\n', '\r\n', '\r\n', '\r\n', '\n', '\r', '\n\r');
const headerName = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('Host', 'Content-Length', 'Transfer-Encoding', 'Connection', 'Authorization', 'Expect', 'Upgrade', 'Range', 'Cookie') },
  { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z0-9-]{1,16}$/) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 16 }) },
);
const headerValue = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('chunked', 'gzip, chunked', 'chunked, chunked', 'identity', 'garbage', '-1', '0', '1, 2', '99999999999999999999', 'close', 'keep-alive', 'Upgrade', 'websocket', '100-continue', 'bytes=0-', 'Bearer x', '') },
  { weight: 3, arbitrary: fc.nat().map(String) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 30_000 }).map((n) => 'v'.repeat(n)) },
);
const body = fc.oneof(
  { weight: 3, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 20 })).map(([size, data]) => `${size}\r\n${data}\r\n0\r\n\r\n`) },
);

const request = fc
  .record({ method, target, version, eol, host: fc.boolean(), headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 5 }), body })
  .map((r) => {
    const head = [`${r.method} ${r.target} ${r.version}`, ...(r.host ? ['Host: x'] : []), ...r.headers.map(([n, v]) => `${n}: ${v}`)];
    return Buffer.from(`${head.join(r.eol)}${r.eol}${r.eol}${r.body}`, 'utf8');
  });

/** How a generated request is delivered: at once, in slow pieces, or given up on. */
const delivered = fc.tuple(request, fc.constantFrom('whole', 'whole', 'whole', 'whole', 'whole', 'whole', 'slow', 'abort'), fc.integer({ min: 1, max: 6 })).map(([bytes, how, n]): FuzzCase => {
  if (how === 'whole') return { kind: 'generated', pieces: [bytes] };
  const cut = Array.from({ length: n }, (_, i) => Math.floor((bytes.length * (i + 1)) / (n + 1)));
  const pieces = [0, ...cut].map((from, i) => bytes.subarray(from, cut[i] ?? bytes.length));
  return how === 'slow' ? { kind: 'generated-slow', pieces, paceMs: 3 } : { kind: 'generated-abort', pieces: pieces.slice(0, 1 + (n % pieces.length)), abort: true };
});

const noise = fc.uint8Array({ minLength: 1, maxLength: 2048 }).map((b): FuzzCase => ({ kind: 'random-bytes', pieces: [Buffer.from(b)] }));

/** `n` cases: the curated ones, then generated requests and random bytes (9 : 1), from `seed`. */
export function fuzzCases(n: number, seed: number): FuzzCase[] {
  const curated = curatedCases();
  const rest = Math.max(0, n - curated.length);
  const noiseCount = Math.floor(rest / 10);
  return [...curated, ...fc.sample(delivered, { seed, numRuns: rest - noiseCount }), ...fc.sample(noise, { seed: seed + 1, numRuns: noiseCount })];
}

export interface FuzzFinding {
  kind: string;
  request: string;
  problem: string;
  response: string;
}

export interface FuzzReport {
  sent: number;
  answered: number;
  closed: number;
  hung: number;
  aborted: number;
  statuses: Record<string, number>;
  findings: FuzzFinding[];
  ms: number;
}

const shown = (b: Buffer) => JSON.stringify(b.subarray(0, 160).toString('latin1'));

/** What a server may not do with a request: hang, fail with 5xx, or answer an error without the API's JSON body. */
function judge(c: FuzzCase, x: Exchange): string | undefined {
  if (x.outcome === 'hung') return 'neither answered nor closed';
  if (x.status === undefined) return undefined;
  if (x.status >= 500) return `status ${x.status}`;
  const isHead = Buffer.concat(c.pieces).subarray(0, 5).toString('latin1') === 'HEAD ';
  if (x.status >= 400 && !isHead && !/^\{"error":\{"code":"LS_HTTP_[A-Z_]+","message":/.test(x.body)) return `error ${x.status} without the API's JSON error body`;
  return undefined;
}

/** Sends every case (`concurrency` connections at a time) and tallies the outcomes. */
export async function fuzz(port: number, cases: FuzzCase[], o: { concurrency?: number; timeoutMs?: number; host?: string } = {}): Promise<FuzzReport> {
  const report: FuzzReport = { sent: 0, answered: 0, closed: 0, hung: 0, aborted: 0, statuses: {}, findings: [], ms: 0 };
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++]!;
      const x = await exchange(port, c.pieces, { ...(c.paceMs ? { paceMs: c.paceMs } : {}), abort: c.abort ?? false, timeoutMs: o.timeoutMs ?? 5000, ...(o.host ? { host: o.host } : {}) });
      report.sent++;
      if (c.abort) report.aborted++;
      else report[x.outcome]++;
      if (x.status !== undefined) report.statuses[x.status] = (report.statuses[x.status] ?? 0) + 1;
      const problem = c.abort ? undefined : judge(c, x);
      if (problem) report.findings.push({ kind: c.kind, request: shown(Buffer.concat(c.pieces)), problem, response: JSON.stringify(x.raw.slice(0, 200)) });
    }
  };
  await Promise.all(Array.from({ length: o.concurrency ?? 16 }, worker));
  report.ms = Math.round(performance.now() - started);
  return report;
}
