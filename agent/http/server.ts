// The local HTTP API as a runtime component: liveness, readiness, metrics and the read API.
// Loopback by default. With http.token set (required beyond loopback) every route but /healthz
// (which reveals nothing and serves container health checks) requires the bearer token.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../log.ts';
import { Backoff, delay } from '../lifecycle/backoff.ts';
import type { Component } from '../lifecycle/component.ts';
import { isLoopback, tokenMatches } from './auth.ts';
import { DEFAULT_LIMITS, guardConnections, serverOptions, type ConnectionLimits } from './connection-guard.ts';
import type { Readiness } from './health.ts';
import { HttpError, parseTarget, Router, send } from './router.ts';
import { E } from '../errors.ts';

// Not `import { createServer } from 'node:http'`: an ES module import of a builtin reads all of its
// exports, and http's lazy WebSocket getters then load undici, http2 and web streams (~1.4 MiB of heap
// in a running agent, bench/footprint.ts) that nothing here uses.
const { createServer } = process.getBuiltinModule('node:http');

export interface HttpOptions {
  host: string;
  port: number;
  token?: string;
  readiness: Readiness;
  registry: Registry;
  log: Logger;
  /** Adds the read API routes. */
  routes?: (router: Router) => void;
  /** Connection bounds; tests shorten the timeouts. */
  limits?: Partial<ConnectionLimits>;
}

export class HttpServer implements Component {
  readonly name = 'http';
  #o: HttpOptions;
  #server: Server | undefined;
  #abort: AbortController | undefined;
  #bindFailed = false;
  readonly router = new Router();

  constructor(o: HttpOptions) {
    this.#o = o;
    this.router
      .get('/healthz', () => ({ status: 200, body: { status: 'ok' } }), { public: true })
      .get('/readyz', () => {
        const { ready, checks } = o.readiness.evaluate();
        return { status: ready ? 200 : 503, body: { status: ready ? 'ready' : 'not ready', checks } };
      })
      .get('/metrics', async () => ({ status: 200, body: await o.registry.metrics(), type: o.registry.contentType }));
    o.routes?.(this.router);
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    return (this.#server?.address() as AddressInfo | null)?.port ?? 0;
  }

  /**
   * Binding failures (port taken, address gone) are logged and retried in the background: the
   * health page matters less than the data, so it never keeps the agent from running.
   */
  async start(): Promise<void> {
    const { host } = this.#o;
    if (!isLoopback(host) && !this.#o.token) throw new Error(`http.host ${host} is not loopback: http.token is required`);
    this.#abort = new AbortController();
    if (await this.#listen()) return;
    void this.#retry(this.#abort.signal);
  }

  async #retry(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff({ minMs: 2000, maxMs: 60_000 });
    while (await delay(backoff.next(), signal)) if (await this.#listen()) return;
  }

  async #listen(): Promise<boolean> {
    const { host, port, log, token } = this.#o;
    const limits = { ...DEFAULT_LIMITS, ...this.#o.limits };
    const onRequest = (req: IncomingMessage, res: ServerResponse) => {
      this.#handle(req, res, token).catch((err: unknown) => {
        // Only a failure to write the error reply gets here: the connection is beyond saving.
        log.error({ err, method: req.method }, 'HTTP reply failed');
        res.destroy();
      });
    };
    const server = createServer(serverOptions(limits), onRequest);
    // An Expect other than 100-continue is ignored, as RFC 9110 allows, rather than answered
    // with Node's body-less 417.
    server.on('checkExpectation', onRequest);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      if (!this.#bindFailed) log.error({ code: E.LS_HTTP_BIND_FAILED, host, port, err: (err as Error).message }, 'HTTP API cannot listen; the agent runs on and retries');
      this.#bindFailed = true;
      return false;
    }
    guardConnections(server, limits, log);
    this.#server = server;
    log.info({ host, port: this.port, auth: token !== undefined }, 'HTTP API listening');
    return true;
  }

  async #handle(req: IncomingMessage, res: ServerResponse, token: string | undefined): Promise<void> {
    const head = req.method === 'HEAD';
    // No handler reads a body: one that was sent is left unread and the connection closed after
    // the reply, so no client can make the agent hold or drain it.
    const headers: Record<string, string> = hasBody(req) ? { connection: 'close' } : {};
    let path = '';
    try {
      if (req.httpVersion === '1.1' && req.headers.host === undefined) throw new HttpError(400, E.LS_HTTP_BAD_REQUEST, 'missing Host header (RFC 9112)');
      const url = parseTarget(req.url ?? '');
      if (!url) throw new HttpError(400, E.LS_HTTP_BAD_REQUEST, 'malformed request target: the path must be RFC 3986 characters and %XX escapes');
      path = url.pathname;
      const found = this.router.match(req.method ?? 'GET', url.pathname);
      // Without the token nothing but the public routes answers, not even "no such route".
      const isPublic = found !== undefined && !('allowed' in found) && found.route.public;
      if (token !== undefined && !isPublic && !tokenMatches(req.headers.authorization, token)) {
        headers['www-authenticate'] = 'Bearer';
        throw new HttpError(401, E.LS_HTTP_UNAUTHORIZED, 'missing or wrong bearer token');
      }
      if (!found) throw new HttpError(404, E.LS_HTTP_NOT_FOUND, `no route ${url.pathname.slice(0, 256)}`);
      if ('allowed' in found) {
        headers.allow = found.allowed.join(', ');
        throw new HttpError(405, E.LS_HTTP_METHOD_NOT_ALLOWED, `use ${headers.allow}`);
      }
      const reply = await found.route.handler({ url, params: found.params, req });
      send(res, { ...reply, headers: { ...reply.headers, ...headers } }, head);
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, E.LS_HTTP_INTERNAL, 'internal error');
      if (!(err instanceof HttpError)) this.#o.log.error({ err, path }, 'HTTP handler failed');
      if (res.headersSent) return void res.destroy();
      send(res, { status: e.status, body: { error: { code: e.code, message: e.message } }, headers }, head);
    }
  }

  async stop(): Promise<void> {
    this.#abort?.abort();
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // Replies under way get a moment to finish; a client still sending its request is not waited for.
    const deadline = setTimeout(() => server.closeAllConnections(), 1000);
    await closed;
    clearTimeout(deadline);
  }
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
