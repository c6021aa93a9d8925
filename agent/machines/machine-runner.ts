// Keeps one machine's driver connected and read, whatever the device does. A failure here is
// logged once on the transition, retried with back-off, and never reaches other machines.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MachineConfig } from '../../config/schema/index.ts';
import { ActionRequiredError, type AgentIdentity, type Driver, type DriverContext } from '../../drivers/driver.ts';
import type { Logger } from '../log.ts';
import { Backoff, delay } from '../lifecycle/backoff.ts';
import { bounded, firstAbort } from '../lifecycle/bounded.ts';
import type { LinkState, LinkStatus, MachineSink } from './link-status.ts';

export interface RunnerOptions {
  machine: MachineConfig;
  createDriver: (m: MachineConfig) => Promise<Driver>;
  sink: MachineSink;
  log: Logger;
  dataDir: string;
  /** Passed on to drivers (an OPC UA client certificate names the agent). */
  agent?: AgentIdentity;
  now?: () => number;
  backoff?: { minMs: number; maxMs: number };
  /**
   * Last-resort watchdogs (ms) over the driver's own timeouts: a connect, read or close that never
   * settles (a wedged device or library) must neither freeze the machine nor block stop().
   */
  timeouts?: { connectMs?: number; readMs?: number; closeMs?: number };
}

// Defaults stay well above what a driver may legitimately take with its configured request
// timeout (a read can span several requests, each timing out), so they only catch real hangs.
const WATCHDOG_MIN_MS = 60_000;
const CLOSE_TIMEOUT_MS = 5_000;
/**
 * A restarted PLC must not wait for a back-off slot that may be a minute away; a TCP connect to a
 * closed port costs the device one refused SYN, so probing this often is no load.
 */
const PROBE_INTERVAL_MS = 500;

function driverTimeout(m: MachineConfig): number {
  const t = (m.connection as { timeout?: unknown } | undefined)?.timeout;
  return typeof t === 'number' && Number.isFinite(t) ? t : 0;
}

export class MachineRunner {
  readonly id: string;
  readonly driver: string;
  #o: RunnerOptions;
  #now: () => number;
  #abort = new AbortController();
  #done: Promise<void> | undefined;
  #driver: Driver | undefined;
  /** Ends the current link session: the driver reported the link lost, or the runner stops. */
  #session: AbortController | undefined;
  #status: LinkStatus;
  /** Actionable failures already logged at warn during the current outage. */
  #warned = new Set<string>();

  constructor(opts: RunnerOptions) {
    this.#o = opts;
    this.id = opts.machine.id;
    this.driver = opts.machine.driver;
    this.#now = opts.now ?? Date.now;
    this.#status = { state: 'connecting', since: this.#now(), reconnects: 0, polls: 0, pollErrors: 0, overruns: 0 };
  }

  get status(): Readonly<LinkStatus> {
    return this.#status;
  }

  start(): void {
    this.#done ??= this.#loop().catch((err: unknown) => {
      // The loop handles every device error itself; reaching here is a bug, still not fatal to others.
      this.#o.log.error({ err }, 'machine runner stopped unexpectedly');
    });
  }

  async stop(): Promise<void> {
    this.#abort.abort(new Error('stopping'));
    await this.#done;
    this.#setState('stopped');
  }

  async #loop(): Promise<void> {
    const { log } = this.#o;
    const backoff = new Backoff(this.#o.backoff ?? { minMs: 1000, maxMs: 60_000 });
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      try {
        this.#driver ??= await bounded(this.#o.createDriver(this.#o.machine), { signals: [signal] });
        const driver = this.#driver;
        await this.#call(() => driver.connect(this.#context()), this.#connectWatchdog(), 'driver connect', [signal]);
        if (signal.aborted) break;
        const wasDown = this.#status.state === 'disconnected';
        this.#setState('connected');
        if (wasDown) log.info({ reconnects: this.#status.reconnects }, 'machine connection recovered');
        else log.info('machine connected');
        backoff.reset();
        await this.#serve(this.#driver, signal);
      } catch (err) {
        if (signal.aborted) break;
        this.#fail(err);
      }
      await this.#closeDriver();
      if (signal.aborted) break;
      this.#status.reconnects++;
      await this.#pause(backoff, signal);
    }
    await this.#closeDriver();
  }

  /**
   * Waits out the back-off, but a device that refused connections when the wait began and accepts
   * them again ends the wait at once and starts the schedule over: it came back. A device that
   * accepts connections and still fails (certificates, a full server) gets the whole back-off.
   */
  async #pause(backoff: Backoff, signal: AbortSignal): Promise<void> {
    const ms = backoff.next();
    const driver = this.#driver;
    if (!driver?.reachable) {
      await delay(ms, signal);
      return;
    }
    const until = performance.now() + ms;
    const probe = () => driver.reachable!(signal).catch(() => false);
    if (await probe()) {
      await delay(until - performance.now(), signal);
      return;
    }
    while (!signal.aborted) {
      const left = until - performance.now();
      if (left <= 0) return;
      await delay(Math.min(PROBE_INTERVAL_MS, left), signal);
      if (signal.aborted || performance.now() >= until) return;
      if (await probe()) {
        backoff.reset();
        return;
      }
    }
  }

  /** Runs until the link is lost (throws) or the runner stops (returns). */
  async #serve(driver: Driver, signal: AbortSignal): Promise<void> {
    const session = new AbortController();
    this.#session = session;
    const ends = [signal, session.signal];
    if (driver.subscribe) await this.#call(() => driver.subscribe!(), this.#connectWatchdog(), 'driver subscribe', ends);
    if (!driver.read) {
      const ended = await firstAbort(ends);
      if (ended === session.signal && !signal.aborted) throw session.signal.reason;
      return;
    }
    const interval = this.#o.machine.pollInterval;
    const readTimeout = this.#o.timeouts?.readMs ?? Math.max(WATCHDOG_MIN_MS, 3 * interval, 10 * driverTimeout(this.#o.machine));
    // Cadence runs on the monotonic wall clock; the injected clock (which a demo may accelerate)
    // only stamps readings and states.
    let next = performance.now();
    while (!signal.aborted) {
      const started = performance.now();
      const readings = await this.#call(() => driver.read!(), readTimeout, 'driver read', ends);
      const ended = performance.now();
      this.#status.polls++;
      this.#status.lastPollMs = ended - started;
      if (readings.length) this.#o.sink.readings(this.id, readings);
      next += interval;
      if (next <= ended) {
        // Keep the cadence: skip the ticks a slow read missed instead of bunching reads up.
        const missed = Math.floor((ended - next) / interval) + 1;
        this.#status.overruns += missed;
        next += missed * interval;
      }
      await delay(next - ended, signal);
    }
  }

  #context(): DriverContext {
    return {
      log: this.#o.log,
      now: this.#now,
      emit: (readings) => {
        if (readings.length && this.#status.state === 'connected') this.#o.sink.readings(this.id, readings);
      },
      lost: (err) => this.#session?.abort(err),
      dataDir: this.#driverDir(),
      ...(this.#o.agent ? { agent: this.#o.agent } : {}),
    };
  }

  #driverDir(): string {
    const dir = join(this.#o.dataDir, 'drivers', this.#o.machine.driver);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  #fail(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    const first = this.#status.state !== 'disconnected';
    if (this.#status.state === 'connected') this.#status.pollErrors++;
    this.#status.lastError = message;
    this.#setState('disconnected');
    if (first) this.#warned.clear();
    // Once on the transition; repeats of the same failure go to debug so a dead PLC does not flood
    // the log. A new failure the engineer must act on is worth a warning of its own, once.
    const action = err instanceof ActionRequiredError && !this.#warned.has(message);
    if (action) this.#warned.add(message);
    const fields = err instanceof ActionRequiredError ? err.fields : {};
    if (first || action) this.#o.log.warn({ err: message, ...fields }, 'machine unreachable; retrying with back-off');
    else this.#o.log.debug({ err: message }, 'machine still unreachable');
  }

  #setState(state: LinkState): void {
    if (this.#status.state === state) return;
    this.#status = { ...this.#status, state, since: this.#now() };
    this.#o.sink.link(this.id, this.#status);
  }

  #connectWatchdog(): number {
    return this.#o.timeouts?.connectMs ?? Math.max(WATCHDOG_MIN_MS, 3 * driverTimeout(this.#o.machine));
  }

  /**
   * Wait for a driver call, but no longer than `ms`, and not past stop() or a lost link. A call
   * left behind keeps running in the driver; its late result or rejection is ignored.
   */
  #call<T>(call: () => Promise<T>, ms: number, what: string, ends: AbortSignal[]): Promise<T> {
    return bounded(Promise.resolve().then(call), { ms, what, signals: ends });
  }

  async #closeDriver(): Promise<void> {
    this.#session = undefined;
    const driver = this.#driver;
    if (!driver) return;
    try {
      // Not raced with stop(): closing is part of stopping; only bounded.
      await this.#call(() => driver.close(), this.#o.timeouts?.closeMs ?? CLOSE_TIMEOUT_MS, 'driver close', []);
    } catch (err) {
      this.#o.log.debug({ err }, 'driver close failed');
    }
  }
}
