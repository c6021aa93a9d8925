// The `opcua` driver: one session per machine, tags read by subscription (report by exception)
// or by batched polls. Every lost link is closed and rebuilt by the runner with back-off; before
// reporting the loss the driver marks every tag bad so the pipeline sees "communication lost".
import type { MachineConfig, OpcuaConnectionConfig, OpcuaTagConfig } from '../../config/schema/index.ts';
import type { Driver, DriverContext, Reading } from '../driver.ts';
import { pkiRoot } from './pki.ts';
import { PollReader, readMaxNodesPerRead } from './poll.ts';
import { openLink, UntrustedServerError, type OpcuaLink } from './session.ts';
import { SubscriptionSet } from './subscriptions.ts';
import { badReading } from './values.ts';

export class OpcuaDriver {
  readonly conn: OpcuaConnectionConfig;
  readonly tags: readonly OpcuaTagConfig[];
  #ctx: DriverContext | undefined;
  #link: OpcuaLink | undefined;
  #poll: PollReader | undefined;
  #subs: SubscriptionSet | undefined;
  #warnedUntrusted = new Set<string>();
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

  async connect(ctx: DriverContext): Promise<void> {
    if (this.#link) return;
    this.#ctx = ctx;
    this.#lostReported = false;
    try {
      this.#link = await openLink(this.conn, { pkiRoot: pkiRoot(ctx.dataDir), log: ctx.log, onLost: (err) => this.#lost(err) });
    } catch (err) {
      if (err instanceof UntrustedServerError && !this.#warnedUntrusted.has(err.fingerprint)) {
        this.#warnedUntrusted.add(err.fingerprint);
        ctx.log.warn({ fingerprint: err.fingerprint, command: `lineside opcua trust ${err.fingerprint}` }, err.message);
      }
      throw err;
    }
    ctx.log.debug({ endpoint: this.conn.endpoint, securityMode: this.conn.securityMode, securityPolicy: this.conn.securityPolicy, serverFingerprint: this.#link.serverFingerprint }, 'OPC UA session open');
    if (this.conn.mode === 'poll') {
      const max = await readMaxNodesPerRead(this.#link.session).catch(() => 0);
      this.#poll = new PollReader(this.tags, max);
    }
  }

  async read(): Promise<Reading[]> {
    const link = this.#link;
    if (!link || !this.#poll || !this.#ctx) throw new Error('not connected');
    return this.#poll.read(link.session, this.#ctx.now);
  }

  async subscribe(): Promise<void> {
    const link = this.#link;
    const ctx = this.#ctx;
    if (!link || !ctx) throw new Error('not connected');
    this.#subs?.stop();
    this.#subs = new SubscriptionSet(link.session, { conn: this.conn, tags: this.tags, now: ctx.now, emit: ctx.emit, log: ctx.log, onLost: (err) => this.#lost(err), ...(this.#retryFailedMs ? { retryFailedMs: this.#retryFailedMs } : {}) });
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

  #lost(err: Error): void {
    const ctx = this.#ctx;
    if (!ctx || this.#lostReported) return;
    this.#lostReported = true;
    // Mark the values before the runner flips the machine to disconnected: "unknown", not "unchanged".
    const ts = ctx.now();
    ctx.emit(this.tags.map((t) => badReading(t.name, ts)));
    ctx.lost(err);
  }
}

export function createOpcuaDriver(machine: MachineConfig): Driver {
  if (machine.driver !== 'opcua') throw new Error(`opcua driver given a ${machine.driver} machine`);
  const d = new OpcuaDriver(machine.connection, machine.tags);
  // The runner picks the acquisition mode by which methods a driver has.
  if (machine.connection.mode === 'poll') return { connect: (c) => d.connect(c), read: () => d.read(), close: () => d.close() };
  return { connect: (c) => d.connect(c), subscribe: () => d.subscribe(), close: () => d.close() };
}
