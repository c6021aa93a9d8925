// The configuration of `lineside ingest` (central.yaml): its own schema, separate from the agent's,
// because the ingest shares the contract with the agent and nothing else.
import { z } from 'zod';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `250ms`, `5s`, `2m`, `1h`, `7d` → milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(text.trim());
  return m ? Math.round(Number(m[1]) * UNITS[m[2]!]!) : undefined;
}

const duration = (min: number, max: number) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = typeof v === 'number' ? v : parseDuration(v);
    if (ms === undefined || ms < min || ms > max) {
      ctx.addIssue({ code: 'custom', message: `expected a duration between ${min} ms and ${max} ms like "5s", "2m" or "1h", got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return ms;
  });

const identifier = z.string().regex(/^[a-z_][a-z0-9_]*$/, 'expected a lower-case SQL identifier');

export const ingestConfigSchema = z.strictObject({
  mqtt: z
    .strictObject({
      url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\//, 'expected an mqtt://, mqtts://, ws:// or wss:// URL').describe('Broker URL.'),
      clientId: z.string().min(1).max(64).describe('Stable per instance: the persistent session (what the broker queues while the instance is away) belongs to it.'),
      group: z.string().regex(/^[^/+#$]+$/, 'expected a share name without "/", "+", "#" or "$"').default('lineside-ingest').describe('Shared subscription group: instances of one group split the messages.'),
      topic: z.string().default('lineside/v1/#').describe('Topic filter under the shared subscription.'),
      username: z.string().optional(),
      password: z.string().optional(),
      receiveMaximum: z.number().int().min(1).max(65535).default(8192).describe('MQTT 5 Receive Maximum: how many unacknowledged messages the broker may send; bounds the ingest\'s memory.'),
      sessionExpiry: duration(0, 2 ** 32 * 1000 - 1000).prefault('7d').describe('How long the broker keeps the session (and queues for it) while no instance of this clientId is connected.'),
      keepalive: duration(1000, 600_000).prefault('30s'),
      reconnect: duration(100, 60_000).prefault('1s'),
    })
    .describe('Broker connection.'),
  postgres: z
    .strictObject({
      url: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL').describe('Connection URL (libpq style).'),
      schema: identifier.default('lineside').describe('Database schema that holds the tables.'),
      poolSize: z.number().int().min(1).max(64).default(4),
    })
    .describe('The database.'),
  batch: z
    .strictObject({
      maxRows: z.number().int().min(1).max(100_000).default(2000).describe('Messages per transaction at most.'),
      maxDelay: duration(0, 10_000).prefault('20ms').describe('How long the first message of a batch waits for more.'),
      concurrency: z.number().int().min(1).max(16).default(2).describe('Transactions in flight at once.'),
    })
    .prefault({}),
  gaps: z
    .strictObject({
      checkInterval: duration(100, 600_000).prefault('2s').describe('How often seq gaps are looked for.'),
      alertAfter: duration(0, 7 * 86_400_000).prefault('5m').describe('A gap still unexplained (no drop report, not filled by a late replay) after this long makes /readyz answer 503.'),
    })
    .prefault({}),
  http: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8720).describe('/metrics and /readyz; 0 picks a free port.'),
    })
    .prefault({}),
  log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).prefault({}),
});

export type IngestConfig = z.output<typeof ingestConfigSchema>;
