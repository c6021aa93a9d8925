import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BYTE_ORDER_LIST, decodeNumber, decodeString, decodeTag, decodeTagAt, encodeNumber, encodeString, orderName, tagWidth, type TagShape } from '../../../drivers/modbus/codec.ts';

const tag = (t: Partial<TagShape>): TagShape => ({ area: 'holding', type: 'uint16', scale: 1, offset: 0, byteOrder: 'ABCD', ...t });

describe('modbus codec', () => {
  it('decodes a float32 in each of the four orders from hand-written wire registers', () => {
    // 123.456 as IEEE 754 single is 0x42F6E979 (A=42 B=F6 C=E9 D=79).
    const wire = { ABCD: [0x42f6, 0xe979], CDAB: [0xe979, 0x42f6], BADC: [0xf642, 0x79e9], DCBA: [0x79e9, 0xf642] } as const;
    for (const order of BYTE_ORDER_LIST) {
      assert.equal(decodeNumber(wire[order], 'float32', order), 123.456, order);
    }
  });

  it('decodes 64-bit integers in each order from hand-written wire registers', () => {
    const wire = {
      ABCD: [0x0012, 0x3456, 0x789a, 0xbcde],
      CDAB: [0xbcde, 0x789a, 0x3456, 0x0012],
      BADC: [0x1200, 0x5634, 0x9a78, 0xdebc],
      DCBA: [0xdebc, 0x9a78, 0x5634, 0x1200],
    } as const;
    for (const order of BYTE_ORDER_LIST) assert.equal(BigInt(decodeNumber(wire[order], 'uint64', order)), 0x00123456789abcden, order);
    assert.equal(orderName('CDAB', 8), 'GHEFCDAB');
    assert.equal(orderName('BADC', 8), 'BADCFEHG');
    assert.equal(orderName('DCBA', 4), 'DCBA');
  });

  it('handles signs and 16-bit byte swaps', () => {
    assert.equal(decodeNumber([0xffff], 'int16', 'ABCD'), -1);
    assert.equal(decodeNumber([0xfffe, 0xffff], 'int32', 'CDAB'), -2);
    assert.equal(decodeNumber([0x3412], 'uint16', 'BADC'), 0x1234);
    assert.equal(decodeNumber([0x3412], 'uint16', 'CDAB'), 0x3412);
    assert.equal(decodeNumber([0xffff, 0xffff, 0xffff, 0xfffb], 'int64', 'ABCD'), -5);
  });

  it('round-trips every numeric type in every order (property)', () => {
    const cases = [
      ['int16', fc.integer({ min: -32768, max: 32767 })],
      ['uint16', fc.integer({ min: 0, max: 65535 })],
      ['int32', fc.integer()],
      ['uint32', fc.integer({ min: 0, max: 0xffffffff })],
      ['float32', fc.float({ noNaN: true, noDefaultInfinity: true })],
      ['int64', fc.maxSafeInteger()],
      ['uint64', fc.maxSafeNat()],
      ['float64', fc.double({ noNaN: true, noDefaultInfinity: true })],
    ] as const;
    for (const [type, arb] of cases) {
      fc.assert(
        fc.property(arb, fc.constantFrom(...BYTE_ORDER_LIST), (v: number, order) => {
          const back = decodeNumber(encodeNumber(v, type, order), type, order);
          // float32 decodes to the shortest decimal of the same single (what an HMI shows).
          const same = type === 'float32' ? Math.fround(back) === v : back === v;
          assert.ok(same, `${type} ${order}: ${v} → ${back}`);
        }),
      );
    }
  });

  it('decodes strings, NUL-padded, with optional character swap', () => {
    assert.equal(decodeString(encodeString('PRESS-7', 5, 'ABCD'), 'ABCD'), 'PRESS-7');
    assert.deepEqual(encodeString('AB', 1, 'ABCD'), [0x4142]);
    assert.equal(decodeString([0x4241, 0x0043], 'BADC'), 'ABC');
  });

  it('applies scale/offset, bits, bool and quality rules', () => {
    assert.deepEqual(decodeTag(tag({ type: 'int16', scale: 0.1 }), [123]), { value: 12.3, quality: 'good' });
    assert.deepEqual(decodeTag(tag({ type: 'uint16', scale: 2, offset: -10 }), [7]), { value: 4, quality: 'good' });
    assert.deepEqual(decodeTag(tag({ type: 'bool', bit: 3 }), [0b1000]), { value: true, quality: 'good' });
    assert.deepEqual(decodeTag(tag({ type: 'bool', bit: 2 }), [0b1000]), { value: false, quality: 'good' });
    assert.deepEqual(decodeTag(tag({ type: 'bool' }), [2]), { value: true, quality: 'good' });
    assert.deepEqual(decodeTag(tag({ area: 'coil', type: 'bool' }), [true]), { value: true, quality: 'good' });
    assert.deepEqual(decodeTag(tag({ area: 'discrete', type: 'uint16' }), [false]), { value: 0, quality: 'good' });
    assert.deepEqual(decodeTag(tag({ type: 'float32' }), [0x7fc0, 0]), { value: null, quality: 'bad' });
    assert.equal(decodeTag(tag({ type: 'uint64' }), [0xffff, 0xffff, 0xffff, 0xffff]).quality, 'uncertain');
    assert.deepEqual(decodeTag(tag({ type: 'string', length: 2 }), encodeString('OK', 2, 'ABCD')), { value: 'OK', quality: 'good' });
  });
});

describe('modbus codec in place', () => {
  it('decodes a tag at its offset exactly as decodeTag does on the copied words (property)', () => {
    const types = ['bool', 'string', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'int64', 'uint64', 'float64'] as const;
    const shape = fc.record({
      area: fc.constantFrom('holding', 'input', 'coil', 'discrete'),
      type: fc.constantFrom(...types),
      byteOrder: fc.constantFrom(...BYTE_ORDER_LIST),
      bit: fc.option(fc.integer({ min: 0, max: 15 }), { nil: undefined }),
      length: fc.integer({ min: 1, max: 4 }),
      scale: fc.constantFrom(1, 0.1, 2),
      offset: fc.constantFrom(0, -10),
    });
    fc.assert(
      fc.property(shape, fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 12 }), fc.nat(12), (s, words, at) => {
        const t = tag(s as Partial<TagShape>);
        const data = t.area === 'coil' || t.area === 'discrete' ? words.map((w) => w % 2 === 1) : words;
        const copied = (): unknown => {
          try {
            return decodeTag(t, data.slice(at, at + tagWidth(t)) as number[] | boolean[]);
          } catch (err) {
            return (err as Error).constructor;
          }
        };
        const inPlace = (): unknown => {
          try {
            return decodeTagAt(t, data, at);
          } catch (err) {
            return (err as Error).constructor;
          }
        };
        assert.deepEqual(inPlace(), copied());
      }),
      { numRuns: 5000 },
    );
  });
});
