// What the edge node needs from the configuration: the resolved connection (defaults from the
// `mqtt` section), the group and node ids, and per machine its telemetry tags and their datatypes.
import type { LinesideConfig, MachineConfig } from '../../../config/schema/index.ts';
import { tagNames } from '../../../config/schema/index.ts';
import type { SparkplugConfig } from '../../../config/schema/sparkplug.ts';
import { DataType, type DataTypeId } from './payload.ts';
import type { TagTypes } from './metric-map.ts';

export interface SparkplugSettings extends SparkplugConfig {
  url: string;
  groupId: string;
  edgeNodeId: string;
  clientId: string;
}

export function resolveSparkplug(config: Pick<LinesideConfig, 'agent' | 'location' | 'mqtt'> & { sparkplug?: SparkplugConfig | undefined }): SparkplugSettings | undefined {
  const s = config.sparkplug;
  if (!s) return undefined;
  const own = s.url !== undefined;
  const m = config.mqtt;
  const l = config.location;
  return {
    ...s,
    url: s.url ?? m.url,
    ...(s.username === undefined && !own && m.username !== undefined ? { username: m.username } : {}),
    ...(s.password === undefined && !own && m.password !== undefined ? { password: m.password } : {}),
    ...(s.tls === undefined && !own && m.tls !== undefined ? { tls: m.tls } : {}),
    groupId: s.groupId ?? `${l.site}-${l.area}-${l.line}`,
    edgeNodeId: s.edgeNodeId ?? config.agent.id,
    clientId: s.clientId ?? `lineside-${config.agent.id}-sparkplug`,
  };
}

const MODBUS: Record<string, DataTypeId> = {
  bool: DataType.Boolean,
  int16: DataType.Int16,
  uint16: DataType.UInt16,
  int32: DataType.Int32,
  uint32: DataType.UInt32,
  int64: DataType.Int64,
  uint64: DataType.UInt64,
  float32: DataType.Float,
  float64: DataType.Double,
  string: DataType.String,
};

const SIM: Record<string, DataTypeId> = {
  running: DataType.Boolean,
  partCount: DataType.UInt32,
  rejectCount: DataType.UInt32,
  faultCode: DataType.Int32,
  speed: DataType.Double,
  mode: DataType.UInt8,
};

/** Telemetry tags of a machine and the datatypes known from its configuration (OPC UA: from the first value). */
export function deviceTags(m: MachineConfig): { tags: string[]; types: TagTypes } {
  const tags = m.telemetry.tags ?? tagNames(m);
  const types = new Map<string, DataTypeId>();
  if (m.driver === 'sim') for (const t of tags) types.set(t, SIM[t] ?? DataType.Double);
  if (m.driver === 'modbus') {
    for (const t of m.tags) {
      const bool = t.area === 'coil' || t.area === 'discrete' || t.bit !== undefined;
      // A scaled register is an engineering value: a Double, whatever the raw type.
      const scaled = t.scale !== 1 || t.offset !== 0;
      types.set(t.name, bool ? DataType.Boolean : scaled && t.type !== 'string' ? DataType.Double : (MODBUS[t.type] ?? DataType.Double));
    }
  }
  return { tags, types };
}
