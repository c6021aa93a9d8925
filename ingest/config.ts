// The configuration of `lineside ingest` (central.yaml): its own schema, separate from the agent's,
// because the ingest shares the contract with the agent and nothing else (and the config toolkit:
// the loader, human durations).
import { z } from 'zod';
import { duration } from '../config/schema/units.ts';

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
      sessionExpiry: duration({ max: '49710d' }).prefault('7d').describe('How long the broker keeps the session (and queues for it) while no instance of this clientId is connected.'),
      keepalive: duration({ min: '1s', max: '10m' }).prefault('30s'),
      reconnect: duration({ min: '100ms', max: '1m' }).prefault('1s'),
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
      maxDelay: duration({ max: '10s' }).prefault('20ms').describe('How long the first message of a batch waits for more.'),
      concurrency: z.number().int().min(1).max(16).default(2).describe('Transactions in flight at once.'),
    })
    .prefault({}),
  gaps: z
    .strictObject({
      checkInterval: duration({ min: '100ms', max: '10m' }).prefault('2s').describe('How often seq gaps are looked for.'),
      alertAfter: duration({ max: '7d' }).prefault('5m').describe('A gap still unexplained (no drop report, not filled by a late replay) after this long makes /readyz answer 503.'),
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
