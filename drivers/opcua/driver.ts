// The `opcua` driver: one session per machine, tags read by subscription (report by exception)
// or by batched polls. Every lost link is closed and rebuilt by the runner with back-off; before
// reporting the loss the driver marks every tag bad so the pipeline sees "communication lost".
import type { MachineConfig, OpcuaConnectionConfig, OpcuaTagConfig } from '../../config/schema/index.ts';
import type { Driver, DriverContext, Reading } from '../driver.ts';
import { pkiRoot } from './pki.ts';
import { PollReader, readMaxNodesPerRead } from './poll.ts';
import { openLink, type OpcuaLink } from './session.ts';
import { SourceClock } from './source-time.ts';
import { SubscriptionSet } from './subscriptions.ts';
import { acceptsConnections } from './tcp-probe.ts';
import { badReading } from './values.ts';

/** A reachability probe waits no longer than this for the TCP handshake. */
const PROBE_TIMEOUT_MS = 1000;

export class OpcuaDriver {
  readonly conn: OpcuaConnectionConfig;
  readonly tags: readonly OpcuaTagConfig[];
  #ctx: DriverContext | undefined;
  #link: OpcuaLink | undefined;
  #poll: PollReader | undefined;
  #subs: SubscriptionSet | undefined;
  // Kept across reconnects: a far-off clock is one incident, and a tag's time never runs back.
  #clock: SourceClock | undefined;
  #lostReported = false;
  #retryFailedMs: number | undefined;

  constructor(conn: OpcuaConnectionConfig, tags: readonly OpcuaTagConfig[], opts: { retryFailedMs?: number } = {}) {
    this.conn = conn;
    this.tags = tags;
    this.#retryFailedMs = opts.retryFailedMs;
  }

  /** Exposed for tests and status: the active poll reader / subscription set. */
  get pollReader(): PollReader | undefined {
    return this.#poll;
  }
  get subscriptions(): SubscriptionSet | undefined {
    return this.#subs;
  }
  get sourceClock(): SourceClock | undefined {
    return this.#clock;
  }

  async connect(ctx: DriverContext): Promise<void> {
    if (this.#link) return;
    this.#ctx = ctx;
    this.#lostReported = false;
    const clock = (this.#clock ??= new SourceClock({ maxSkewMs: this.conn.maxClockSkew, useSource: this.conn.timestamps === 'source', log: ctx.log, now: ctx.now }));
    // Failures are explained (diagnose.ts) and logged by the runner, once per distinct one.
    this.#link = await openLink(this.conn, { pkiRoot: pkiRoot(ctx.dataDir), log: ctx.log, onLost: (err) => this.#lost(err), onServerTime: (t) => clock.observe(t), ...(ctx.agent ? { agent: ctx.agent } : {}) });
    ctx.log.debug({ endpoint: this.conn.endpoint, securityMode: this.conn.securityMode, securityPolicy: this.conn.securityPolicy, serverFingerprint: this.#link.serverFingerprint, clockOffsetMs: clock.offsetMs }, 'OPC UA session open');
    if (this.conn.mode === 'poll') {
      const max = await readMaxNodesPerRead(this.#link.session).catch(() => 0);
      this.#poll = new PollReader(this.tags, max);
    }
  }

  async read(): Promise<Reading[]> {
    const link = this.#link;
    if (!link || !this.#poll || !this.#ctx || !this.#clock) throw new Error('not connected');
    return this.#clock.stamp(await this.#poll.read(link.session, this.#ctx.now));
  }

  async subscribe(): Promise<void> {
    const link = this.#link;
    const ctx = this.#ctx;
    if (!link || !ctx) throw new Error('not connected');
    this.#subs?.stop();
    this.#subs = new SubscriptionSet(link.session, { conn: this.conn, tags: this.tags, now: ctx.now, emit: (rs) => this.#emit(rs), log: ctx.log, onLost: (err) => this.#lost(err), ...(this.#retryFailedMs ? { retryFailedMs: this.#retryFailedMs } : {}) });
    await this.#subs.start();
  }

  async close(): Promise<void> {
    this.#subs?.stop();
    this.#subs = undefined;
    this.#poll = undefined;
    const link = this.#link;
    this.#link = undefined;
    await link?.close();
  }

  /** A TCP connect to the server's port: one refused SYN for a server that is down. */
  reachable(signal: AbortSignal): Promise<boolean> {
    return acceptsConnections(this.conn.endpoint, Math.min(PROBE_TIMEOUT_MS, this.conn.timeout), signal);
  }

  #emit(readings: Reading[]): void {
    const ctx = this.#ctx;
    if (ctx && this.#clock) ctx.emit(this.#clock.stamp(readings));
  }

  #lost(err: Error): void {
    const ctx = this.#ctx;
    if (!ctx || this.#lostReported) return;
    this.#lostReported = true;
    // Mark the values before the runner flips the machine to disconnected: "unknown", not "unchanged".
    const ts = ctx.now();
    this.#emit(this.tags.map((t) => badReading(t.name, ts)));
    ctx.lost(err);
  }
}

export function createOpcuaDriver(machine: MachineConfig): Driver {
  if (machine.driver !== 'opcua') throw new Error(`opcua driver given a ${machine.driver} machine`);
  const d = new OpcuaDriver(machine.connection, machine.tags);
  const common = { connect: (c: DriverContext) => d.connect(c), close: () => d.close(), reachable: (s: AbortSignal) => d.reachable(s) };
  // The runner picks the acquisition mode by which methods a driver has.
  if (machine.connection.mode === 'poll') return { ...common, read: () => d.read() };
  return { ...common, subscribe: () => d.subscribe() };
}
