// The local HTTP API as a runtime component: liveness, readiness, metrics, the read API and the
// line station. Loopback by default. With credentials configured (a token, role tokens or users;
// required beyond loopback) every route but the public ones (/healthz, the station's login page)
// requires a bearer token or a session; state-changing requests from a session also need its CSRF
// token and a same-origin Origin.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../log.ts';
import { Backoff, delay } from '../lifecycle/backoff.ts';
import type { Component } from '../lifecycle/component.ts';
import { roleAtLeast, type Access, type Principal } from './access.ts';
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
  /** Users, role tokens and sessions; without it only `token` (an admin) is known. */
  access?: Access;
  readiness: Readiness;
  registry: Registry;
  log: Logger;
  /** Adds the read API routes. */
  routes?: (router: Router) => void;
  /** Connection bounds; tests shorten the timeouts. */
  limits?: Partial<ConnectionLimits>;
  /** Called first on stop: ends long-lived responses (the station's event streams) so closing need not wait for them. */
  beforeStop?: () => void;
}

/** Largest JSON body a route reads. */
export const MAX_BODY_BYTES = 16 * 1024;

/** Only `http.token`: the API before the line station had users. */
function tokenAccess(token: string | undefined): Access {
  return {
    open: token === undefined,
    identify(req) {
      if (token === undefined || req.headers.authorization === undefined) return undefined;
      return tokenMatches(req.headers.authorization, token) ? { name: 'token', role: 'admin', via: 'token' } : null;
    },
  };
}

export class HttpServer implements Component {
  readonly name = 'http';
  #o: HttpOptions;
  #server: Server | undefined;
  #abort: AbortController | undefined;
  #bindFailed = false;
  #access: Access;
  readonly router = new Router();

  constructor(o: HttpOptions) {
    this.#o = o;
    this.#access = o.access ?? tokenAccess(o.token);
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
    if (!isLoopback(host) && this.#access.open) throw new Error(`http.host ${host} is not loopback: http.users or a token is required (http.token, http.tokens)`);
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
    const limits = { ...DEFAULT_LIMITS, ...this.#o.limits };
    const onRequest = (req: IncomingMessage, res: ServerResponse) => {
      this.#handle(req, res).catch((err: unknown) => {
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
    log.info({ host, port: this.port, auth: !this.#access.open }, 'HTTP API listening');
    return true;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const head = req.method === 'HEAD';
    // Only routes that take a body read one (bounded): any other body is left unread and the
    // connection closed after the reply, so no client can make the agent hold or drain it.
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
      // Open (loopback, nothing configured) trusts whoever reaches it, so it must be reached by a
      // loopback name: a web page whose own host name resolves to 127.0.0.1 (DNS rebinding) would
      // otherwise be same-origin with the station, and act as its admin. Liveness answers any name.
      if (this.#access.open && url.pathname !== '/healthz' && !loopbackHostHeader(req.headers.host)) throw new HttpError(403, E.LS_HTTP_FORBIDDEN, 'open access (no users or tokens configured) answers only requests to a loopback name: localhost, 127.0.0.1 or [::1]');
      const principal = this.#identify(req, isPublic, headers);
      if (!found) throw new HttpError(404, E.LS_HTTP_NOT_FOUND, `no route ${url.pathname.slice(0, 256)}`);
      if ('allowed' in found) {
        headers.allow = found.allowed.join(', ');
        throw new HttpError(405, E.LS_HTTP_METHOD_NOT_ALLOWED, `use ${headers.allow}`);
      }
      const { route } = found;
      try {
        if (!route.public && principal && !roleAtLeast(principal.role, route.role)) throw new HttpError(403, E.LS_HTTP_FORBIDDEN, `${route.role} role required; ${principal.name} is ${principal.role}`);
        if (route.method !== 'GET') checkCsrf(req, principal);
      } catch (err) {
        if (route.method !== 'GET') this.#access.refused?.(principal, route.method, path, (err as Error).message);
        throw err;
      }
      const body = route.body ? await readJson(req) : undefined;
      if (route.body) delete headers.connection;
      const reply = await route.handler({ url, params: found.params, req, res, principal, body });
      if (reply.status === 0) return;
      send(res, { ...reply, headers: { ...reply.headers, ...headers } }, head);
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, E.LS_HTTP_INTERNAL, 'internal error');
      if (!(err instanceof HttpError)) this.#o.log.error({ err, path }, 'HTTP handler failed');
      if (res.headersSent) return void res.destroy();
      send(res, { status: e.status, body: { error: { code: e.code, message: e.message } }, headers: { ...e.headers, ...headers } }, head);
    }
  }

  /** The caller; throws 401 when a non-public route gets no (or wrong) credentials. */
  #identify(req: IncomingMessage, isPublic: boolean, headers: Record<string, string>): Principal | undefined {
    const found = this.#access.identify(req);
    if (found) return found;
    // The server binds loopback only when nothing is configured (start() refuses otherwise).
    if (found === undefined && this.#access.open) return { name: 'local', role: 'admin', via: 'open' };
    if (isPublic) return undefined;
    headers['www-authenticate'] = 'Bearer';
    throw new HttpError(401, E.LS_HTTP_UNAUTHORIZED, found === null ? 'wrong bearer token or expired session' : 'missing bearer token or session (log in at /)');
  }

  async stop(): Promise<void> {
    this.#abort?.abort();
    this.#o.beforeStop?.();
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

/**
 * A session's state-changing request must carry its CSRF token and, when the browser names its
 * Origin, come from this very host: together they stop another site (or a page on another port of
 * this host) from acting with the operator's cookie. Bearer tokens are never sent by a browser on
 * its own, so they need neither; an anonymous request on a public route (login) has no session yet
 * and is only held to the Origin check.
 */
function checkCsrf(req: IncomingMessage, p: Principal | undefined): void {
  const origin = req.headers.origin;
  if (origin !== undefined && p?.via !== 'token') {
    const host = URL.parse(origin)?.host;
    if (host !== req.headers.host) throw new HttpError(403, E.LS_HTTP_FORBIDDEN, 'cross-origin request refused (Origin does not match Host)');
  }
  if (p === undefined || p.via === 'token') return;
  const sent = req.headers['x-csrf-token'];
  if (p.via === 'open' || typeof sent !== 'string' || p.csrf === undefined || !tokenMatches(`Bearer ${sent}`, p.csrf)) {
    throw new HttpError(403, E.LS_HTTP_FORBIDDEN, 'missing or wrong CSRF token: send X-CSRF-Token (csrfToken of GET /api/v1/session)');
  }
}

/** A JSON object body of at most MAX_BODY_BYTES, sent as application/json (a form post cannot be). */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) throw new HttpError(422, E.LS_HTTP_PAYLOAD_INVALID, 'expected Content-Type: application/json');
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new HttpError(422, E.LS_HTTP_PAYLOAD_INVALID, `body larger than ${MAX_BODY_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) throw new HttpError(422, E.LS_HTTP_PAYLOAD_INVALID, `body larger than ${MAX_BODY_BYTES} bytes`);
      chunks.push(chunk);
    }
  } catch (err) {
    // A client that hangs up mid-body is its own problem, not an error of the agent's.
    if (err instanceof HttpError) throw err;
    throw new HttpError(400, E.LS_HTTP_BAD_REQUEST, 'the request body was cut off');
  }
  try {
    const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v;
  } catch {
    // answered below
  }
  throw new HttpError(422, E.LS_HTTP_PAYLOAD_INVALID, 'expected a JSON object');
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** A Host header naming the loopback interface (any port); absent (HTTP/1.0) counts as loopback: the socket is. */
export function loopbackHostHeader(host: string | undefined): boolean {
  if (host === undefined) return true;
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d*$/, '');
  return isLoopback(name.toLowerCase());
}
