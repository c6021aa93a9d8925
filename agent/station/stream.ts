// The live stream of the line view (server-sent events): the tiles that changed, every
// `intervalMs`. A client whose socket does not drain (a tablet on bad Wi-Fi) is not buffered
// for: past `maxBufferedBytes` it gets nothing more until the socket drained, then a full
// `resync` of every tile. Clients are capped, and a session's streams close when it ends.
import type { ServerResponse } from 'node:http';
import type { Tile } from './schema.ts';

export interface StreamOptions {
  /** Every tile now; undefined when they cannot be computed (nothing is sent then). */
  tiles: () => Tile[] | undefined;
  intervalMs?: number;
  maxClients?: number;
  maxBufferedBytes?: number;
  /** A comment line this often keeps proxies from closing an idle stream. */
  keepAliveMs?: number;
  /**
   * Whether a session is still live, checked every interval (and counted as use: a line view left
   * open on a tablet stays logged in until the session's absolute age). False ends its streams.
   */
  sessionAlive?: (sessionId: string) => boolean;
  now?: () => number;
}

interface Client { res: ServerResponse; sessionId: string | undefined; stale: boolean }

export class TileStream {
  #o: Required<StreamOptions>;
  #clients = new Set<Client>();
  #last = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #lastWrite = 0;
  dropped = 0;

  constructor(o: StreamOptions) {
    this.#o = { intervalMs: 250, maxClients: 32, maxBufferedBytes: 256 * 1024, keepAliveMs: 10_000, now: Date.now, sessionAlive: () => true, ...o };
  }

  get clients(): number {
    return this.#clients.size;
  }

  get full(): boolean {
    return this.#clients.size >= this.#o.maxClients;
  }

  /** Take over `res` as an event stream; it starts with every tile. */
  add(res: ServerResponse, sessionId: string | undefined): void {
    const first = this.#snapshot();
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    const c: Client = { res, sessionId, stale: false };
    this.#clients.add(c);
    const drop = () => this.#clients.delete(c);
    res.on('close', drop);
    res.on('drain', () => {
      const all = c.stale ? this.#snapshot() : undefined;
      if (all) this.#write(c, 'resync', all);
    });
    if (!this.#timer) {
      this.#last = new Map((first?.machines ?? []).map((t) => [t.id, JSON.stringify(t)]));
      this.#timer = setInterval(() => this.#tick(), this.#o.intervalMs);
    }
    if (first) this.#write(c, 'resync', first);
  }

  /** Close the streams of a session that ended (logout, expiry). */
  endSession(sessionId: string): void {
    for (const c of this.#clients) if (c.sessionId === sessionId) this.#end(c);
  }

  /** `end` tells the page not to reconnect (its session is gone) but to ask who it is now. */
  #end(c: Client): void {
    c.res.end('event: end\ndata: {}\n\n');
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const c of this.#clients) c.res.end();
    this.#clients.clear();
  }

  /** Every tile, for one client; the others' diff base (#last) stays as it is. */
  #snapshot(): { at: string; machines: Tile[] } | undefined {
    const machines = this.#o.tiles();
    if (!machines) return undefined;
    return { at: new Date(this.#o.now()).toISOString(), machines };
  }

  #tick(): void {
    if (this.#clients.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      this.#last.clear();
      return;
    }
    for (const c of this.#clients) if (c.sessionId !== undefined && !this.#o.sessionAlive(c.sessionId)) this.#end(c);
    const changed: Tile[] = [];
    for (const t of this.#o.tiles() ?? []) {
      const json = JSON.stringify(t);
      if (this.#last.get(t.id) !== json) changed.push(t);
      this.#last.set(t.id, json);
    }
    const now = this.#o.now();
    if (changed.length) {
      const body = { at: new Date(now).toISOString(), machines: changed };
      for (const c of this.#clients) if (!c.stale) this.#write(c, 'tiles', body);
      this.#lastWrite = now;
    } else if (now - this.#lastWrite >= this.#o.keepAliveMs) {
      for (const c of this.#clients) if (!c.stale) c.res.write(': keep-alive\n\n');
      this.#lastWrite = now;
    }
  }

  #write(c: Client, event: string, data: unknown): void {
    if (c.res.writableLength > this.#o.maxBufferedBytes) {
      // Drop rather than queue: the `drain` handler sends a full resync once it caught up.
      if (!c.stale) this.dropped++;
      c.stale = true;
      return;
    }
    c.stale = false;
    c.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }
}
