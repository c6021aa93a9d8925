// The local HTTP API as a runtime component: liveness, readiness, metrics and the read API.
// Loopback by default; bound anywhere else it requires the bearer token on every route but
// /healthz (which reveals nothing and serves container health checks).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../log.ts';
import { Backoff, delay } from '../lifecycle/backoff.ts';
import type { Component } from '../lifecycle/component.ts';
import { isLoopback, tokenMatches } from './auth.ts';
import type { Readiness } from './health.ts';
import { HttpError, Router, send } from './router.ts';
import { E } from '../errors.ts';

export interface HttpOptions {
  host: string;
  port: number;
  token?: string;
  readiness: Readiness;
  registry: Registry;
  log: Logger;
  /** Adds the read API routes. */
  routes?: (router: Router) => void;
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
    const { host, port, log } = this.#o;
    const needsToken = !isLoopback(host);
    const server = createServer((req, res) => void this.#handle(req, res, needsToken));
    server.keepAliveTimeout = 5000;
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
    this.#server = server;
    log.info({ host, port: this.port, auth: needsToken }, 'HTTP API listening');
    return true;
  }

  async #handle(req: IncomingMessage, res: ServerResponse, needsToken: boolean): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const head = req.method === 'HEAD';
    try {
      const found = this.router.match(req.method ?? 'GET', url.pathname);
      // Without the token nothing but the public routes answers, not even "no such route".
      const isPublic = found !== undefined && !('allowed' in found) && found.route.public;
      if (needsToken && !isPublic && !tokenMatches(req.headers.authorization, this.#o.token!)) {
        throw new HttpError(401, E.LS_HTTP_UNAUTHORIZED, 'missing or wrong bearer token');
      }
      if (!found) throw new HttpError(404, E.LS_HTTP_NOT_FOUND, `no route ${url.pathname}`);
      if ('allowed' in found) throw new HttpError(405, E.LS_HTTP_METHOD_NOT_ALLOWED, `use ${found.allowed.join(', ')}`);
      send(res, await found.route.handler({ url, params: found.params, req }), head);
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, E.LS_HTTP_INTERNAL, 'internal error');
      if (!(err instanceof HttpError)) this.#o.log.error({ err, path: url.pathname }, 'HTTP handler failed');
      send(res, { status: e.status, body: { error: { code: e.code, message: e.message } }, headers: e.status === 401 ? { 'www-authenticate': 'Bearer' } : {} }, head);
    }
  }

  async stop(): Promise<void> {
    this.#abort?.abort();
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeIdleConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
