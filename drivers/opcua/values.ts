// OPC UA DataValue → Reading: value mapped to a JSON-friendly scalar, quality from the status
// code's severity bits, and the server's source timestamp kept.
import { DataType, VariantArrayType, type DataValue, type StatusCode } from 'node-opcua';
import type { Quality, Reading, Value } from '../driver.ts';

/** Severity is the top two bits of a status code: 00 good, 01 uncertain, 10/11 bad. */
export function qualityOf(status: StatusCode): Quality {
  const severity = status.value >>> 30;
  if (severity === 0) return 'good';
  if (severity === 1) return 'uncertain';
  return 'bad';
}

function scalar(dataType: DataType, v: unknown): Value {
  if (v === null || v === undefined) return null;
  switch (dataType) {
    case DataType.Boolean:
      return Boolean(v);
    case DataType.Int64:
    case DataType.UInt64: {
      // node-opcua gives 64-bit integers as [high, low] 32-bit words.
      const [hi, lo] = v as [number, number];
      const n = dataType === DataType.Int64 && hi >= 0x80000000 ? (hi - 0x100000000) * 0x100000000 + lo : hi * 0x100000000 + lo;
      return n;
    }
    case DataType.DateTime:
      return v instanceof Date ? v.toISOString() : String(v);
    case DataType.LocalizedText:
      return (v as { text?: string | null }).text ?? null;
    case DataType.QualifiedName:
      return (v as { name?: string | null }).name ?? null;
    default:
      if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
      return String(v);
  }
}

export function valueOf(dv: DataValue): Value {
  const variant = dv.value;
  if (!variant || variant.dataType === DataType.Null) return null;
  if (variant.arrayType !== VariantArrayType.Scalar) {
    // Arrays are forwarded as JSON text: telemetry keeps them, OEE signals never use them.
    return JSON.stringify(Array.from(variant.value as ArrayLike<unknown>, (x) => scalar(variant.dataType, x)));
  }
  return scalar(variant.dataType, variant.value);
}

/** A reading stamped with its receive time `ts`; SourceClock.stamp decides whether `sourceTs` replaces it. */
export function toReading(tag: string, dv: DataValue, ts: number): Reading {
  const quality = qualityOf(dv.statusCode);
  const reading: Reading = { tag, value: quality === 'bad' ? null : valueOf(dv), quality, ts };
  const src = (dv.sourceTimestamp ?? dv.serverTimestamp)?.getTime();
  // OPC UA's "no timestamp" is DateTime 0 (1601); such a value has no time of its own.
  if (src !== undefined && src > 0) reading.sourceTs = src;
  return reading;
}

export function badReading(tag: string, ts: number): Reading {
  return { tag, value: null, quality: 'bad', ts };
}
