// `lineside ingest`, wired: subscriber → decode → batcher → writer (PostgreSQL), the gap finder
// on a timer, and the HTTP server. Constructing does no I/O; start() connects, stop() drains.
import type { Server } from 'node:http';
import pg from 'pg';
import type { Logger } from 'pino';
import { Batcher } from './batcher.ts';
import type { IngestConfig } from './config.ts';
import { decode } from './decode.ts';
import { GapFinder, type OpenGap } from './gaps.ts';
import { startHttp, type Readiness } from './http.ts';
import { IngestMetrics } from './metrics.ts';
import { migrate } from './migrations.ts';
import { Subscriber } from './subscriber.ts';
import { Writer } from './writer.ts';

export class Ingest {
  readonly metrics = new IngestMetrics();
  readonly #c: IngestConfig;
  readonly #log: Logger;
  readonly #pool: pg.Pool;
  readonly #batcher: Batcher;
  readonly #subscriber: Subscriber;
  readonly #gaps: GapFinder;
  #gapTimer: NodeJS.Timeout | undefined;
  #gapRun: Promise<void> | undefined;
  #gapFailing = false;
  #overdue: OpenGap[] = [];
  #server: Server | undefined;

  constructor(c: IngestConfig, log: Logger) {
    this.#c = c;
    this.#log = log;
    this.#pool = new pg.Pool({ connectionString: c.postgres.url, max: c.postgres.poolSize, options: `-c search_path=${c.postgres.schema}`, application_name: `lineside-ingest ${c.mqtt.clientId}` });
    // An idle client's error (server restarted) must not crash the process; the next query reconnects.
    this.#pool.on('error', (err) => this.#log.debug({ err: err.message }, 'idle database connection lost'));
    this.#batcher = new Batcher({ maxRows: c.batch.maxRows, maxDelayMs: c.batch.maxDelay, concurrency: c.batch.concurrency }, new Writer(this.#pool), log, this.metrics);
    this.#subscriber = new Subscriber(
      { ...c.mqtt, sessionExpiryMs: c.mqtt.sessionExpiry, keepaliveMs: c.mqtt.keepalive, reconnectMs: c.mqtt.reconnect },
      log,
      (topic, payload, ack) => this.#batcher.push({ topic, payload, decoded: decode(topic, payload), ack }),
    );
    this.#gaps = new GapFinder(this.#pool, c.gaps.alertAfter);
  }

  get port(): number {
    const a = this.#server?.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  readiness(): Readiness {
    const problems: string[] = [];
    if (!this.#subscriber.ready) problems.push('broker: not connected and subscribed');
    if (!this.#batcher.dbUp) problems.push('database: writes fail');
    for (const g of this.#overdue) problems.push(`seq gap: agent ${g.agentId} seqs ${g.firstSeq}..${g.lastSeq} unexplained since ${g.detectedAt.toISOString()}`);
    return { ready: problems.length === 0, problems, pending: this.#batcher.pending, gapsOverdue: this.#overdue.map((g) => ({ ...g, detectedAt: g.detectedAt.toISOString() })) };
  }

  async start(): Promise<void> {
    const client = await this.#pool.connect();
    try {
      const applied = await migrate(client, this.#c.postgres.schema);
      if (applied.length) this.#log.info({ applied, schema: this.#c.postgres.schema }, 'database migrated');
    } finally {
      client.release();
    }
    this.#server = await startHttp(this.#c.http.host, this.#c.http.port, this.metrics.registry, () => this.readiness());
    this.#log.info({ port: this.port }, 'http listening');
    this.#subscriber.start();
    this.#gapTimer = setInterval(() => {
      this.metrics.mqttUp.set(this.#subscriber.ready ? 1 : 0);
      this.metrics.pending.set(this.#batcher.pending);
      this.#gapRun ??= this.#checkGaps().finally(() => (this.#gapRun = undefined));
    }, this.#c.gaps.checkInterval);
  }

  async #checkGaps(): Promise<void> {
    try {
      const { open, overdue } = await this.#gaps.check();
      this.metrics.gapsOpen.reset();
      this.metrics.gapSeqsOpen.reset();
      for (const g of open) {
        this.metrics.gapsOpen.inc({ agent: g.agentId });
        this.metrics.gapSeqsOpen.inc({ agent: g.agentId }, g.lastSeq - g.firstSeq + 1);
      }
      const before = new Set(this.#overdue.map((g) => `${g.agentId}:${g.firstSeq}-${g.lastSeq}`));
      for (const g of overdue) if (!before.has(`${g.agentId}:${g.firstSeq}-${g.lastSeq}`)) this.#log.warn({ agent: g.agentId, firstSeq: g.firstSeq, lastSeq: g.lastSeq, since: g.detectedAt }, 'seq gap unexplained');
      this.#overdue = overdue;
      this.metrics.gapsOverdue.set(overdue.length);
      const { rows } = await this.#pool.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM agents GROUP BY status');
      this.metrics.agents.reset();
      for (const r of rows) this.metrics.agents.set({ status: r.status }, r.n);
      if (this.#gapFailing) this.#log.info('gap check works again');
      this.#gapFailing = false;
    } catch (err) {
      if (!this.#gapFailing) this.#log.warn({ err: (err as Error).message }, 'gap check failed');
      this.#gapFailing = true;
    }
  }

  /** Commits what was received (so it is acknowledged), then disconnects; bounded by timeoutMs. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.#gapTimer) clearInterval(this.#gapTimer);
    await this.#batcher.drain(AbortSignal.timeout(timeoutMs));
    this.#batcher.abandon();
    await this.#subscriber.stop();
    await this.#gapRun;
    await new Promise((r) => (this.#server ? this.#server.close(r) : r(undefined)));
    await this.#pool.end();
  }
}
