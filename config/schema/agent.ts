// Who this agent is, where it runs in the plant (ISA-95), and its local services.
import { z } from 'zod';
import { LOG_LEVELS } from '../log-levels.ts';
import { secret } from './secret.ts';
import { duration, int, text, topicLevel } from './units.ts';

export { LOG_LEVELS };

export const agentSchema = z
  .strictObject({
    id: topicLevel('an agent id').describe('Unique id of this agent; part of every msgId and of the status topic. Keep it stable: changing it starts a new sequence.'),
    dataDir: text('a directory path').prefault('./data').describe('Where the outbox, pipeline state, history and OPC UA certificates live. Relative paths are resolved against the config file. Must be writable by the agent and on a disk (not under /proc, /sys or /dev); `lineside validate` checks both.'),
    logLevel: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(' | ')}` }).prefault('info').describe('Minimum log level; `--log-level` overrides it.'),
    shutdownTimeout: duration({ min: '1s', max: '5m' }).prefault('10s').describe('How long a graceful stop (SIGINT/SIGTERM) may take before the process exits anyway.'),
  })
  .describe('Identity and local storage of this agent.');

export const locationSchema = z
  .strictObject({
    enterprise: topicLevel('an enterprise name').describe('ISA-95 enterprise; first level of every topic.'),
    site: topicLevel('a site name').describe('ISA-95 site (plant).'),
    area: topicLevel('an area name').describe('ISA-95 area (hall, department).'),
    line: topicLevel('a line name').describe('ISA-95 production line this agent serves.'),
  })
  .describe('Where the machines stand, per ISA-95; it forms the MQTT topic root.');

export const ROLES = ['viewer', 'operator', 'admin'] as const;
const role = z.enum(ROLES, { error: `expected one of ${ROLES.join(' | ')}` }).describe('viewer: read; operator: also downtime reasons and jobs; admin: everything.');

/** `scrypt$N$r$p$salt$hash` (salt and hash base64): what `lineside station hash-password` prints. */
export const PASSWORD_HASH = /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]{16,}\$[A-Za-z0-9+/=]{32,}$/;

const stationUserSchema = z.strictObject({
  name: z.string({ error: 'expected a user name' }).regex(/^[A-Za-z0-9._@-]{1,64}$/, { error: 'expected a user name of 1..64 letters, digits, . _ @ -' }).describe('Login name.'),
  role,
  passwordHash: secret(z.string({ error: 'expected a password hash from `lineside station hash-password`' }).regex(PASSWORD_HASH, { error: 'expected a password hash from `lineside station hash-password` (scrypt$N$r$p$salt$hash)' })).describe('scrypt hash from `lineside station hash-password` (never the password itself).'),
});

const roleTokenSchema = z.strictObject({
  name: z.string({ error: 'expected a name' }).regex(/^[A-Za-z0-9._@-]{1,64}$/, { error: 'expected a name of 1..64 letters, digits, . _ @ -' }).describe('Who uses the token; the audit log names it.'),
  role,
  token: secret(z.string({ error: 'expected a token of at least 16 characters' }).min(16, { error: 'expected a token of at least 16 characters' })).describe('Bearer token. Use ${VAR} or ${file:...}.'),
});

export const httpSchema = z
  .strictObject({
    enabled: z.boolean({ error: 'expected true or false' }).prefault(true).describe('Serve /healthz, /readyz, /metrics and the read API.'),
    host: text('a host or address to bind').prefault('127.0.0.1').describe('Bind address. Anything but loopback requires `token`, `tokens` or `users`.'),
    port: int(0, 65535).prefault(8710).describe('TCP port (0 picks a free one).'),
    token: secret(z.string({ error: 'expected a token of at least 16 characters' }).min(16, { error: 'expected a token of at least 16 characters' })).optional().describe('Bearer token required on every request but `/healthz` when set — on loopback too. Required when bound to a non-loopback address unless `users` or `tokens` are set. Use ${VAR} or ${file:...}.'),
    ready: z
      .strictObject({
        maxOutboxDepth: int(1, 1_000_000_000).prefault(100_000).describe('/readyz answers 503 when more messages than this wait in the outbox.'),
        maxOutboxAge: duration({ min: '1s' }).prefault('5m').describe('/readyz answers 503 when the oldest message in the outbox is older than this (the way out is stuck).'),
      })
      .prefault({})
      .describe('Outbox thresholds of /readyz (besides drivers and broker connected).'),
    station: z.boolean({ error: 'expected true or false' }).prefault(true).describe('Serve the line station (the web page for operators and plant IT) at `/`. See docs/STATION.md.'),
    users: z.array(stationUserSchema).prefault([]).describe('Local users of the line station and the API (cookie sessions). With none (and no token), loopback is open to anyone on the machine as admin; off loopback a login or token is required.'),
    tokens: z.array(roleTokenSchema).prefault([]).describe('Bearer tokens per role, for machine-to-machine clients. `token` (above) is an admin token.'),
    session: z
      .strictObject({
        idleTimeout: duration({ min: '1m', max: '7d' }).prefault('30m').describe('A session unused this long ends.'),
        maxAge: duration({ min: '1m', max: '30d' }).prefault('12h').describe('A session ends this long after login, used or not.'),
      })
      .prefault({})
      .describe('Session lifetime of the line station.'),
  })
  .superRefine((h, ctx) => {
    const seen = new Set<string>();
    h.users.forEach((u, i) => {
      if (seen.has(u.name)) ctx.addIssue({ code: 'custom', path: ['users', i, 'name'], message: `duplicate user name "${u.name}"` });
      seen.add(u.name);
    });
    const tokens = [h.token, ...h.tokens.map((t) => t.token)];
    h.tokens.forEach((t, i) => {
      if (tokens.indexOf(t.token) !== i + 1) ctx.addIssue({ code: 'custom', path: ['tokens', i, 'token'], message: 'expected a token of its own (it equals another token: the role would be ambiguous)' });
    });
  })
  .describe('The local HTTP API: health, metrics, history and the line station.');

export const historySchema = z
  .strictObject({
    retention: duration({ min: '1h' }).prefault('90d').describe('How long closed periods, downtime events and job results are kept for the local API.'),
  })
  .describe('Local history kept in SQLite.');
