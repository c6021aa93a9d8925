import assert from 'node:assert/strict';
import { once, EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { MachineConfig } from '../../../config/schema/index.ts';
import { parseConfig } from '../../../config/loader.ts';
import { createDriver } from '../../../drivers/registry.ts';
import type { Driver, Reading } from '../../../drivers/driver.ts';
import { Fleet } from '../../../agent/runtime/fleet.ts';
import type { LinkStatus, MachineSink } from '../../../agent/runtime/machine-runner.ts';
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
