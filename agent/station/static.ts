// The station's web assets (agent/station/web), shipped in the package and served by the agent:
// no CDN, no outside fonts. Read once at start; `index.html` is never cached (it names the
// assets), the assets are cached briefly and revalidated by ETag. A strict Content-Security-Policy
// allows nothing but this origin: no inline script, no eval, no framing.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { E } from '../errors.ts';
import { HttpError, type HttpReply, type RequestContext } from '../http/router.ts';

export const WEB_DIR = join(import.meta.dirname, 'web');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export const SECURITY_HEADERS = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
} as const;

interface Asset { body: Buffer; type: string; etag: string }

export class StaticAssets {
  #assets = new Map<string, Asset>();

  constructor(dir = WEB_DIR) {
    for (const name of readdirSync(dir)) {
      const type = TYPES[extname(name)];
      if (!type) continue;
      const body = readFileSync(join(dir, name));
      this.#assets.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
    }
  }

  /** Bytes of every asset (the page weight's upper bound). */
  get bytes(): number {
    let n = 0;
    for (const a of this.#assets.values()) n += a.body.length;
    return n;
  }

  serve(ctx: RequestContext, name: string): HttpReply {
    const a = /^[a-z0-9-]+\.[a-z]+$/.test(name) ? this.#assets.get(name) : undefined;
    if (!a) throw new HttpError(404, E.LS_HTTP_NOT_FOUND, `no asset ${name.slice(0, 64)}`);
    const cache = name === 'index.html' ? 'no-cache' : 'public, max-age=300, must-revalidate';
    const headers = { ...SECURITY_HEADERS, etag: a.etag, 'cache-control': cache };
    if (ctx.req.headers['if-none-match'] === a.etag) return { status: 304, body: '', type: a.type, headers };
    return { status: 200, body: a.body, type: a.type, headers };
  }
}
