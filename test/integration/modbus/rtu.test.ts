// Modbus RTU over a real serial link: a socat pseudo-terminal pair between the driver (one end,
// opened as a serial port) and the simulator in RTU mode (the other end).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createModbusDriver } from '../../../drivers/modbus/driver.ts';
import { linkStats } from '../../../drivers/modbus/link.ts';
import { startModbusSimulator, writeSnapshot, type ModbusSimulator } from '../../../drivers/sim/modbus-server.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { byTag, context, modbusMachine, until } from './helpers.ts';

const TAGS = [
  { name: 'parts', address: 0, type: 'uint32' },
  { name: 'fault', address: 4 },
  { name: 'speed', address: 6, type: 'float32' },
];

describe('modbus RTU over a socat pty pair', () => {
  let socat: ChildProcess;
  let sim: ModbusSimulator;
  let devicePath: string;
  const dir = tempDir();
  before(async () => {
    devicePath = join(dir, 'ttyAgent');
    const simPath = join(dir, 'ttySim');
    socat = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${devicePath}`, `pty,raw,echo=0,link=${simPath}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    socat.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await until(() => /starting data transfer loop/.test(stderr) && existsSync(devicePath) && existsSync(simPath), `socat ptys (${stderr})`);
    sim = await startModbusSimulator({ transport: 'rtu', serialPath: simPath, units: [1, 2] });
    sim.freeze(true);
    writeSnapshot(sim.bank(1), { running: true, partCount: 123_456, rejectCount: 0, faultCode: 0, speed: 42.5, mode: 1 }, 'ABCD');
    writeSnapshot(sim.bank(2), { running: false, partCount: 7, rejectCount: 0, faultCode: 310, speed: 0, mode: 3 }, 'ABCD');
  });
  after(async () => {
    await sim?.stop();
    socat?.kill('SIGTERM');
    if (socat && socat.exitCode === null) await once(socat, 'exit');
  });

  const machine = (unit: number) =>
    modbusMachine(`rtu${unit}`, { transport: 'rtu', serial: { path: devicePath, baudRate: 19_200 }, unitId: unit, timeout: '300ms', interFrameDelay: '2ms' }, TAGS);

  it('reads two units on one bus, survives CRC errors and a silent unit', async () => {
    const d1 = createModbusDriver(machine(1));
    const d2 = createModbusDriver(machine(2));
    const ctx1 = context();
    try {
      await d1.connect(ctx1);
      await d2.connect(context());
      assert.equal(linkStats().filter((s) => s.link === `rtu:${devicePath}`).length, 1, 'both units share one serial link');
      assert.deepEqual(Object.values(byTag(await d1.read!())).map((r) => r.value), [123_456, 0, 42.5]);
      assert.deepEqual(Object.values(byTag(await d2.read!())).map((r) => r.value), [7, 310, 0]);

      // One damaged frame is retried transparently; two in a row make the block bad, once.
      sim.corruptNext(1);
      assert.ok((await d1.read!()).every((r) => r.quality === 'good'));
      sim.corruptNext(2);
      const bad = await d1.read!();
      assert.ok(bad.every((r) => r.quality === 'bad' && r.value === null), JSON.stringify(bad));
      assert.ok(ctx1.logs.some((l) => l.msg === 'modbus read failed; tags bad quality' && /CRC/i.test(String(l.err))));
      assert.ok((await d1.read!()).every((r) => r.quality === 'good'));
      assert.ok(ctx1.logs.some((l) => l.msg === 'modbus read recovered'));
      assert.ok(linkStats().find((s) => s.link === `rtu:${devicePath}`)!.badFrames >= 3);

      // A silent unit times out; the bus is free again right after for the other unit.
      sim.setSilent(2, true);
      await assert.rejects(d2.read!(), /unit 2 did not answer/);
      const started = Date.now();
      assert.equal(byTag(await d1.read!()).parts!.value, 123_456);
      assert.ok(Date.now() - started < 2000);
      sim.setSilent(2, false);
      assert.equal(byTag(await d2.read!()).fault!.value, 310);
    } finally {
      await d1.close();
      await d2.close();
    }
  });
});
