// Modbus framing for the simulator: MBAP (Modbus TCP) and RTU (serial, or tunnelled over TCP).
// Each splitter consumes complete request frames from a growing buffer and keeps the rest.

export function crc16(buf: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of buf) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

export interface Frame {
  unit: number;
  pdu: Buffer;
  /** MBAP transaction id (TCP only). */
  tid?: number;
}

export type Framing = 'tcp' | 'rtu';

/** Split complete frames off `buf`; returns the frames and what is left over. */
export function splitFrames(framing: Framing, buf: Buffer): { frames: Frame[]; rest: Buffer; badCrc: number } {
  return framing === 'tcp' ? splitMbap(buf) : splitRtu(buf);
}

function splitMbap(buf: Buffer): { frames: Frame[]; rest: Buffer; badCrc: number } {
  const frames: Frame[] = [];
  let at = 0;
  while (buf.length - at >= 8) {
    const len = buf.readUInt16BE(at + 4);
    if (len < 2 || len > 254) return { frames, rest: Buffer.alloc(0), badCrc: 0 }; // garbage: drop it all
    if (buf.length - at < 6 + len) break;
    frames.push({ tid: buf.readUInt16BE(at), unit: buf[at + 6]!, pdu: Buffer.from(buf.subarray(at + 7, at + 6 + len)) });
    at += 6 + len;
  }
  return { frames, rest: buf.subarray(at), badCrc: 0 };
}

/** Request length from the function code: reads and single writes are 8 bytes, multiple writes carry a byte count. */
function rtuRequestLength(buf: Buffer, at: number): number | undefined {
  const fc = buf[at + 1]!;
  if (fc >= 1 && fc <= 6) return 8;
  if (fc === 15 || fc === 16) return buf.length - at >= 7 ? 9 + buf[at + 6]! : undefined;
  return -1;
}

function splitRtu(buf: Buffer): { frames: Frame[]; rest: Buffer; badCrc: number } {
  const frames: Frame[] = [];
  let at = 0;
  let badCrc = 0;
  while (buf.length - at >= 2) {
    const len = rtuRequestLength(buf, at);
    if (len === undefined) break;
    if (len < 0) {
      at++; // not a request we know: slide one byte to find the next frame start
      continue;
    }
    if (buf.length - at < len) break;
    const body = buf.subarray(at, at + len - 2);
    if (buf.readUInt16LE(at + len - 2) !== crc16(body)) {
      badCrc++;
      at++;
      continue;
    }
    frames.push({ unit: body[0]!, pdu: Buffer.from(body.subarray(1)) });
    at += len;
  }
  return { frames, rest: buf.subarray(at), badCrc };
}

export function encodeResponse(framing: Framing, req: Frame, pdu: Buffer, corruptCrc = false): Buffer {
  if (framing === 'tcp') {
    const out = Buffer.alloc(7 + pdu.length);
    out.writeUInt16BE(req.tid ?? 0, 0);
    out.writeUInt16BE(0, 2);
    out.writeUInt16BE(pdu.length + 1, 4);
    out[6] = req.unit;
    pdu.copy(out, 7);
    return out;
  }
  const out = Buffer.alloc(3 + pdu.length);
  out[0] = req.unit;
  pdu.copy(out, 1);
  out.writeUInt16LE(crc16(out.subarray(0, out.length - 2)) ^ (corruptCrc ? 0x5a5a : 0), out.length - 2);
  return out;
}
