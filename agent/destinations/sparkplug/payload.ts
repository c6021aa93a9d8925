// Sparkplug B payloads: protobuf from the official sparkplug_b.proto (Eclipse Tahu, vendored in
// vendor/sparkplug_b), loaded once at runtime with protobufjs. Values go in the oneof field the
// specification assigns to each datatype (spec 3.0 §6.4.16); a null value sets is_null and no value.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type protobuf from 'protobufjs';

/** Sparkplug B datatypes (the proto's DataType enum), the ones this edge node uses and reads. */
export const DataType = {
  Int8: 1,
  Int16: 2,
  Int32: 3,
  Int64: 4,
  UInt8: 5,
  UInt16: 6,
  UInt32: 7,
  UInt64: 8,
  Float: 9,
  Double: 10,
  Boolean: 11,
  String: 12,
  DateTime: 13,
  Text: 14,
} as const;
export type DataTypeId = (typeof DataType)[keyof typeof DataType];

export type MetricValue = number | boolean | string | null;

export interface SpMetric {
  name: string;
  datatype: DataTypeId;
  value: MetricValue;
  /** When the value was true (ms since epoch). */
  timestamp?: number;
  isHistorical?: boolean;
  /** Property "Quality" as Ignition reads it (192 good, 64 uncertain, 0 bad). */
  quality?: number;
}

export interface SpPayload {
  timestamp: number;
  /** Absent only on NDEATH. */
  seq?: number;
  metrics: SpMetric[];
}

export const PROTO_FILE = fileURLToPath(new URL('../../../vendor/sparkplug_b/sparkplug_b.proto', import.meta.url));

let payloadType: protobuf.Type | undefined;
/** protobufjs and the .proto load on first use: an agent without Sparkplug never loads them. */
function type(): protobuf.Type {
  if (!payloadType) {
    const pb = createRequire(import.meta.url)('protobufjs') as typeof protobuf;
    payloadType = pb.loadSync(PROTO_FILE).lookupType('org.eclipse.tahu.protobuf.Payload');
  }
  return payloadType;
}

const INT32_TYPES = new Set<number>([DataType.Int8, DataType.Int16, DataType.Int32, DataType.UInt8, DataType.UInt16, DataType.UInt32]);
const LONG_TYPES = new Set<number>([DataType.Int64, DataType.UInt64, DataType.DateTime]);

function valueField(datatype: number, value: Exclude<MetricValue, null>): Record<string, unknown> {
  if (INT32_TYPES.has(datatype)) return { intValue: Number(value) >>> 0 };
  if (LONG_TYPES.has(datatype)) return { longValue: Math.trunc(Number(value)) };
  if (datatype === DataType.Float) return { floatValue: Number(value) };
  if (datatype === DataType.Double) return { doubleValue: Number(value) };
  if (datatype === DataType.Boolean) return { booleanValue: Boolean(value) };
  return { stringValue: String(value) };
}

function metricObject(m: SpMetric): Record<string, unknown> {
  const o: Record<string, unknown> = { name: m.name, datatype: m.datatype };
  if (m.timestamp !== undefined) o.timestamp = m.timestamp;
  if (m.isHistorical) o.isHistorical = true;
  if (m.quality !== undefined) o.properties = { keys: ['Quality'], values: [{ type: DataType.Int32, intValue: m.quality }] };
  if (m.value === null || (typeof m.value === 'number' && !Number.isFinite(m.value) && m.datatype !== DataType.Double && m.datatype !== DataType.Float)) o.isNull = true;
  else Object.assign(o, valueField(m.datatype, m.value));
  return o;
}

export function encodePayload(p: SpPayload): Uint8Array {
  const t = type();
  const o: Record<string, unknown> = { timestamp: p.timestamp, metrics: p.metrics.map(metricObject) };
  if (p.seq !== undefined) o.seq = p.seq;
  return t.encode(t.fromObject(o)).finish();
}

export interface DecodedMetric {
  name: string | undefined;
  alias: number | undefined;
  datatype: number | undefined;
  timestamp: number | undefined;
  isNull: boolean;
  value: MetricValue;
}

export interface DecodedPayload {
  timestamp: number | undefined;
  seq: number | undefined;
  metrics: DecodedMetric[];
}

/** Decode what a host sent (NCMD, DCMD); throws on bytes that are not a Sparkplug payload. */
export function decodePayload(bytes: Uint8Array): DecodedPayload {
  const t = type();
  const o = t.toObject(t.decode(bytes), { longs: Number, oneofs: true }) as {
    timestamp?: number;
    seq?: number;
    metrics?: Array<Record<string, unknown> & { value?: string }>;
  };
  return {
    timestamp: o.timestamp,
    seq: o.seq,
    metrics: (o.metrics ?? []).map((m) => {
      const field = m.value;
      const raw = field ? m[field] : undefined;
      const value: MetricValue = typeof raw === 'number' || typeof raw === 'boolean' || typeof raw === 'string' ? raw : null;
      return {
        name: typeof m.name === 'string' ? m.name : undefined,
        alias: typeof m.alias === 'number' ? m.alias : undefined,
        datatype: typeof m.datatype === 'number' ? m.datatype : undefined,
        timestamp: typeof m.timestamp === 'number' ? m.timestamp : undefined,
        isNull: m.isNull === true,
        value: m.isNull === true ? null : value,
      };
    }),
  };
}
