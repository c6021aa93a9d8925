// One physical Modbus link (a TCP connection, an RTU gateway socket or a serial bus), shared by
// every machine configured on it and reference-counted. A fresh modbus-serial client is built on
// every (re)open, so a link never gets stuck in "port not open" after a broken connection.
import ModbusSerial from 'modbus-serial';
import type { ModbusRTU as ModbusClient } from 'modbus-serial/ModbusRTU.js';
import type { ModbusConnectionConfig } from '../../config/schema/index.ts';
import { modbusLinkKey } from '../../config/schema/devices.ts';
import { BusQueue } from './bus-queue.ts';
import type { Area } from './planner.ts';

/** Unanswered requests in a row, across all units, after which the link is reopened. */
const SILENT_LIMIT = 3;

// A CommonJS default export: at run time the import is the client class itself.
const ModbusRTU = ModbusSerial as unknown as new () => ModbusClient;
export type { ModbusClient };

export class ModbusTimeoutError extends Error {
  constructor(unit: number, ms: number) {
    super(`unit ${unit} did not answer within ${ms} ms`);
    this.name = 'ModbusTimeoutError';
  }
}

export class ModbusExceptionError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.name = 'ModbusExceptionError';
    this.code = code;
  }
}

export class LinkDownError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LinkDownError';
  }
}

export interface LinkStats {
  link: string;
  open: boolean;
  opens: number;
  requests: number;
  timeouts: number;
  exceptions: number;
  badFrames: number;
}

export type LinkSettings = Pick<ModbusConnectionConfig, 'transport' | 'host' | 'port' | 'serial' | 'pipelineDepth' | 'interFrameDelay'>;

/** One link per key: the same definition the config check uses to make sharing machines agree. */
export const linkKey: (c: LinkSettings) => string = modbusLinkKey;

function callbackResult<T>(fn: (cb: (err: unknown, res: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res))));
}

export class ModbusLink {
  readonly key: string;
  readonly stats: LinkStats;
  #settings: LinkSettings;
  #client: ModbusClient | undefined;
  #opening: Promise<void> | undefined;
  #queue: BusQueue;
  #silentInARow = 0;
  #silentUnits = new Set<number>();
  /** Unit ids of the machines using this link (unit → machines). */
  #users = new Map<number, number>();
  /** Requests on the wire; failed at once when the link drops instead of waiting out their timeout. */
  #inflight = new Set<(err: Error) => void>();
  #closed = false;
  refs = 0;

  constructor(settings: LinkSettings) {
    this.#settings = settings;
    this.key = linkKey(settings);
    // Only Modbus TCP carries transaction ids; RTU frames (serial or tunnelled) must go one at a time.
    const depth = settings.transport === 'tcp' ? settings.pipelineDepth : 1;
    this.#queue = new BusQueue({ depth, interFrameDelayMs: settings.transport === 'tcp' ? 0 : settings.interFrameDelay });
    this.stats = { link: this.key, open: false, opens: 0, requests: 0, timeouts: 0, exceptions: 0, badFrames: 0 };
  }

  get isOpen(): boolean {
    return this.#client?.isOpen === true;
  }

  /** Open unless already open; concurrent callers share one attempt. */
  open(timeoutMs: number): Promise<void> {
    if (this.#closed) return Promise.reject(new LinkDownError(`${this.key}: closed`));
    if (this.isOpen) return Promise.resolve();
    this.#opening ??= this.#open(timeoutMs).finally(() => (this.#opening = undefined));
    return this.#opening;
  }

  async #open(timeoutMs: number): Promise<void> {
    await this.#drop(new LinkDownError(`${this.key}: reconnecting`));
    const client = new ModbusRTU();
    // Listen before opening: a serial open that completes or fails after our timeout still emits
    // 'error' on this client, and an unheard 'error' would end the process.
    client.on('error', () => {});
    const s = this.#settings;
    const connecting =
      s.transport === 'tcp'
        ? client.connectTCP(s.host!, { port: s.port })
        : s.transport === 'rtu-over-tcp'
          ? client.connectTelnet(s.host!, { port: s.port })
          : client.connectRTUBuffered(s.serial!.path, { baudRate: s.serial!.baudRate, parity: s.serial!.parity, dataBits: s.serial!.dataBits, stopBits: s.serial!.stopBits });
    // The attempt may still fail after the timeout won the race; that late failure is not news.
    connecting.catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new LinkDownError(`${this.key}: connect timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([connecting, timeout]);
    } catch (err) {
      void closeQuietly(client, s.transport === 'rtu');
      throw err instanceof LinkDownError ? err : new LinkDownError(`${this.key}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      clearTimeout(timer);
    }
    if (this.#closed) {
      // Released while connecting (the agent is stopping): do not leave a socket behind.
      void closeQuietly(client, s.transport === 'rtu');
      throw new LinkDownError(`${this.key}: closed`);
    }
    client.on('close', () => {
      if (this.#client === client) void this.#drop(new LinkDownError(`${this.key}: connection closed`));
    });
    this.#client = client;
    this.stats.open = true;
    this.stats.opens++;
  }

  /**
   * Read one block. Rejects with ModbusTimeoutError (no answer), ModbusExceptionError (the device
   * answered with an exception), LinkDownError (not connected) or another Error (malformed frame).
   */
  read(unit: number, area: Area, address: number, count: number, timeoutMs: number, signal?: AbortSignal): Promise<number[] | boolean[]> {
    return this.#queue.run(() => this.#request(unit, area, address, count, timeoutMs), signal);
  }

  async #request(unit: number, area: Area, address: number, count: number, timeoutMs: number): Promise<number[] | boolean[]> {
    const client = this.#client;
    if (!client?.isOpen) throw new LinkDownError(`${this.key}: not connected`);
    this.stats.requests++;
    const call = callbackResult<{ data: number[] | boolean[] }>((cb) => {
      const next = cb as Parameters<ModbusClient['writeFC3']>[3] & Parameters<ModbusClient['writeFC1']>[3];
      if (area === 'holding') client.writeFC3(unit, address, count, next);
      else if (area === 'input') client.writeFC4(unit, address, count, next);
      else if (area === 'coil') client.writeFC1(unit, address, count, next);
      else client.writeFC2(unit, address, count, next);
    });
    let timer: NodeJS.Timeout | undefined;
    let abandon: ((err: Error) => void) | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ModbusTimeoutError(unit, timeoutMs)), timeoutMs);
      abandon = reject;
      this.#inflight.add(reject);
    });
    try {
      const res = await Promise.race([call, timeout]);
      this.#answered();
      return res.data.slice(0, count);
    } catch (err) {
      throw this.#classify(err, client, unit);
    } finally {
      clearTimeout(timer);
      this.#inflight.delete(abandon!);
    }
  }

  #answered(): void {
    this.#silentInARow = 0;
    this.#silentUnits.clear();
  }

  addUser(unit: number): void {
    this.#users.set(unit, (this.#users.get(unit) ?? 0) + 1);
  }

  removeUser(unit: number): void {
    const n = (this.#users.get(unit) ?? 0) - 1;
    if (n > 0) this.#users.set(unit, n);
    else this.#users.delete(unit);
  }

  /**
   * A socket can stay "open" after a cable is pulled or a gateway reboots. When every unit of the
   * link has gone unanswered, SILENT_LIMIT requests in a row, the link starts over with a fresh
   * connection. One dead unit among live ones never triggers it, nor does a serial port (no
   * half-open state) or a probe scanning for units (no users).
   */
  #halfOpen(): boolean {
    return this.#settings.transport !== 'rtu' && this.#users.size > 0 && this.#silentInARow >= SILENT_LIMIT && [...this.#users.keys()].every((u) => this.#silentUnits.has(u));
  }

  #classify(err: unknown, client: ModbusClient, unit: number): Error {
    if (err instanceof LinkDownError) return err;
    if (err instanceof ModbusTimeoutError) {
      this.stats.timeouts++;
      this.#silentInARow++;
      this.#silentUnits.add(unit);
      if (this.#halfOpen() && this.#client === client) void this.#drop(new LinkDownError(`${this.key}: no unit answered ${this.#silentInARow} requests in a row; reconnecting`));
      return err;
    }
    const e = err as { modbusCode?: number; message?: string; errno?: string; name?: string };
    this.#answered();
    if (typeof e.modbusCode === 'number') {
      this.stats.exceptions++;
      return new ModbusExceptionError(e.modbusCode, e.message ?? `Modbus exception ${e.modbusCode}`);
    }
    if (!client.isOpen || e.name === 'PortNotOpenError') return new LinkDownError(`${this.key}: ${e.message ?? 'not connected'}`);
    if (e.name === 'TransactionTimedOutError') {
      this.stats.timeouts++;
      return new ModbusTimeoutError(unit, 0);
    }
    this.stats.badFrames++;
    return err instanceof Error ? err : new Error(String(err));
  }

  /** Forget the client (closing it) and fail everything queued behind it. */
  async #drop(err: Error): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    this.stats.open = false;
    this.#queue.clear(err);
    for (const fail of [...this.#inflight]) fail(err);
    this.#inflight.clear();
    if (client) await closeQuietly(client, this.#settings.transport === 'rtu');
  }

  close(): Promise<void> {
    this.#closed = true;
    return this.#drop(new LinkDownError(`${this.key}: closed`));
  }
}

/**
 * Close without trusting the callback: modbus-serial skips it when the socket already failed.
 * Sockets are destroyed (a graceful end can linger on a dead peer or a pending connect); a serial
 * port is closed so the device is free to open again.
 */
function closeQuietly(client: ModbusClient, serial: boolean): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 1000);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    try {
      if (serial) client.close(done);
      else {
        client.destroy(() => {});
        done();
      }
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

const links = new Map<string, ModbusLink>();

/** The link for these settings, shared with every other machine on the same connection or bus. */
export function acquireLink(settings: LinkSettings): ModbusLink {
  const key = linkKey(settings);
  let link = links.get(key);
  if (!link) {
    link = new ModbusLink(settings);
    links.set(key, link);
  }
  link.refs++;
  return link;
}

export async function releaseLink(link: ModbusLink): Promise<void> {
  link.refs--;
  if (link.refs > 0) return;
  if (links.get(link.key) === link) links.delete(link.key);
  await link.close();
}

/** Counters of every open link, for metrics and diagnostics. */
export function linkStats(): LinkStats[] {
  return [...links.values()].map((l) => ({ ...l.stats }));
}
