// The commissioning probes and `lineside simulate`, as the real binary.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createModbusDriver } from '../../../drivers/modbus/driver.ts';
import { startModbusSimulator, writeSnapshot, type ModbusSimulator } from '../../../drivers/sim/modbus-server.ts';
import { AgentProcess } from '../../helpers/agent-process.ts';
import { runCli } from '../../helpers/cli.ts';
import { byTag, context, modbusMachine } from './helpers.ts';

describe('lineside modbus read / scan', () => {
  let sim: ModbusSimulator;
  before(async () => {
    sim = await startModbusSimulator({ units: [1, 3], byteOrder: 'CDAB' });
    sim.freeze(true);
    writeSnapshot(sim.bank(3), { running: true, partCount: 70_123, rejectCount: 12, faultCode: 0, speed: 58.5, mode: 1 }, 'CDAB');
  });
  after(() => sim.stop());

  it('read prints the registers decoded in every order, the right one among them', async () => {
    const args = ['modbus', 'read', '--host', sim.host, '--port', String(sim.port), '--unit', '3', '--holding', '0', '--count', '8'];
    const json = await runCli([...args, '--json']);
    assert.equal(json.code, 0, json.stderr);
    const out = JSON.parse(json.stdout) as { data: number[]; decodings: Array<{ start: number; type: string; order: string; value: number }> };
    assert.equal(out.data.length, 8);
    const find = (start: number, type: string, order: string) => out.decodings.find((d) => d.start === start && d.type === type && d.order === order)?.value;
    assert.equal(find(0, 'uint32', 'CDAB'), 70_123);
    assert.notEqual(find(0, 'uint32', 'ABCD'), 70_123);
    assert.equal(find(6, 'float32', 'CDAB'), 58.5);
    assert.equal(find(4, 'uint16', 'AB'), 0);
    assert.equal(find(5, 'uint16', 'AB'), 1);

    const table = await runCli(args);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^ {2}6 +float32 +ABCD \S+ +CDAB 58\.5 /m);
    assert.match(table.stdout, /^ {2}0 +uint32 +ABCD \d+ +CDAB 70123 /m);
  });

  it('read of a register the device lacks, and of a closed port, fail with a message and exit code 5', async () => {
    const refused = await runCli(['modbus', 'read', '--host', sim.host, '--port', String(sim.port), '--holding', '20000']);
    assert.equal(refused.code, 5);
    assert.match(refused.stderr, /exception 2/i);
    const closed = await runCli(['modbus', 'read', '--host', '127.0.0.1', '--port', '1', '--holding', '0']);
    assert.equal(closed.code, 5);
    assert.match(closed.stderr, /ECONNREFUSED/);
    const usage = await runCli(['modbus', 'read', '--holding', '0']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--host .* or --serial/);
  });

  it('scan lists exactly the answering units', async () => {
    const res = await runCli(['modbus', 'scan', '--host', sim.host, '--port', String(sim.port), '--from', '1', '--to', '5', '--timeout', '300ms', '--parallel', '4']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /2 unit\(s\) answering: 1, 3$/m);
  });
});

describe('lineside simulate', () => {
  it('prints the register map and serves the simulated machines until stopped', async () => {
    const proc = new AgentProcess(['simulate', '--modbus-port', '0', '--units', '4,5', '--byte-order', 'CDAB', '--speed', '10']);
    try {
      const line = await proc.waitFor((l) => typeof l.msg === 'string' && l.msg.includes('listening on'));
      const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(line.msg!)![1]);
      await proc.waitFor((l) => typeof l.msg === 'string' && /holding +6 +float32 +speed/.test(l.msg));
      const driver = createModbusDriver(
        modbusMachine('m', { host: '127.0.0.1', port, unitId: 5, byteOrder: 'CDAB' }, [
          { name: 'mode', address: 5 },
          { name: 'speed', address: 6, type: 'float32' },
        ]),
      );
      try {
        await driver.connect(context());
        const got = byTag(await driver.read!());
        assert.ok([0, 1, 2, 3].includes(got.mode!.value as number));
        // Running: speed near 60 parts/min; stopped: 0. Either way a sane CDAB float, not garbage.
        assert.ok((got.speed!.value as number) >= 0 && (got.speed!.value as number) < 70, `speed ${got.speed!.value}`);
      } finally {
        await driver.close();
      }
      assert.equal(await proc.stop('SIGINT'), 0);
    } finally {
      await proc.stop('SIGKILL');
    }
  });
});
