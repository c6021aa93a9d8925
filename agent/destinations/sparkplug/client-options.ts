// mqtt.js options of the edge node's connection: a clean session (Sparkplug state lives in the
// births, not in the broker), the NDEATH as Will (QoS 1, not retained, carrying this CONNECT's
// bdSeq), credentials and TLS. Reconnecting is ours (reconnectPeriod 0): every CONNECT takes a
// new bdSeq, so mqtt.js must never reconnect behind our back with the old Will.
import type { IClientOptions } from 'mqtt';
import { applyBrokerAccess } from '../broker-connection.ts';
import type { SparkplugSettings } from './device-config.ts';
import { DataType, encodePayload, type SpMetric } from './payload.ts';

export function bdSeqMetric(bdSeq: number): SpMetric {
  return { name: 'bdSeq', datatype: DataType.Int64, value: bdSeq };
}

/** NDEATH: the bdSeq metric only, and no seq (tck-id-topics-ndeath-payload, tck-id-topics-ndeath-seq). */
export function ndeathPayload(bdSeq: number, now: number): Buffer {
  return Buffer.from(encodePayload({ timestamp: now, metrics: [bdSeqMetric(bdSeq)] }));
}

export function sparkplugClientOptions(s: SparkplugSettings, willTopic: string, bdSeq: number, now: number): IClientOptions {
  const opts: IClientOptions = {
    clientId: s.clientId,
    protocolVersion: s.protocolVersion,
    keepalive: Math.max(1, Math.round(s.keepalive / 1000)),
    connectTimeout: s.connectTimeout,
    reconnectPeriod: 0,
    clean: true,
    // The pump re-subscribes to NCMD as a barrier; mqtt.js must send every such SUBSCRIBE.
    resubscribe: false,
    writeCache: false,
    will: { topic: willTopic, payload: ndeathPayload(bdSeq, now), qos: 1, retain: false },
  };
  if (s.protocolVersion === 5) opts.properties = { sessionExpiryInterval: 0 };
  return applyBrokerAccess(opts, s, 'sparkplug');
}
