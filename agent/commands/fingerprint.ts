// What makes two commands with one id the same command: their bodies, compared as a hash of a
// canonical form (keys sorted, so key order and whitespace do not matter), stored beside the first
// reply in the command log. `issuedAt` and `expiresAt` are left out: they say when a command was
// sent, and a sender's retry may stamp them anew without asking for anything else.
import { createHash } from 'node:crypto';
import type { CommandReply } from '../contract/commands.ts';

const NOT_THE_COMMAND = new Set(['commandId', 'issuedAt', 'expiresAt']);

function canonical(v: unknown, top = false): string {
  if (Array.isArray(v)) return `[${v.map((x) => canonical(x)).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => o[k] !== undefined && !(top && NOT_THE_COMMAND.has(k))).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Hash of a validated command body (base64url SHA-256). */
export function commandFingerprint(body: object): string {
  return createHash('sha256').update(canonical(body, true)).digest('base64url');
}

/** What the command log keeps of an accepted command: the first reply and the body's hash. */
export interface RememberedCommand {
  reply: CommandReply;
  /** Absent in rows written before the hash was kept: those ids cannot be checked for reuse. */
  bodyHash?: string;
}

export function encodeRemembered(r: Required<RememberedCommand>): string {
  return JSON.stringify({ bodyHash: r.bodyHash, reply: r.reply });
}

/** Throws when the stored text is not JSON. */
export function decodeRemembered(text: string): RememberedCommand {
  const v = JSON.parse(text) as { bodyHash?: unknown; reply?: unknown; schema?: unknown };
  if (typeof v.bodyHash === 'string' && typeof v.reply === 'object' && v.reply !== null) return { reply: v.reply as CommandReply, bodyHash: v.bodyHash };
  // Before the hash, the log held the bare reply.
  return { reply: v as CommandReply };
}
