// What the HTTP server does with connections that never become a request for a handler: bytes
// that are not HTTP, heads that are too large or too slow, CONNECT. Node's defaults would answer
// some of these without our JSON error body, keep a slow client for up to 5 minutes, and check
// those timeouts only every 30 s; this file sets bounds that fit a small local read-only API.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log.ts';
import { E, type ErrorCode } from '../errors.ts';

export interface ConnectionLimits {
  /** Time to receive the request head (ms). */
  headersTimeoutMs: number;
  /** Time to receive the whole request (ms). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long (ms). */
  keepAliveTimeoutMs: number;
  /** A connection where nothing moves either way for this long is closed (ms): a client that stops reading its reply. */
  idleTimeoutMs: number;
  /** Request head size (bytes). */
  maxHeaderSize: number;
  /** Header lines past this many are ignored (Node drops them; they never reach a handler). */
  maxHeadersCount: number;
  /** Open connections; more are refused until some close. */
  maxConnections: number;
}

/** The numbers docs/ERRORS.md and docs/HTTP.md quote. */
export const DEFAULT_LIMITS: ConnectionLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 30_000,
  maxHeaderSize: 16 * 1024,
  maxHeadersCount: 100,
  maxConnections: 256,
};

/** Options for `createServer`: these cannot be changed after it is created. */
export function serverOptions(l: ConnectionLimits) {
  return {
    maxHeaderSize: l.maxHeaderSize,
    requestTimeout: l.requestTimeoutMs,
    headersTimeout: l.headersTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    // Node would answer a missing Host itself, without the API's JSON body; the server checks it.
    requireHostHeader: false,
    // Timeouts are only enforced when this sweep runs; Node's 30 s would triple a 10 s bound.
    connectionsCheckingInterval: Math.max(100, Math.min(1000, l.headersTimeoutMs / 4)),
  };
}

/** Node's parser error codes that deserve a status other than 400. */
function statusOf(err: NodeJS.ErrnoException): [number, ErrorCode, string] {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, E.LS_HTTP_HEADERS_TOO_LARGE, 'request head too large'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, E.LS_HTTP_REQUEST_TIMEOUT, 'request not received in time'];
    default:
      return [400, E.LS_HTTP_BAD_REQUEST, 'malformed HTTP request'];
  }
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 405: 'Method Not Allowed', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

/**
 * Writes a complete error response on a socket the HTTP machinery has given up on, then closes
 * it. The parser's state is unknown, so the connection cannot be reused.
 */
function answerAndClose(socket: Duplex, status: number, code: ErrorCode, message: string, extra = ''): void {
  if (socket.destroyed) return;
  if (!socket.writable) return void socket.destroy();
  const body = `${JSON.stringify({ error: { code, message } })}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\ncache-control: no-store\r\nconnection: close\r\n${extra}\r\n${body}`,
  );
  // end() waits for the peer to read; a peer that never reads must not hold the socket.
  socket.once('finish', () => socket.destroy());
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** Applies the limits that can be set after creation and answers what never reaches a handler. */
export function guardConnections(server: Server, l: ConnectionLimits, log: Logger): void {
  server.maxHeadersCount = l.maxHeadersCount;
  // Without a 'timeout' listener Node destroys the socket; a reply nobody reads is not kept.
  server.timeout = l.idleTimeoutMs;
  server.maxConnections = l.maxConnections;
  // Replaces Node's default handler, which answers without a body (and not at all once a
  // response has started): ours answers with the API's JSON error when nothing was written yet.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // A response already on its way cannot be followed by another (Node's default makes the same
    // check on this same internal link from socket to response).
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || inFlight?.headersSent) return void socket.destroy();
    const [status, code, message] = statusOf(err);
    log.debug({ code: err.code, status }, 'HTTP client error');
    answerAndClose(socket, status, code, message);
  });
  // Accept failures (EMFILE under a connection flood) arrive here; unheard, they would end the process.
  let lastLogged = 0;
  server.on('error', (err: NodeJS.ErrnoException) => {
    if (Date.now() - lastLogged < 60_000) return;
    lastLogged = Date.now();
    log.warn({ err: err.message, errCode: err.code }, 'HTTP API connection error; serving on');
  });
  // CONNECT is for proxies; without this listener Node drops the connection without a word.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    answerAndClose(socket, 405, E.LS_HTTP_METHOD_NOT_ALLOWED, 'CONNECT is not served', 'allow: GET, HEAD\r\n');
  });
}
