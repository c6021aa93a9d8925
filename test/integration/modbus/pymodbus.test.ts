// Decoding checked against an independent implementation: pymodbus serves values that Python's
// struct encoded; the driver must read back every type in every byte order.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createModbusDriver, planFor } from '../../../drivers/modbus/driver.ts';
import type { MachineConfig } from '../../../config/schema/machine.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { byTag, context, modbusMachine, startPymodbus } from './helpers.ts';

const ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;
const VALUES = {
  int16: -1234,
  uint16: 54321,
  int32: -123456789,
  uint32: 3123456789,
  float32: -1234.5,
  int64: -1234567890123,
  uint64: 9007199254740991,
  float64: 3.141592653589793,
} as const;
const WIDTH = { int16: 1, uint16: 1, int32: 2, uint32: 2, float32: 2, int64: 4, uint64: 4, float64: 4 } as const;

describe('modbus driver against pymodbus', () => {
  const holding: Array<Record<string, unknown>> = [];
  const tags: Array<Record<string, unknown>> = [{ name: 'coil3', area: 'coil', address: 3, type: 'bool' }];
  const expected: Record<string, unknown> = { coil3: true, coil4: false, di7: true };
  let address = 0;
  for (const order of ORDERS) {
    for (const [type, value] of Object.entries(VALUES) as Array<[keyof typeof VALUES, number]>) {
      const name = `${type}-${order}`;
      holding.push({ address, type, order, value });
      tags.push({ name, address, type, byteOrder: order });
      expected[name] = value;
      address += WIDTH[type] + 1; // one unused register between tags: read through
    }
  }
  holding.push({ address: 500, string: 'LINESIDE-7', length: 6, order: 'ABCD' }, { address: 510, string: 'PLC', length: 2, order: 'BADC' }, { address: 520, type: 'uint16', value: 0b1010_0000, order: 'ABCD' });
  tags.push(
    { name: 'coil4', area: 'coil', address: 4, type: 'bool' },
    { name: 'di7', area: 'discrete', address: 7, type: 'bool' },
    { name: 'name', address: 500, type: 'string', length: 6 },
    { name: 'swapped', address: 510, type: 'string', length: 2, byteOrder: 'BADC' },
    { name: 'bit5', address: 520, bit: 5, type: 'bool' },
    { name: 'bit4', address: 520, bit: 4, type: 'bool' },
    { name: 'temp', area: 'input', address: 10, type: 'int16', scale: 0.1, offset: -40 },
  );
  Object.assign(expected, { name: 'LINESIDE-7', swapped: 'PLC', bit5: true, bit4: false, temp: 60.5 });

  let server: Awaited<ReturnType<typeof startPymodbus>>;
  let machine: MachineConfig;
  const dir = tempDir();
  before(async () => {
    server = await startPymodbus(dir, { holding, input: [{ address: 10, type: 'int16', value: 1005 }], coils: { '3': true }, discrete: { '7': true } });
    machine = modbusMachine('py', { host: '127.0.0.1', port: server.port, timeout: '2s' }, tags);
  });
  after(() => server?.stop());

  it('decodes every type in every byte order, strings, bits, coils, inputs and scaling', async () => {
    const driver = createModbusDriver(machine);
    const ctx = context();
    try {
      await driver.connect(ctx);
      const got = byTag(await driver.read!());
      for (const [name, value] of Object.entries(expected)) {
        assert.equal(got[name]?.quality, 'good', `${name}: ${JSON.stringify(got[name])}`);
        assert.equal(got[name]?.value, value, name);
      }
      assert.equal(Object.keys(got).length, tags.length);
    } finally {
      await driver.close();
    }
  });

  it('reads the whole map in the planned minimum of requests', () => {
    const conn = machine.driver === 'modbus' ? machine.connection : undefined;
    const plan = planFor(conn!, machine.driver === 'modbus' ? machine.tags : []);
    // 4 orders × (20 registers + 8 gaps) = 112 minus the last gap fit one request; the strings and
    // the bit word are within maxGap (16) of each other; coils, discrete and input one each.
    assert.deepEqual(plan.map((r) => `${r.area}:${r.address}+${r.count}`), ['coil:3+2', 'discrete:7+1', 'holding:0+111', 'holding:500+21', 'input:10+1']);
  });
});
