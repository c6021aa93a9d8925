// A small router over node:http: exact paths and `{param}` segments, JSON in and out.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { E } from '../errors.ts';
import type { Principal, Role } from './access.ts';

export interface RequestContext {
  url: URL;
  params: Record<string, string>;
  req: IncomingMessage;
  /** The caller (undefined only on public routes when it sent nothing). */
  principal?: Principal | undefined;
  /** The parsed JSON body of routes that take one. */
  body?: unknown;
  /** The response, for routes that stream (they answer `{ status: 0 }` once they took it over). */
  res: ServerResponse;
}

export interface HttpReply {
  /** 0: the handler wrote the response itself (a stream). */
  status: number;
  body: unknown;
  /** Content type; JSON when omitted. */
  type?: string;
  headers?: Record<string, string>;
}

export type Handler = (ctx: RequestContext) => HttpReply | Promise<HttpReply>;

export interface RouteOptions {
  /** Answers without credentials (liveness, the station's login page and assets, login itself). */
  public?: boolean;
  /** The least role that may call it (default viewer). */
  role?: Role;
  /** Takes a JSON body (at most 16 KiB). */
  body?: boolean;
}

interface Route { method: string; parts: string[]; handler: Handler; public: boolean; role: Role; body: boolean }

export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  /** Headers of the error reply (e.g. Retry-After). */
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export class Router {
  #routes: Route[] = [];

  /** `public` routes skip authentication; the others need at least `role` (viewer). */
  get(path: string, handler: Handler, opts: RouteOptions = {}): this {
    return this.#add('GET', path, handler, opts);
  }

  post(path: string, handler: Handler, opts: RouteOptions = {}): this {
    return this.#add('POST', path, handler, opts);
  }

  delete(path: string, handler: Handler, opts: RouteOptions = {}): this {
    return this.#add('DELETE', path, handler, opts);
  }

  #add(method: string, path: string, handler: Handler, opts: RouteOptions): this {
    this.#routes.push({ method, parts: path.split('/').filter(Boolean), handler, public: opts.public ?? false, role: opts.role ?? 'viewer', body: opts.body ?? false });
    return this;
  }

  /** Every route as `METHOD /path/{param}` (for the OpenAPI test). */
  routes(): string[] {
    return this.#routes.map((r) => `${r.method} /${r.parts.join('/')}`);
  }

  match(method: string, pathname: string): { route: Route; params: Record<string, string> } | { allowed: string[] } | undefined {
    const parts = pathname.split('/').filter(Boolean);
    const allowed: string[] = [];
    for (const route of this.#routes) {
      if (route.parts.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const ok = route.parts.every((p, i) => {
        if (p.startsWith('{') && p.endsWith('}')) return (params[p.slice(1, -1)] = decodeSegment(parts[i]!)), true;
        return p === parts[i];
      });
      if (!ok) continue;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { route, params };
      allowed.push(route.method, ...(route.method === 'GET' ? ['HEAD'] : []));
    }
    return allowed.length ? { allowed: [...new Set(allowed)] } : undefined;
  }
}

/** RFC 3986 path characters and well-formed escapes; every route and machine id fits in them. */
const PATH = /^(?:\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*)+$/;

/**
 * The request target as a URL, or undefined when it is not one this API serves. Origin-form
 * (`/path?query`) is read as a path even when it starts with `//`, which a plain
 * `new URL(target, base)` would take for a host (and throw on, for `//[`); absolute-form
 * (`http://host/path`) is what proxies send, and its host is ignored. The path must be valid as
 * sent (browsers lenience about `[` or `%zz` is not needed here); the query is parsed leniently
 * and its parameters are validated by the routes.
 */
export function parseTarget(target: string): URL | undefined {
  const absolute = /^https?:\/\/[^/?#]*/i.exec(target);
  const rest = absolute ? target.slice(absolute[0].length) || '/' : target;
  const q = rest.indexOf('?');
  if (!PATH.test(q < 0 ? rest : rest.slice(0, q)) || rest.includes('#')) return undefined;
  return URL.parse(absolute ? target : `http://localhost${target}`) ?? undefined;
}

/** A path segment decoded; malformed escapes are a client error, not a 500. */
function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HttpError(400, E.LS_HTTP_BAD_REQUEST, `malformed escape in path segment "${s.slice(0, 64)}"`);
  }
}

export function send(res: ServerResponse, reply: HttpReply, head = false): void {
  const body = reply.type ? (Buffer.isBuffer(reply.body) ? reply.body : String(reply.body)) : `${JSON.stringify(reply.body)}\n`;
  res.writeHead(reply.status, {
    'content-type': reply.type ?? 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...reply.headers,
  });
  res.end(head ? undefined : body);
}
