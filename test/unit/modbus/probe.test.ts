import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatRead } from '../../../agent/cli/modbus.ts';
import { allDecodings } from '../../../drivers/modbus/decodings.ts';

describe('modbus read probe', () => {
  const regs = [0x1523, 0x0001, 0x0000, 0x41c8];
  const d = allDecodings(100, regs);
  const find = (start: number, type: string, order: string) => d.find((x) => x.start === start && x.type === type && x.order === order)?.value;

  it('offers every type in every order at every start that fits', () => {
    assert.equal(find(100, 'uint32', 'CDAB'), 70947);
    assert.equal(find(100, 'uint32', 'ABCD'), 0x15230001);
    assert.equal(find(102, 'float32', 'CDAB'), 25);
    assert.equal(find(103, 'uint16', 'BA'), 0xc841);
    assert.equal(find(103, 'int32', 'ABCD'), undefined, 'no 32-bit value starts at the last register');
    // Exact beyond 2^53, as a decimal string: 0x15230001000041C8.
    assert.equal(find(100, 'uint64', 'ABCDEFGH'), '1523061103276343752');
    assert.equal(find(100, 'uint64', 'GHEFCDAB'), String(0x41c8000000011523n));
    // 4 registers: 16-bit ×4 starts ×2 types ×2 orders, 32-bit ×3 starts ×3 types ×4, 64-bit ×1 ×3 ×4.
    assert.equal(d.length, 4 * 2 * 2 + 3 * 3 * 4 + 3 * 4);
  });

  it('prints a table an engineer can scan', () => {
    const text = formatRead(1, 'holding', 100, regs);
    assert.match(text, /^ {2}103 +0x41C8 16840 +16840 +A\.$/m);
    assert.match(text, /^ {2}102 +float32 +ABCD \S+ +CDAB 25 /m);
    assert.match(formatRead(2, 'coil', 5, [true, false]), /coils 5\.\.6\n {2}5 +1\n {2}6 +0/);
  });
});
