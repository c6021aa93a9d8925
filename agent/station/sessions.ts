// Sessions of the line station, in memory: a restart logs everyone out, which is what a shared
// line tablet wants anyway. A session ends when unused for `idleMs`, `maxAgeMs` after login, on
// logout, or when the table is full and it is the least recently used.
import { randomBytes } from 'node:crypto';
import type { Role } from '../http/access.ts';

export interface Session {
  id: string;
  csrf: string;
  user: string;
  role: Role;
  created: number;
  lastSeen: number;
}

export interface SessionOptions {
  idleMs: number;
  maxAgeMs: number;
  now?: () => number;
  /** Sessions at once; the least recently used goes first. */
  max?: number;
}

export class Sessions {
  #o: Required<SessionOptions>;
  /** Map order is use order: a touched session moves to the end. */
  #byId = new Map<string, Session>();
  #ended: Array<(id: string) => void> = [];

  constructor(o: SessionOptions) {
    this.#o = { now: Date.now, max: 1000, ...o };
  }

  create(user: string, role: Role): Session {
    const now = this.#o.now();
    const s: Session = { id: randomBytes(24).toString('base64url'), csrf: randomBytes(24).toString('base64url'), user, role, created: now, lastSeen: now };
    this.#byId.set(s.id, s);
    while (this.#byId.size > this.#o.max) this.end(this.#byId.keys().next().value!);
    return s;
  }

  /** The live session of this id (touching it), or undefined when unknown or expired. */
  get(id: string): Session | undefined {
    const s = this.#byId.get(id);
    if (!s) return undefined;
    const now = this.#o.now();
    if (!this.#alive(s, now)) {
      this.end(id);
      return undefined;
    }
    s.lastSeen = now;
    this.#byId.delete(id);
    this.#byId.set(id, s);
    return s;
  }

  /** Whether the session is still live, without touching it (a stream's keep-alive is no use). */
  alive(id: string): boolean {
    const s = this.#byId.get(id);
    if (s && this.#alive(s, this.#o.now())) return true;
    if (s) this.end(id);
    return false;
  }

  expiresAt(s: Session): number {
    return Math.min(s.lastSeen + this.#o.idleMs, s.created + this.#o.maxAgeMs);
  }

  end(id: string): void {
    if (!this.#byId.delete(id)) return;
    for (const f of this.#ended) f(id);
  }

  onEnd(f: (id: string) => void): void {
    this.#ended.push(f);
  }

  get size(): number {
    return this.#byId.size;
  }

  #alive(s: Session, now: number): boolean {
    return now < this.expiresAt(s);
  }
}
