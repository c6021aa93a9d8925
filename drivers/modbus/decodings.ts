// Every way a run of registers can be read: each 16/32/64-bit type in each byte and word order at
// each start address. The commissioning probes (`lineside modbus read`, the station's Modbus probe)
// show them so an engineer can match the HMI's value and copy `type` and `byteOrder` into the config.
import { BYTE_ORDER_LIST, decodeNumber, orderName, registerCount, toBigEndian, type ByteOrder, type RegisterType } from './codec.ts';

export const WIDE_TYPES: RegisterType[] = ['int32', 'uint32', 'float32', 'int64', 'uint64', 'float64'];

/** 64-bit integers beyond 2^53 are given exactly, as a decimal string. */
export interface Decoding { start: number; type: RegisterType; order: string; value: number | string }

function decodeExact(regs: number[], type: RegisterType, order: ByteOrder): number | string {
  if (type !== 'int64' && type !== 'uint64') return decodeNumber(regs, type, order);
  const b = toBigEndian(regs, order);
  const big = type === 'int64' ? b.readBigInt64BE(0) : b.readBigUInt64BE(0);
  const n = Number(big);
  return Number.isSafeInteger(n) ? n : big.toString();
}

/** Every 16/32/64-bit type in every byte order at every start address the registers allow. */
export function allDecodings(address: number, regs: number[]): Decoding[] {
  const out: Decoding[] = [];
  for (let i = 0; i < regs.length; i++) {
    for (const type of ['int16', 'uint16', ...WIDE_TYPES] as RegisterType[]) {
      const n = registerCount(type);
      if (i + n > regs.length) continue;
      for (const order of BYTE_ORDER_LIST) {
        if (n === 1 && (order === 'CDAB' || order === 'DCBA')) continue; // same as ABCD / BADC for one register
        out.push({ start: address + i, type, order: n === 1 ? orderName(order, 2) : orderName(order, n * 2), value: decodeExact(regs.slice(i, i + n), type, order) });
      }
    }
  }
  return out;
}
