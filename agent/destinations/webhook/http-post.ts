// One webhook delivery attempt over node:http(s): POST, a deadline for the whole exchange, no
// redirects (node's client never follows them), at most a few KB of the answer read. Whatever
// the receiver does — a huge body, a reply that never ends, a bogus header — the attempt ends
// with an Outcome and never throws.
import type http from 'node:http';
import { readFileSync } from 'node:fs';
import { judgeStatus, parseRetryAfter } from './retry-policy.ts';

export type Outcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'retry'; reason: string; status?: number; retryAfterMs?: number }
  | { kind: 'dead-letter'; status: number; code: string; reason: string };

export interface PostTarget {
  url: string;
  timeoutMs: number;
  /** Sockets kept per destination: its concurrency. */
  maxSockets: number;
  tls?: { ca?: string; cert?: string; key?: string; insecure: boolean; servername?: string };
}

// Not ES module imports: those read every export of node:http, whose lazy WebSocket getters then load
// undici and web streams that nothing here uses (see agent/http/server.ts).
const { Agent: HttpAgent, request: httpRequest } = process.getBuiltinModule('node:http');
const { Agent: HttpsAgent, request: httpsRequest } = process.getBuiltinModule('node:https');

const STALE = Symbol('stale keep-alive socket');

/** Of a refusal, this much of the body goes into the dead letter's reason. */
const EXCERPT_BYTES = 4096;
const REASON_CHARS = 300;

export class HttpPoster {
  readonly #t: PostTarget;
  readonly #url: URL;
  #agent: http.Agent | undefined;

  constructor(target: PostTarget) {
    this.#t = target;
    this.#url = new URL(target.url);
  }

  /** Builds the agent on first use: it reads the TLS files, and constructors do no I/O. */
  #agentFor(): http.Agent {
    if (this.#agent) return this.#agent;
    const common = { keepAlive: true, maxSockets: this.#t.maxSockets };
    if (this.#url.protocol !== 'https:') return (this.#agent = new HttpAgent(common));
    const t = this.#t.tls;
    const read = (f: string | undefined) => (f === undefined ? undefined : readFileSync(f));
    return (this.#agent = new HttpsAgent({
      ...common,
      rejectUnauthorized: !t?.insecure,
      ...(t?.ca ? { ca: read(t.ca) } : {}),
      ...(t?.cert ? { cert: read(t.cert), key: read(t.key) } : {}),
      ...(t?.servername ? { servername: t.servername } : {}),
    }));
  }

  /** Close idle keep-alive sockets (stop). */
  close(): void {
    this.#agent?.destroy();
    this.#agent = undefined;
  }

  async post(body: string, headers: Record<string, string>, signal: AbortSignal): Promise<Outcome> {
    const first = await this.#once(body, headers, signal);
    // A kept-alive socket the receiver closed just as we reused it (the keep-alive race node's
    // docs describe): the request never reached it, so one more try on a fresh connection.
    return first === STALE ? (await this.#once(body, headers, signal)) as Outcome : first;
  }

  #once(body: string, headers: Record<string, string>, signal: AbortSignal): Promise<Outcome | typeof STALE> {
    let agent: http.Agent;
    try {
      agent = this.#agentFor();
    } catch (err) {
      // A TLS file that cannot be read is a failing destination, retried (the file may appear).
      return Promise.resolve({ kind: 'retry', reason: `tls files: ${(err as Error).message}` });
    }
    if (signal.aborted) return Promise.resolve({ kind: 'retry', reason: 'aborted' });
    return new Promise<Outcome | typeof STALE>((resolve) => {
      const request = this.#url.protocol === 'https:' ? httpsRequest : httpRequest;
      let req: http.ClientRequest;
      try {
        req = request(this.#url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } });
      } catch (err) {
        resolve({ kind: 'retry', reason: (err as Error).message });
        return;
      }
      let outcome: ((excerpt: string) => Outcome) | undefined;
      const chunks: Buffer[] = [];
      let got = 0;
      let done = false;
      const finish = (o: Outcome | typeof STALE) => {
        if (done) return;
        done = true;
        resolve(o);
      };
      const answered = () => finish(outcome!(Buffer.concat(chunks).toString('utf8')));
      const fail = (reason: string) => (outcome ? answered() : finish({ kind: 'retry', reason }));
      const onAbort = () => {
        fail('aborted');
        req.destroy();
      };
      // The deadline covers the whole exchange, the body too: a body that never ends would
      // otherwise hold one of the destination's few sockets for good.
      const timer = setTimeout(() => {
        // Once the status is in, a slow body does not change the verdict: judge with what arrived.
        fail(`no answer within ${this.#t.timeoutMs} ms`);
        req.destroy();
      }, this.#t.timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      req.on('close', () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        fail('connection closed');
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (!outcome && req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) finish(STALE);
        else fail(err.code ? `${err.code}: ${err.message}` : err.message);
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        outcome = judge(status, res.headers, Date.now());
        res.on('error', answered);
        if (judgeStatus(status) !== 'dead-letter') {
          // The verdict is in; the body is read only to keep the socket for the next request,
          // and only while it is short.
          finish(outcome(''));
          res.on('data', (d: Buffer) => {
            got += d.length;
            if (got > EXCERPT_BYTES) res.destroy();
          });
          return;
        }
        res.on('data', (d: Buffer) => {
          if (got < EXCERPT_BYTES) chunks.push(d.subarray(0, EXCERPT_BYTES - got));
          got += d.length;
          if (got >= EXCERPT_BYTES) {
            answered();
            res.destroy();
          }
        });
        res.on('end', answered);
        res.on('close', answered);
      });
      req.end(body);
    });
  }
}

function judge(status: number, headers: http.IncomingHttpHeaders, now: number): (excerpt: string) => Outcome {
  const verdict = judgeStatus(status);
  if (verdict === 'delivered') return () => ({ kind: 'delivered', status });
  if (verdict === 'retry') {
    const retryAfterMs = parseRetryAfter(headers['retry-after'], now);
    return () => ({ kind: 'retry', status, reason: `HTTP ${status}`, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  }
  const location = status >= 300 && status < 400 && typeof headers.location === 'string' ? ` (redirect to ${clean(headers.location, 200)} not followed: configure the final URL)` : '';
  return (excerpt) => {
    const text = clean(excerpt, REASON_CHARS);
    return { kind: 'dead-letter', status, code: `http-${status}`, reason: `HTTP ${status}${location}${text ? `: ${text}` : ''}` };
  };
}

/** One line of printable text for a log field or the dead-letter table. */
function clean(text: string, max: number): string {
  const one = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
}
