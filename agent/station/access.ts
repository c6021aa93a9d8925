// The station's Access: bearer tokens (http.token is an admin; http.tokens carry their role) and
// cookie sessions of logged-in users. A request with both is judged by its token.
import type { IncomingMessage } from 'node:http';
import type { Access, Principal, Role } from '../http/access.ts';
import { tokenMatches } from '../http/auth.ts';
import type { Session, Sessions } from './sessions.ts';

export const SESSION_COOKIE = 'lineside_session';

export interface AccessConfig {
  token?: string | undefined;
  tokens: ReadonlyArray<{ name: string; role: Role; token: string }>;
  users: ReadonlyArray<{ name: string; role: Role; passwordHash: string }>;
}

export function sessionPrincipal(s: Session): Principal {
  return { name: s.user, role: s.role, via: 'session', sessionId: s.id, csrf: s.csrf };
}

export class StationAccess implements Access {
  readonly open: boolean;
  /** Set by the station: audits refused state-changing requests. */
  onRefused: ((p: Principal | undefined, method: string, path: string, reason: string) => void) | undefined;
  #tokens: Array<{ name: string; role: Role; token: string }>;
  #sessions: Sessions;

  constructor(c: AccessConfig, sessions: Sessions) {
    this.#tokens = [...(c.token ? [{ name: 'http.token', role: 'admin' as const, token: c.token }] : []), ...c.tokens];
    this.open = this.#tokens.length === 0 && c.users.length === 0;
    this.#sessions = sessions;
  }

  refused(p: Principal | undefined, method: string, path: string, reason: string): void {
    this.onRefused?.(p, method, path, reason);
  }

  identify(req: IncomingMessage): Principal | undefined | null {
    const auth = req.headers.authorization;
    if (auth !== undefined && /^Bearer\s/i.test(auth)) {
      // Every token is compared (constant time each), so timing does not tell which one matched.
      let hit: { name: string; role: Role } | undefined;
      for (const t of this.#tokens) if (tokenMatches(auth, t.token)) hit ??= t;
      if (hit) return { name: hit.name, role: hit.role, via: 'token' };
      return this.open ? undefined : null;
    }
    const sid = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (sid === undefined) return undefined;
    const s = this.#sessions.get(sid);
    return s ? sessionPrincipal(s) : this.open ? undefined : null;
  }
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function sessionCookie(id: string, maxAgeS: number): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.max(0, Math.floor(maxAgeS))}`;
}

export const CLEAR_COOKIE = `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
