// One HTTP exchange over a raw TCP socket, for requests no HTTP client would send: the bytes go
// out as given (in pieces, paced, when asked) and the outcome is whatever the server did with
// them — answered with a status line, closed without one, or neither within the time allowed.
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Exchange {
  outcome: 'answered' | 'closed' | 'hung';
  /** Status of the first response, when answered. */
  status?: number;
  headers: Record<string, string>;
  body: string;
  raw: string;
}

export interface ExchangeOptions {
  /** Half-close after writing: tells the server no more bytes come (default true). */
  end?: boolean;
  /** Pause between pieces (ms), for slow clients. */
  paceMs?: number;
  /** Reset the connection after writing, as a client that gives up mid-request. */
  abort?: boolean;
  /** After this long without the server closing, the outcome is `hung` (default 5 s). */
  timeoutMs?: number;
  host?: string;
}

export function exchange(port: number, pieces: string | Buffer | Array<string | Buffer>, o: ExchangeOptions = {}): Promise<Exchange> {
  const parts = Array.isArray(pieces) ? pieces : [pieces];
  return new Promise((resolve) => {
    const socket = connect({ port, host: o.host ?? '127.0.0.1' });
    const chunks: Buffer[] = [];
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      socket.destroy();
    }, o.timeoutMs ?? 5000);
    socket.on('data', (d: Buffer) => chunks.push(d));
    // A reset (the server closing with our bytes unread) is one way of closing.
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString('latin1');
      resolve({ ...parseResponse(raw), raw, outcome: hung ? 'hung' : /^HTTP\/1\.[01] \d{3}/.test(raw) ? 'answered' : 'closed' });
    });
    socket.once('connect', async () => {
      for (const [i, p] of parts.entries()) {
        if (socket.destroyed) return;
        if (i > 0 && o.paceMs) await sleep(o.paceMs);
        socket.write(p);
      }
      if (o.abort) socket.resetAndDestroy();
      else if ((o.end ?? true) && !socket.destroyed) socket.end();
    });
  });
}

/** The first response in `raw`: status, lower-cased headers and its body (by content-length). */
export function parseResponse(raw: string): { status?: number; headers: Record<string, string>; body: string } {
  const m = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/.exec(raw);
  if (!m) return { headers: {}, body: '' };
  const headEnd = raw.indexOf('\r\n\r\n');
  const headers: Record<string, string> = {};
  for (const line of raw.slice(m[0].length, headEnd < 0 ? raw.length : headEnd).split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = headEnd < 0 ? '' : raw.slice(headEnd + 4);
  const length = Number(headers['content-length']);
  return { status: Number(m[1]), headers, body: Number.isInteger(length) ? rest.slice(0, length) : rest };
}
