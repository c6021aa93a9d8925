// Registers ⇄ values for every Modbus data type and byte/word order.
//
// Byte orders are named for a 32-bit value whose big-endian bytes are A B C D, by the order
// those bytes arrive on the wire: ABCD is big-endian, CDAB swaps the two words, BADC swaps the
// bytes inside each word, DCBA is little-endian. 64-bit values extend the same rule (word order
// reversed for CDAB/DCBA, bytes swapped inside words for BADC/DCBA). As in Telegraf, a 16-bit
// value is byte-swapped for BADC and DCBA, and strings swap the two characters of each register.
import type { ModbusTagConfig } from '../../config/schema/index.ts';
import type { Quality, Value } from '../driver.ts';

export type ByteOrder = 'ABCD' | 'CDAB' | 'BADC' | 'DCBA';
export type RegisterType = 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'int64' | 'uint64' | 'float64';
export type ModbusType = RegisterType | 'bool' | 'string';

export const BYTE_ORDER_LIST: readonly ByteOrder[] = ['ABCD', 'CDAB', 'BADC', 'DCBA'];
export const NUMERIC_TYPES: readonly RegisterType[] = ['int16', 'uint16', 'int32', 'uint32', 'float32', 'int64', 'uint64', 'float64'];

/** Registers a value of this type occupies. */
export function registerCount(type: ModbusType, length = 1): number {
  switch (type) {
    case 'bool':
    case 'int16':
    case 'uint16':
      return 1;
    case 'int32':
    case 'uint32':
    case 'float32':
      return 2;
    case 'int64':
    case 'uint64':
    case 'float64':
      return 4;
    case 'string':
      return length;
  }
}

/** The 64-bit name of a 32-bit order, for display (ABCD → ABCDEFGH, CDAB → GHEFCDAB, ...). */
export function orderName(order: ByteOrder, bytes: number): string {
  const letters = 'ABCDEFGH'.slice(0, bytes).split('');
  return wireToBigEndianIndex(order, bytes).map((i) => letters[i]).join('');
}

/** For each wire byte position, the index of that byte in the big-endian value. */
function wireToBigEndianIndex(order: ByteOrder, bytes: number): number[] {
  const words = bytes / 2;
  const out: number[] = [];
  const swapWords = order === 'CDAB' || order === 'DCBA';
  const swapBytes = order === 'BADC' || order === 'DCBA';
  for (let w = 0; w < words; w++) {
    const word = swapWords ? words - 1 - w : w;
    out.push(word * 2 + (swapBytes ? 1 : 0), word * 2 + (swapBytes ? 0 : 1));
  }
  return out;
}

/** Big-endian bytes of the value held by `regs` (as many registers as the value needs). */
export function toBigEndian(regs: ArrayLike<number>, order: ByteOrder): Buffer {
  const out = Buffer.alloc(regs.length * 2);
  placeBigEndian(regs, 0, regs.length, order, out);
  return out;
}

/** Write the `words` registers at `from` into `out` as big-endian bytes (wireToBigEndianIndex's placement, computed). */
function placeBigEndian(regs: ArrayLike<number>, from: number, words: number, order: ByteOrder, out: Buffer): void {
  const swapWords = order === 'CDAB' || order === 'DCBA';
  const swapBytes = order === 'BADC' || order === 'DCBA' ? 1 : 0;
  for (let w = 0; w < words; w++) {
    const reg = regs[from + w]!;
    const at = (swapWords ? words - 1 - w : w) * 2;
    out[at + swapBytes] = reg >> 8;
    out[at + (swapBytes ^ 1)] = reg & 0xff;
  }
}

/** Registers (wire order) that carry the given big-endian bytes; the inverse of toBigEndian. */
export function fromBigEndian(be: Buffer, order: ByteOrder): number[] {
  const map = wireToBigEndianIndex(order, be.length);
  const regs: number[] = new Array<number>(be.length / 2).fill(0);
  for (let i = 0; i < be.length; i++) regs[i >> 1]! |= i % 2 === 0 ? be[map[i]!]! << 8 : be[map[i]!]!;
  return regs;
}

export interface Decoded {
  value: Value;
  quality: Quality;
}

/** Decode the raw value (no scale/offset) of a numeric type. 64-bit integers beyond 2^53 lose precision. */
export function decodeNumber(regs: ArrayLike<number>, type: RegisterType, order: ByteOrder): number {
  return readNumber(toBigEndian(regs, order), type);
}

/** The value of a numeric type at the start of its big-endian bytes. */
function readNumber(b: Buffer, type: RegisterType): number {
  switch (type) {
    case 'int16':
      return b.readInt16BE(0);
    case 'uint16':
      return b.readUInt16BE(0);
    case 'int32':
      return b.readInt32BE(0);
    case 'uint32':
      return b.readUInt32BE(0);
    case 'float32':
      return shortestFloat32(b.readFloatBE(0));
    case 'int64':
      return Number(b.readBigInt64BE(0));
    case 'uint64':
      return Number(b.readBigUInt64BE(0));
    case 'float64':
      return b.readDoubleBE(0);
  }
}

/** Scratch for numberAt: one value at a time, so decoding a register allocates no Buffer. */
const scratch = Buffer.alloc(8);

/**
 * decodeNumber for the value at `offset` in a request's registers, read in place. The caller
 * makes sure all of the type's registers are there (decodeNumber throws on a short value).
 */
function numberAt(data: ArrayLike<number>, offset: number, type: RegisterType, order: ByteOrder): number {
  placeBigEndian(data, offset, registerCount(type), order, scratch);
  return readNumber(scratch, type);
}

/** The shortest decimal that is the same float32 (59.20000076293945 → 59.2), as a PLC or HMI shows it. */
function shortestFloat32(v: number): number {
  if (!Number.isFinite(v)) return v;
  for (let p = 1; p < 9; p++) {
    const d = Number(v.toPrecision(p));
    if (Math.fround(d) === v) return d;
  }
  return v;
}

/** Encode a number into registers (wire order); the simulator and tests use it. */
export function encodeNumber(value: number | bigint, type: RegisterType, order: ByteOrder): number[] {
  const b = Buffer.alloc(registerCount(type) * 2);
  switch (type) {
    case 'int16':
      b.writeInt16BE(Number(value));
      break;
    case 'uint16':
      b.writeUInt16BE(Number(value));
      break;
    case 'int32':
      b.writeInt32BE(Number(value));
      break;
    case 'uint32':
      b.writeUInt32BE(Number(value));
      break;
    case 'float32':
      b.writeFloatBE(Number(value));
      break;
    case 'int64':
      b.writeBigInt64BE(BigInt(value));
      break;
    case 'uint64':
      b.writeBigUInt64BE(BigInt(value));
      break;
    case 'float64':
      b.writeDoubleBE(Number(value));
      break;
  }
  return fromBigEndian(b, order);
}

export function decodeString(regs: ArrayLike<number>, order: ByteOrder): string {
  const swap = order === 'BADC' || order === 'DCBA';
  const b = Buffer.alloc(regs.length * 2);
  for (let i = 0; i < regs.length; i++) {
    const r = regs[i]!;
    b[i * 2] = swap ? r & 0xff : r >> 8;
    b[i * 2 + 1] = swap ? r >> 8 : r & 0xff;
  }
  // PLC strings are NUL-padded (sometimes space-padded) to their fixed length.
  const end = b.indexOf(0);
  return b.subarray(0, end < 0 ? b.length : end).toString('latin1').trimEnd();
}

export function encodeString(text: string, length: number, order: ByteOrder): number[] {
  const swap = order === 'BADC' || order === 'DCBA';
  const b = Buffer.alloc(length * 2);
  b.write(text.slice(0, length * 2), 'latin1');
  const regs: number[] = [];
  for (let i = 0; i < length; i++) regs.push(swap ? (b[i * 2 + 1]! << 8) | b[i * 2]! : (b[i * 2]! << 8) | b[i * 2 + 1]!);
  return regs;
}

/** Removes floating-point noise that `raw × scale` adds (12.300000000000001 → 12.3). */
function engineering(raw: number, scale: number, offset: number): number {
  if (scale === 1 && offset === 0) return raw;
  return Number((raw * scale + offset).toPrecision(15));
}

export type TagShape = Pick<ModbusTagConfig, 'area' | 'type' | 'bit' | 'length' | 'scale' | 'offset'> & { byteOrder: ByteOrder };

/**
 * Decode one tag from the words (registers) or bits its request returned.
 * `data` starts at the tag's own address.
 */
export function decodeTag(tag: TagShape, data: ArrayLike<number> | ArrayLike<boolean>): Decoded {
  return decode(tag, data, 0, false);
}

/**
 * decodeTag for the tag at `offset` in its request's data, without copying the tag's words out
 * (a poll decodes every tag). Data too short for the tag decodes (or fails) as decodeTag does.
 */
export function decodeTagAt(tag: TagShape, data: ArrayLike<number> | ArrayLike<boolean>, offset: number): Decoded {
  const width = tagWidth(tag);
  if (tag.type === 'string' || offset + width > data.length) return decode(tag, Array.prototype.slice.call(data, offset, offset + width) as ArrayLike<number>, 0, false);
  return decode(tag, data, offset, true);
}

function decode(tag: TagShape, data: ArrayLike<number> | ArrayLike<boolean>, offset: number, inPlace: boolean): Decoded {
  if (tag.area === 'coil' || tag.area === 'discrete') {
    const bit = Boolean(data[offset]);
    return { value: tag.type === 'bool' ? bit : bit ? 1 : 0, quality: 'good' };
  }
  const regs = data as ArrayLike<number>;
  if (tag.bit !== undefined) return { value: ((regs[offset]! >> tag.bit) & 1) === 1, quality: 'good' };
  switch (tag.type) {
    case 'bool':
      return { value: regs[offset] !== 0, quality: 'good' };
    case 'string':
      return { value: decodeString(regs, tag.byteOrder), quality: 'good' };
    default: {
      const raw = inPlace ? numberAt(regs, offset, tag.type, tag.byteOrder) : decodeNumber(regs, tag.type, tag.byteOrder);
      // NaN / ±Infinity is how PLCs flag a failed sensor; JSON cannot carry it either.
      if (!Number.isFinite(raw)) return { value: null, quality: 'bad' };
      const value = engineering(raw, tag.scale, tag.offset);
      // A 64-bit integer past 2^53 cannot be exact in a JS number: say so rather than hide it.
      const exact = !(tag.type === 'int64' || tag.type === 'uint64') || Number.isSafeInteger(raw);
      return { value, quality: exact ? 'good' : 'uncertain' };
    }
  }
}

/** Registers (or bits) a tag occupies, from its shape. */
export function tagWidth(tag: Pick<ModbusTagConfig, 'area' | 'type' | 'bit' | 'length'>): number {
  if (tag.area === 'coil' || tag.area === 'discrete' || tag.bit !== undefined) return 1;
  return registerCount(tag.type, tag.length);
}
