import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { modbusTagSchema } from '../../../config/schema/modbus.ts';

const issues = (tag: unknown) => {
  const r = modbusTagSchema.safeParse(tag);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('modbus tag schema', () => {
  it('accepts bits in registers and defaults the rest', () => {
    assert.deepEqual(issues({ name: 'door', address: 8, bit: 3 }), []);
    const t = modbusTagSchema.parse({ name: 'x', address: 65534, type: 'float32' });
    assert.deepEqual([t.area, t.scale, t.offset], ['holding', 1, 0]);
  });

  it('names what is wrong with a tag', () => {
    assert.deepEqual(issues({ name: 'c', area: 'coil', address: 0, bit: 1, type: 'bool' }), ['bit: a bit applies to a register; area coil is already single bits']);
    assert.deepEqual(issues({ name: 'f', address: 0, bit: 1, type: 'float32' }), ['type: expected bool (or no type) with bit, got "float32"']);
    assert.deepEqual(issues({ name: 'l', address: 65535, type: 'uint32' }), ['address: a uint32 at 65535 runs past the last address 65535']);
    assert.deepEqual(issues({ name: 's', address: 65530, type: 'string', length: 8 }), ['address: a string at 65530 runs past the last address 65535']);
    assert.deepEqual(issues({ name: 's', address: 0, type: 'string' }), ['length: required for type string: expected the number of registers 1..125']);
  });
});
