// Shared pieces of the OPC UA integration tests: a driver context that records, a sink that
// records, and awaitable conditions instead of sleeps.
import { EventEmitter } from 'node:events';
import pino from 'pino';
import type { DriverContext, Reading } from '../../../drivers/driver.ts';
import type { LinkStatus, MachineSink } from '../../../agent/machines/link-status.ts';
import { SIM_OPCUA_VARIABLES } from '../../../drivers/sim/opcua-server.ts';
import type { SimSnapshot } from '../../../drivers/sim/model.ts';

export const quietLog = pino({ level: process.env.LINESIDE_TEST_LOG ?? 'silent' });

/** The six machine tags named as the model names them (running, partCount, ...). */
export const MACHINE_TAGS = SIM_OPCUA_VARIABLES.map((v) => ({ name: v.field, nodeId: `ns=2;s=Machine.${v.name}` }));

export class Recorder extends EventEmitter {
  readonly readings: Reading[] = [];
  /** Date.now() when each of `readings` arrived (a reading's ts may be the server's older time). */
  readonly arrivals: number[] = [];
  readonly latest = new Map<string, Reading>();
  readonly links: LinkStatus[] = [];
  lostErrors: Error[] = [];

  add(rs: Reading[]): void {
    const at = Date.now();
    for (const r of rs) {
      this.readings.push(r);
      this.arrivals.push(at);
      this.latest.set(r.tag, r);
    }
    this.emit('update');
  }

  /** Resolves once `cond()` holds, re-checked on every reading, link change or loss; fails after the timeout. */
  until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!cond()) return;
        clearTimeout(timer);
        this.off('update', check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.off('update', check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; latest: ${JSON.stringify(this.values())}`));
      }, timeoutMs);
      this.on('update', check);
    });
  }

  /** When the first good reading after `since` arrived, if one did. */
  firstGoodArrivalAfter(since: number): number | undefined {
    const i = this.readings.findIndex((r, k) => this.arrivals[k]! > since && r.quality === 'good');
    return i < 0 ? undefined : this.arrivals[i];
  }

  values(): Record<string, unknown> {
    return Object.fromEntries([...this.latest].map(([k, r]) => [k, r.value]));
  }

  context(dataDir: string, now: () => number = Date.now): DriverContext {
    return { log: quietLog, now, emit: (rs) => this.add(rs), lost: (err) => { this.lostErrors.push(err); this.emit('update'); }, dataDir };
  }

  sink(): MachineSink {
    return { readings: (_m, rs) => this.add(rs), link: (_m, s) => { this.links.push({ ...s }); this.emit('update'); } };
  }
}

/** For state that changes without an event to await: checks `cond` every 50 ms until the deadline. */
export async function pollUntil(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function snapshotValues(s: SimSnapshot): Record<string, unknown> {
  return Object.fromEntries(SIM_OPCUA_VARIABLES.map((v) => [v.field, s[v.field]]));
}
