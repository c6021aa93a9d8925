// Bearer-token check for the local HTTP API. Comparing digests keeps the comparison constant-time
// whatever the lengths, so response timing says nothing about the token.
import { createHash, timingSafeEqual } from 'node:crypto';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.');
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  const given = digest(m?.[1]?.trim() ?? '');
  return timingSafeEqual(given, digest(token)) && Boolean(m);
}
