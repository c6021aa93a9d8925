// Who a request is and what it may do: the seam between the HTTP server and whoever knows the
// users, tokens and sessions (agent/station/access.ts). Roles are ordered: viewer < operator < admin.
import type { IncomingMessage } from 'node:http';

export const ROLE_ORDER = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLE_ORDER)[number];

export interface Principal {
  name: string;
  role: Role;
  /** `token`: a bearer token (no CSRF: browsers never send it on their own); `session`: a cookie; `open`: loopback with nothing configured. */
  via: 'token' | 'session' | 'open';
  sessionId?: string;
  csrf?: string;
}

export interface Access {
  /** The caller, `undefined` when it sent no credentials, `null` when it sent wrong ones. */
  identify(req: IncomingMessage): Principal | undefined | null;
  /** Nothing configured: loopback callers are admins (the server binds loopback only then). */
  readonly open: boolean;
  /** A state-changing request refused for its role or CSRF token (for the audit log). */
  refused?(p: Principal | undefined, method: string, path: string, reason: string): void;
}

export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLE_ORDER.indexOf(have) >= ROLE_ORDER.indexOf(need);
}
