// The driver, run by the real machine runners, against the Modbus simulator over TCP.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import pino from 'pino';
import type { MachineConfig } from '../../../config/schema/machine.ts';
import type { Reading } from '../../../drivers/driver.ts';
import { createModbusDriver } from '../../../drivers/modbus/driver.ts';
import { acquireLink, ModbusTimeoutError, releaseLink } from '../../../drivers/modbus/link.ts';
import { startModbusSimulator, writeSnapshot, type ModbusSimulator } from '../../../drivers/sim/modbus-server.ts';
import { Fleet } from '../../../agent/machines/fleet.ts';
import type { LinkStatus, MachineSink } from '../../../agent/machines/link-status.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { byTag, context, modbusMachine, until } from './helpers.ts';

const SIM_TAGS = [
  { name: 'running', area: 'coil', address: 0, type: 'bool' },
  { name: 'parts', address: 0, type: 'uint32' },
  { name: 'rejects', address: 2, type: 'uint32' },
  { name: 'fault', address: 4 },
  { name: 'mode', address: 5 },
  { name: 'speed', address: 6, type: 'float32' },
  { name: 'changeover', address: 8, bit: 2, type: 'bool' },
  // Far from the others: a request of its own, so one poll makes three requests.
  { name: 'scratch', address: 200 },
];

class Recorder implements MachineSink {
  polls = new Map<string, Reading[][]>();
  status = new Map<string, LinkStatus>();
  readings(machine: string, readings: Reading[]): void {
    const list = this.polls.get(machine) ?? [];
    list.push(readings);
    this.polls.set(machine, list);
  }
  link(machine: string, status: Readonly<LinkStatus>): void {
    this.status.set(machine, { ...status });
  }
  count(machine: string): number {
    return this.polls.get(machine)?.length ?? 0;
  }
  state(machine: string): string | undefined {
    return this.status.get(machine)?.state;
  }
}

const sims: ModbusSimulator[] = [];
const fleets: Fleet[] = [];
afterEach(async () => {
  await Promise.all(fleets.splice(0).map((f) => f.stop()));
  await Promise.all(sims.splice(0).map((s) => s.stop()));
});

async function sim(opts: Parameters<typeof startModbusSimulator>[0] = {}) {
  const s = await startModbusSimulator(opts);
  sims.push(s);
  return s;
}

function fleet(machines: MachineConfig[]) {
  const sink = new Recorder();
  const f = new Fleet({ machines, sink, log: pino({ level: 'silent' }), dataDir: tempDir() });
  fleets.push(f);
  void f.start();
  return sink;
}

describe('modbus driver against the simulator', () => {
  it('reads the documented register map with a word-swapped device', async () => {
    const s = await sim({ units: [7], byteOrder: 'CDAB' });
    s.freeze(true);
    writeSnapshot(s.bank(7), { running: false, partCount: 70_123, rejectCount: 65_537, faultCode: 205, speed: 58.5, mode: 2 }, 'CDAB');
    const driver = createModbusDriver(modbusMachine('m', { host: s.host, port: s.port, unitId: 7, byteOrder: 'CDAB' }, SIM_TAGS));
    try {
      await driver.connect(context());
      const got = byTag(await driver.read!());
      assert.deepEqual(
        Object.fromEntries(Object.entries(got).map(([k, r]) => [k, r.value])),
        { running: false, parts: 70_123, rejects: 65_537, fault: 205, mode: 2, speed: 58.5, changeover: true, scratch: 0 },
      );
      assert.ok(Object.values(got).every((r) => r.quality === 'good'));
    } finally {
      await driver.close();
    }
  });

  it('speaks RTU over TCP to a serial gateway, several units through one socket', async () => {
    const s = await sim({ transport: 'rtu-over-tcp', units: [1, 2] });
    s.freeze(true);
    writeSnapshot(s.bank(2), { running: true, partCount: 99, rejectCount: 1, faultCode: 0, speed: 30, mode: 1 }, 'ABCD');
    const conn = { transport: 'rtu-over-tcp', host: s.host, port: s.port, timeout: '500ms' };
    const d1 = createModbusDriver(modbusMachine('g1', { ...conn, unitId: 1 }, SIM_TAGS));
    const d2 = createModbusDriver(modbusMachine('g2', { ...conn, unitId: 2 }, SIM_TAGS));
    try {
      await d1.connect(context());
      await d2.connect(context());
      const [r1, r2] = await Promise.all([d1.read!(), d2.read!()]);
      assert.equal(byTag(r1).parts!.value, 0);
      assert.deepEqual([byTag(r2).parts!.value, byTag(r2).rejects!.value, byTag(r2).speed!.value], [99, 1, 30]);
    } finally {
      await d1.close();
      await d2.close();
    }
  });

  it('pipelines requests on one TCP connection and matches every answer to its request', async () => {
    const s = await sim();
    s.freeze(true);
    const tags = Array.from({ length: 12 }, (_, i) => ({ name: `r${i}`, address: i * 100 }));
    tags.forEach((t) => (s.bank(1).holding[t.address] = 1000 + t.address));
    const driver = createModbusDriver(modbusMachine('p', { host: s.host, port: s.port, pipelineDepth: 4, maxGap: 0 }, tags));
    try {
      await driver.connect(context());
      for (let round = 0; round < 5; round++) {
        const got = await driver.read!();
        assert.deepEqual(got.map((r) => r.value), tags.map((t) => 1000 + t.address));
      }
      assert.equal(s.stats.requests, 5 * tags.length);
    } finally {
      await driver.close();
    }
  });

  it('a link where no unit answers any more is reopened; one dead unit among live ones is not', async () => {
    const s = await sim({ units: [1, 2] });
    const link = acquireLink({ transport: 'tcp', host: s.host, port: s.port, pipelineDepth: 1, interFrameDelay: 0 });
    link.addUser(1);
    link.addUser(2);
    try {
      await link.open(1000);
      s.setSilent(2, true);
      for (let i = 0; i < 4; i++) {
        await assert.rejects(link.read(2, 'holding', 0, 1, 100), ModbusTimeoutError);
        await link.read(1, 'holding', 0, 1, 1000);
      }
      for (let i = 0; i < 4; i++) await assert.rejects(link.read(2, 'holding', 0, 1, 100), ModbusTimeoutError);
      assert.ok(link.isOpen, 'one silent unit keeps the link, even many times in a row');
      await link.read(1, 'holding', 0, 1, 1000);
      assert.equal(link.stats.opens, 1);
      s.setSilent(1, true);
      for (let i = 0; i < 3; i++) await assert.rejects(link.read(1 + (i % 2), 'holding', 0, 1, 100), ModbusTimeoutError);
      await until(() => !link.isOpen, 'the half-open link dropped');
      s.setSilent(1, false);
      await link.open(1000);
      assert.equal(link.stats.opens, 2);
      await link.read(1, 'holding', 0, 1, 1000);
    } finally {
      link.removeUser(1);
      link.removeUser(2);
      await releaseLink(link);
    }
  });

  it('follows the running machine: the part counter advances', async () => {
    const s = await sim({ speed: 60 });
    const driver = createModbusDriver(modbusMachine('m', { host: s.host, port: s.port }, SIM_TAGS));
    try {
      await driver.connect(context());
      // 60× speed, 1 s cycle: a part every ~17 ms of wall time.
      const first = byTag(await driver.read!()).parts!.value as number;
      const deadline = Date.now() + 20_000;
      let later = first;
      while (later <= first && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        later = byTag(await driver.read!()).parts!.value as number;
      }
      assert.ok(later > first, `parts ${first} → ${later}`);
    } finally {
      await driver.close();
    }
  });

  it('one dead unit of three on one connection: the others keep their cadence, the dead one returns by itself', async () => {
    const s = await sim({ units: [1, 2, 3] });
    const conn = { host: s.host, port: s.port, timeout: '400ms' };
    const interval = 200;
    const machines = [1, 2, 3].map((unit) => modbusMachine(`u${unit}`, { ...conn, unitId: unit }, SIM_TAGS, { pollInterval: `${interval}ms` }));
    const rec = fleet(machines);
    await until(() => [1, 2, 3].every((u) => rec.count(`u${u}`) >= 3), 'all three units polled');

    s.setSilent(2, true);
    const from = { u1: rec.count('u1'), u3: rec.count('u3') };
    await until(() => rec.state('u2') === 'disconnected', 'unit 2 marked offline');
    // Long enough for the dead unit to be retried on its back-off (1 s, then 2 s).
    await until(() => rec.count('u1') >= from.u1 + 15 && rec.count('u3') >= from.u3 + 15, 'the live units polling on');
    for (const id of ['u1', 'u3']) {
      const polls = rec.polls.get(id)!.slice(from[id as 'u1' | 'u3']);
      assert.ok(polls.every((p) => p.length === SIM_TAGS.length && p.every((r) => r.quality === 'good')), `${id} readings stay good`);
      const ts = polls.map((p) => p[0]!.ts);
      const worst = Math.max(...ts.slice(1).map((t, i) => t - ts[i]!));
      // At most one timeout (400 ms) on top of the interval; three timeouts would mean the dead
      // unit's queued requests held the bus. Slack for a loaded CI machine.
      assert.ok(worst < interval + 400 + 450, `${id}: worst gap ${worst} ms`);
    }
    assert.equal(rec.state('u1'), 'connected');

    const before = rec.count('u2');
    s.setSilent(2, false);
    await until(() => rec.state('u2') === 'connected' && rec.count('u2') > before, 'unit 2 back on its own');
    assert.ok(rec.polls.get('u2')!.at(-1)!.every((r) => r.quality === 'good'));
  });

  it('reconnects after the server is killed and restarted on the same port', async () => {
    const s = await sim();
    const rec = fleet([modbusMachine('m', { host: s.host, port: s.port, timeout: '300ms' }, SIM_TAGS, { pollInterval: '100ms' })]);
    await until(() => rec.count('m') >= 2, 'first polls');
    await s.stop();
    sims.splice(sims.indexOf(s), 1);
    await until(() => rec.state('m') === 'disconnected', 'machine offline');
    const before = rec.count('m');
    await sim({ port: s.port });
    await until(() => rec.state('m') === 'connected' && rec.count('m') > before, 'machine back after restart');
    assert.ok(rec.status.get('m')!.reconnects >= 1);
  });

  it('busy answers and refused registers give bad quality; a failed gateway target marks the unit offline', async () => {
    const s = await sim();
    const tags = [...SIM_TAGS, { name: 'missing', address: 9999, type: 'uint32' }, { name: 'last', address: 9990 }];
    const driver = createModbusDriver(modbusMachine('m', { host: s.host, port: s.port, timeout: '500ms' }, tags));
    const ctx = context();
    try {
      await driver.connect(ctx);
      let got = byTag(await driver.read!());
      // 9990..10000 is one request the device refuses (10000 does not exist): split, so only `missing` is bad.
      assert.equal(got.last!.quality, 'good');
      assert.deepEqual([got.missing!.quality, got.missing!.value], ['bad', null]);
      assert.ok(ctx.logs.some((l) => l.msg === 'modbus block refused; reading its tags one by one'));

      s.setException(1, 6);
      got = byTag(await driver.read!());
      assert.ok(Object.values(got).every((r) => r.quality === 'bad'));
      const warned = ctx.logs.filter((l) => l.msg === 'modbus read failed; tags bad quality').length;
      await driver.read!();
      assert.equal(ctx.logs.filter((l) => l.msg === 'modbus read failed; tags bad quality').length, warned, 'logged on the transition only');

      s.setException(1, 0x0b);
      await assert.rejects(driver.read!(), /exception 11/i);

      s.setException(1, undefined);
      got = byTag(await driver.read!());
      assert.equal(got.parts!.quality, 'good');
      assert.ok(ctx.logs.some((l) => l.msg === 'modbus read recovered'));
    } finally {
      await driver.close();
    }
  });
});
