// The four Modbus data areas of one simulated unit and the request handling over them (the PDU
// level: function code in, response or exception out). Addresses at or past `size` do not exist
// and answer exception 0x02, like a real device with a smaller memory map.

export const EXCEPTION = { illegalFunction: 1, illegalAddress: 2, illegalValue: 3, deviceFailure: 4, busy: 6, gatewayTarget: 0x0b } as const;

export class RegisterBank {
  readonly size: number;
  readonly holding: Uint16Array;
  readonly input: Uint16Array;
  readonly coils: Uint8Array;
  readonly discrete: Uint8Array;

  constructor(size = 10_000) {
    this.size = size;
    this.holding = new Uint16Array(size);
    this.input = new Uint16Array(size);
    this.coils = new Uint8Array(size);
    this.discrete = new Uint8Array(size);
  }

  /** Answer one request PDU. */
  handle(pdu: Buffer): Buffer {
    const fc = pdu[0]!;
    if (pdu.length < 5) return exception(fc, EXCEPTION.illegalValue);
    const address = pdu.readUInt16BE(1);
    const value = pdu.readUInt16BE(3);
    switch (fc) {
      case 1:
      case 2:
        return this.#readBits(fc, fc === 1 ? this.coils : this.discrete, address, value);
      case 3:
      case 4:
        return this.#readWords(fc, fc === 3 ? this.holding : this.input, address, value);
      case 5:
        if (address >= this.size) return exception(fc, EXCEPTION.illegalAddress);
        if (value !== 0 && value !== 0xff00) return exception(fc, EXCEPTION.illegalValue);
        this.coils[address] = value ? 1 : 0;
        return Buffer.from(pdu.subarray(0, 5));
      case 6:
        if (address >= this.size) return exception(fc, EXCEPTION.illegalAddress);
        this.holding[address] = value;
        return Buffer.from(pdu.subarray(0, 5));
      case 15:
      case 16: {
        if (value < 1 || address + value > this.size) return exception(fc, value < 1 ? EXCEPTION.illegalValue : EXCEPTION.illegalAddress);
        const data = pdu.subarray(6);
        for (let i = 0; i < value; i++) {
          if (fc === 16) this.holding[address + i] = data.readUInt16BE(i * 2);
          else this.coils[address + i] = (data[i >> 3]! >> (i & 7)) & 1;
        }
        return Buffer.from(pdu.subarray(0, 5));
      }
      default:
        return exception(fc, EXCEPTION.illegalFunction);
    }
  }

  #readBits(fc: number, area: Uint8Array, address: number, count: number): Buffer {
    if (count < 1 || count > 2000) return exception(fc, EXCEPTION.illegalValue);
    if (address + count > this.size) return exception(fc, EXCEPTION.illegalAddress);
    const bytes = Math.ceil(count / 8);
    const out = Buffer.alloc(2 + bytes);
    out[0] = fc;
    out[1] = bytes;
    for (let i = 0; i < count; i++) if (area[address + i]) out[2 + (i >> 3)]! |= 1 << (i & 7);
    return out;
  }

  #readWords(fc: number, area: Uint16Array, address: number, count: number): Buffer {
    if (count < 1 || count > 125) return exception(fc, EXCEPTION.illegalValue);
    if (address + count > this.size) return exception(fc, EXCEPTION.illegalAddress);
    const out = Buffer.alloc(2 + count * 2);
    out[0] = fc;
    out[1] = count * 2;
    for (let i = 0; i < count; i++) out.writeUInt16BE(area[address + i]!, 2 + i * 2);
    return out;
  }
}

export function exception(fc: number, code: number): Buffer {
  return Buffer.from([fc | 0x80, code]);
}
