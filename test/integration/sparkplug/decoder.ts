// The test side's own Sparkplug B codec, built with protobufjs straight from the vendored
// sparkplug_b.proto and nothing of the agent's encoder: what the edge node sends must decode here.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const root = protobuf.loadSync(fileURLToPath(new URL('../../../vendor/sparkplug_b/sparkplug_b.proto', import.meta.url)));
const Payload = root.lookupType('org.eclipse.tahu.protobuf.Payload');

export interface Metric {
  name?: string;
  alias?: number;
  timestamp?: number;
  datatype?: number;
  isHistorical?: boolean;
  isNull?: boolean;
  intValue?: number;
  longValue?: number;
  floatValue?: number;
  doubleValue?: number;
  booleanValue?: boolean;
  stringValue?: string;
  properties?: { keys?: string[]; values?: Array<{ type?: number; intValue?: number }> };
}

export interface Decoded {
  timestamp?: number;
  seq?: number;
  metrics?: Metric[];
}

export function decode(bytes: Uint8Array): Decoded {
  return Payload.toObject(Payload.decode(bytes), { longs: Number, bytes: String }) as Decoded;
}

export function encode(p: Decoded): Uint8Array {
  return Payload.encode(Payload.fromObject(p)).finish();
}

/** A metric's value whichever oneof field holds it. */
export function valueOf(m: Metric): unknown {
  if (m.isNull) return null;
  return m.intValue ?? m.longValue ?? m.floatValue ?? m.doubleValue ?? m.booleanValue ?? m.stringValue;
}

export function metric(d: Decoded, name: string): Metric | undefined {
  return d.metrics?.find((m) => m.name === name);
}
