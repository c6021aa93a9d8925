// A real webhook receiver for tests and benchmarks: node:https (or http) on 127.0.0.1 that checks
// every request with the `standardwebhooks` library — the reference implementation a CMMS or ERP
// would use — records what arrived, and answers as the test says (a status, Retry-After, a huge
// body, nothing at all). It can go down (refusing connections) and come back on the same port.
import { execFileSync } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';

export interface Delivery {
  seq: number;
  msgId: string;
  replay: boolean;
  machine: string;
  schema: string;
  ts: string;
  sentAt: string;
  data: Record<string, unknown>;
  /** When it arrived (ms). */
  at: number;
  headers: http.IncomingHttpHeaders;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** false: send the head and the body, then never end the response. */
  end?: boolean;
}

/** What the receiver does with a verified request: answer (default 204), or never answer. */
export type Policy = (d: Delivery) => Answer | 'hang';

export interface Attempt {
  at: number;
  status: number | 'hang' | 'unverifiable';
  msgId: string | undefined;
}

/** A CA and a certificate for 127.0.0.1 signed by it, made with openssl. */
export function makeReceiverPki(dir: string): { ca: string; cert: string; key: string } {
  const f = (n: string) => join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=lineside-test-receiver-ca', '-keyout', f('rca.key'), '-out', f('rca.pem'));
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', f('receiver.key'), '-out', f('receiver.csr'));
  writeFileSync(f('receiver.ext'), 'subjectAltName=IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', f('receiver.csr'), '-CA', f('rca.pem'), '-CAkey', f('rca.key'), '-CAcreateserial', '-days', '2', '-out', f('receiver.pem'), '-extfile', f('receiver.ext'));
  return { ca: f('rca.pem'), cert: f('receiver.pem'), key: f('receiver.key') };
}

/** A self-signed certificate for 127.0.0.1 (its own CA), made with openssl. */
export function makeSelfSigned(dir: string): { cert: string; key: string } {
  const f = (n: string) => join(dir, n);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', f('self.key'), '-out', f('self.pem')], { stdio: 'pipe' });
  return { cert: f('self.pem'), key: f('self.key') };
}

export class Receiver extends EventEmitter {
  /** Verified requests the receiver answered 2xx: the deliveries. */
  readonly deliveries: Delivery[] = [];
  /** Every request, with how it was answered. */
  readonly attempts: Attempt[] = [];
  /** Requests whose signature did not verify (each with the library's error). */
  readonly unverifiable: string[] = [];
  policy: Policy = () => ({ status: 204 });
  port = 0;
  readonly #server: http.Server;
  readonly #verifiers: Webhook[];
  readonly #hanging = new Set<http.ServerResponse>();

  /** `secrets`: whsec_ secrets, any of which must verify (empty: every request counts as verified). */
  constructor(o: { secrets: string[]; tls?: { cert: Buffer; key: Buffer } }) {
    super();
    this.#verifiers = o.secrets.map((s) => new Webhook(s));
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.#handle(req, res);
    this.#server = o.tls ? https.createServer({ cert: o.tls.cert, key: o.tls.key }, handler) : http.createServer(handler);
  }

  static async start(o: { secrets: string[]; tls?: { cert: Buffer; key: Buffer }; port?: number }): Promise<Receiver> {
    const r = new Receiver(o);
    r.port = o.port ?? 0;
    await r.up();
    return r;
  }

  /** An HTTPS receiver serving the certificate and key in these PEM files. */
  static startHttps(files: { cert: string; key: string }, secrets: string[]): Promise<Receiver> {
    return Receiver.start({ secrets, tls: { cert: readFileSync(files.cert), key: readFileSync(files.key) } });
  }

  get url(): string {
    return `${this.#server instanceof https.Server ? 'https' : 'http'}://127.0.0.1:${this.port}/hooks/lineside`;
  }

  /** Listen (again, on the same port). */
  async up(): Promise<void> {
    this.#server.listen(this.port, '127.0.0.1');
    await once(this.#server, 'listening');
    this.port = (this.#server.address() as { port: number }).port;
  }

  /** Stop listening and cut every connection: the agent sees refused connections. */
  async down(): Promise<void> {
    const closed = once(this.#server, 'close');
    this.#server.close();
    for (const res of this.#hanging) res.destroy();
    this.#hanging.clear();
    this.#server.closeAllConnections();
    await closed;
  }

  /** First arrival of each seq. */
  firstArrivals(): Map<number, Delivery> {
    const m = new Map<number, Delivery>();
    for (const d of this.deliveries) if (!m.has(d.seq)) m.set(d.seq, d);
    return m;
  }

  /** Resolves with the first delivery (past or future) that matches. */
  waitFor(match: (d: Delivery) => boolean, timeoutMs = 20_000, what = 'a matching delivery'): Promise<Delivery> {
    const seen = this.deliveries.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('delivery', onDelivery);
        reject(new Error(`${what} not received in ${timeoutMs} ms (${this.deliveries.length} deliveries, ${this.attempts.length} attempts)`));
      }, timeoutMs);
      const onDelivery = (d: Delivery) => {
        if (!match(d)) return;
        clearTimeout(timer);
        this.off('delivery', onDelivery);
        resolve(d);
      };
      this.on('delivery', onDelivery);
    });
  }

  /** Resolves once every seq in `seqs` has arrived. */
  async waitForSeqs(seqs: Iterable<number>, timeoutMs = 30_000): Promise<void> {
    const want = new Set(seqs);
    for (const d of this.deliveries) want.delete(d.seq);
    if (want.size === 0) return;
    await this.waitFor((d) => want.delete(d.seq) && want.size === 0, timeoutMs, `seqs ${[...want].slice(0, 10).join(', ')}${want.size > 10 ? '…' : ''}`);
  }

  /** Resolves with the next request the receiver answers (or refuses to). */
  nextAttempt(timeoutMs = 20_000): Promise<Attempt> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no request in ${timeoutMs} ms`)), timeoutMs);
      this.once('attempt', (a: Attempt) => {
        clearTimeout(timer);
        resolve(a);
      });
    });
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const at = Date.now();
      const msgId = typeof req.headers['webhook-id'] === 'string' ? req.headers['webhook-id'] : undefined;
      const problem = this.#verify(body, req.headers);
      if (problem) {
        this.unverifiable.push(problem);
        this.#attempt({ at, status: 'unverifiable', msgId });
        res.writeHead(401).end('signature');
        return;
      }
      const env = JSON.parse(body) as Omit<Delivery, 'at' | 'headers'>;
      const d: Delivery = { ...env, at, headers: req.headers };
      const answer = this.policy(d);
      if (answer === 'hang') {
        this.#hanging.add(res);
        res.on('close', () => this.#hanging.delete(res));
        this.#attempt({ at, status: 'hang', msgId });
        return;
      }
      res.writeHead(answer.status, answer.headers);
      if (answer.end === false) {
        if (answer.body !== undefined) res.write(answer.body);
        this.#hanging.add(res);
        res.on('close', () => this.#hanging.delete(res));
      } else res.end(answer.body);
      if (answer.status >= 200 && answer.status < 300) {
        this.deliveries.push(d);
        this.emit('delivery', d);
      }
      this.#attempt({ at, status: answer.status, msgId });
    });
  }

  #attempt(a: Attempt): void {
    this.attempts.push(a);
    this.emit('attempt', a);
  }

  /** Undefined when the request verifies with one of the secrets (and its id matches the body's msgId). */
  #verify(body: string, headers: http.IncomingHttpHeaders): string | undefined {
    if (this.#verifiers.length === 0) return undefined;
    const flat = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
    const errors: string[] = [];
    for (const v of this.#verifiers) {
      try {
        const payload = v.verify(body, flat) as { msgId?: string };
        if (payload.msgId !== flat['webhook-id']) return `webhook-id ${flat['webhook-id']} is not the msgId ${payload.msgId}`;
        return undefined;
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    return errors.join('; ');
  }

  async close(): Promise<void> {
    if (this.#server.listening) await this.down();
  }
}
