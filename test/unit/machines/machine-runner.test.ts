import assert from 'node:assert/strict';
import { once, EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { MachineConfig } from '../../../config/schema/index.ts';
import { parseConfig } from '../../../config/loader.ts';
import { createDriver } from '../../../drivers/registry.ts';
import type { Driver, Reading } from '../../../drivers/driver.ts';
import { Fleet } from '../../../agent/machines/fleet.ts';
import type { LinkStatus, MachineSink } from '../../../agent/machines/link-status.ts';
import { tempDir } from '../../helpers/tmp.ts';

const dir = tempDir();
const { config } = parseConfig(
  `agent: { id: t, dataDir: ${dir} }
location: { enterprise: e, site: s, area: a, line: l }
mqtt: { url: mqtt://127.0.0.1:1 }
machines:
  - { id: good-1, driver: sim, idealCycleTime: 1s, pollInterval: 20ms }
  - { id: broken, driver: sim, idealCycleTime: 1s, pollInterval: 20ms }
  - { id: good-2, driver: sim, idealCycleTime: 1s, pollInterval: 20ms }
`,
  'test.yaml',
  { env: {} },
);

/** Records what the fleet delivers and lets a test await a condition. */
class Recorder extends EventEmitter implements MachineSink {
  reads = new Map<string, number[]>();
  links: Array<[string, LinkStatus['state']]> = [];
  readings(machine: string, readings: Reading[]): void {
    const list = this.reads.get(machine) ?? [];
    list.push(readings[0]!.ts);
    this.reads.set(machine, list);
    this.emit('change');
  }
  link(machine: string, status: Readonly<LinkStatus>): void {
    this.links.push([machine, status.state]);
    this.emit('change');
  }
  async until(cond: () => boolean): Promise<void> {
    while (!cond()) await once(this, 'change');
  }
}

/** A device that refuses connections until told to come back: stands in for an unplugged PLC. */
function flakyDriver(inner: Driver, up: { value: boolean }): Driver {
  return {
    async connect(ctx) {
      if (!up.value) throw new Error('ECONNREFUSED (test device down)');
      await inner.connect(ctx);
    },
    async read() {
      if (!up.value) throw new Error('ETIMEDOUT (test device gone)');
      return inner.read!();
    },
    close: () => inner.close(),
  };
}

describe('machine runners', () => {
  it('keep healthy machines polling while one fails, and recover it without a restart', async () => {
    const up = { value: false };
    const sink = new Recorder();
    const fleet = new Fleet({
      machines: config.machines,
      sink,
      log: pino({ level: 'silent' }),
      dataDir: dir,
      createDriver: async (m: MachineConfig) => (m.id === 'broken' ? flakyDriver(await createDriver(m), up) : createDriver(m)),
    });
    await fleet.start();
    await sink.until(() => (sink.reads.get('good-1')?.length ?? 0) >= 10 && (sink.reads.get('good-2')?.length ?? 0) >= 10);
    assert.equal(sink.reads.get('broken'), undefined);
    assert.equal(fleet.status().broken?.state, 'disconnected');
    assert.match(fleet.status().broken?.lastError ?? '', /ECONNREFUSED/);
    // Cadence of the healthy machines is kept: no gap much longer than the poll interval.
    const ts = sink.reads.get('good-1')!;
    const gaps = ts.slice(1).map((t, i) => t - ts[i]!);
    assert.ok(Math.max(...gaps) < 1000, `gaps ${gaps.join(',')}`);
    up.value = true;
    await sink.until(() => (sink.reads.get('broken')?.length ?? 0) >= 3);
    assert.equal(fleet.status().broken?.state, 'connected');
    assert.ok(fleet.status().broken!.reconnects >= 1);
    await fleet.stop();
    assert.deepEqual(Object.values(fleet.status()).map((s) => s.state), ['stopped', 'stopped', 'stopped']);
  });
});

/** Driver calls as they happen, awaitable. */
class Calls extends EventEmitter {
  list: string[] = [];
  push(c: string): void {
    this.list.push(c);
    this.emit('call');
  }
  count(c: string): number {
    return this.list.filter((x) => x === c).length;
  }
  async until(cond: () => boolean): Promise<void> {
    while (!cond()) await once(this, 'call');
  }
}

/** A driver whose every call can be made to hang forever, as a wedged device or library does. */
function hangingDriver(hang: { connect?: boolean; read?: boolean; subscribe?: boolean; close?: boolean }, calls: Calls): Driver {
  const never = () => new Promise<never>(() => {});
  if (hang.subscribe) {
    // A report-by-exception driver (no read) whose subscription never completes.
    return {
      async connect() {
        calls.push('connect');
      },
      async subscribe() {
        calls.push('subscribe');
        return never();
      },
      async close() {
        calls.push('close');
      },
    };
  }
  return {
    async connect() {
      calls.push('connect');
      if (hang.connect) return never();
    },
    async read() {
      calls.push('read');
      if (hang.read) return never();
      return [{ tag: 'x', value: 1, quality: 'good', ts: Date.now() }];
    },
    async close() {
      calls.push('close');
      if (hang.close) return never();
    },
  };
}

describe('machine runner with a hung driver', () => {
  const one = [config.machines[0]!];
  const quiet = pino({ level: 'silent' });

  it('stop() finishes while connect() and close() never settle', async () => {
    const calls = new Calls();
    const sink = new Recorder();
    const fleet = new Fleet({ machines: one, sink, log: quiet, dataDir: dir, createDriver: async () => hangingDriver({ connect: true, close: true }, calls), timeouts: { connectMs: 60_000, readMs: 60_000, closeMs: 300 } });
    await fleet.start();
    await calls.until(() => calls.count('connect') >= 1);
    const t0 = performance.now();
    await fleet.stop();
    assert.ok(performance.now() - t0 < 8000, 'stop took too long');
    assert.equal(fleet.status()['good-1']?.state, 'stopped');
    assert.ok(calls.count('close') >= 1, 'the driver was closed');
  });

  it('a connect(), read() or subscribe() that hangs is timed out: the machine goes offline and is retried', async () => {
    for (const hang of [{ connect: true }, { read: true }, { subscribe: true }] as const) {
      const calls = new Calls();
      const sink = new Recorder();
      const fleet = new Fleet({ machines: one, sink, log: quiet, dataDir: dir, createDriver: async () => hangingDriver(hang, calls), timeouts: { connectMs: 200, readMs: 200, closeMs: 200 }, backoff: { minMs: 10, maxMs: 20 } });
      await fleet.start();
      await calls.until(() => calls.count('connect') >= 2);
      assert.ok(sink.links.some(([, state]) => state === 'disconnected'), JSON.stringify(hang));
      assert.match(fleet.status()['good-1']?.lastError ?? '', /did not finish within 200 ms/);
      await fleet.stop();
    }
  });
});
