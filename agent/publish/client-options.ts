// mqtt.js options from the configuration: protocol version, credentials, TLS / mutual TLS, and
// the retained last will. Reconnecting is ours (reconnectPeriod 0): each connection gets a
// fresh client, so mqtt.js never replays its own in-memory queue behind the outbox's back.
import type { IClientOptions } from 'mqtt';
import { applyBrokerAccess } from '../destinations/broker-connection.ts';
import type { LinesideConfig } from '../../config/schema/index.ts';
import { AGENT_STATUS_SCHEMA, type AgentStatus } from '../contract/status.ts';

export type MqttConfig = LinesideConfig['mqtt'];

/** How long the broker keeps our session (and queues commands) while we are away, MQTT 5. */
export const SESSION_EXPIRY_S = 86_400;

export function offlineStatus(agentId: string, now: number, reason: AgentStatus['reason']): string {
  const s: AgentStatus = { schema: AGENT_STATUS_SCHEMA, agentId, status: 'offline', ts: new Date(now).toISOString(), reason };
  return JSON.stringify(s);
}

export function onlineStatus(agentId: string, now: number, version: string, configHash: string): string {
  const s: AgentStatus = { schema: AGENT_STATUS_SCHEMA, agentId, status: 'online', ts: new Date(now).toISOString(), version, configHash };
  return JSON.stringify(s);
}


export function clientOptions(cfg: MqttConfig, agentId: string, statusTopic: string, now: number): IClientOptions {
  const opts: IClientOptions = {
    clientId: cfg.clientId ?? `lineside-${agentId}`,
    protocolVersion: cfg.protocolVersion,
    keepalive: Math.max(1, Math.round(cfg.keepalive / 1000)),
    connectTimeout: cfg.connectTimeout,
    reconnectPeriod: 0,
    // A persistent session: commands sent while the agent is away wait at the broker; the
    // command log makes their redelivery harmless.
    clean: false,
    resubscribe: false,
    // Else mqtt-packet pre-builds a Buffer for each of the 65,536 two-byte numbers on the first packet:
    // ~6.5 MiB of heap for the agent's lifetime, to save an allocation per packet (bench/footprint.ts).
    writeCache: false,
    will: { topic: statusTopic, payload: Buffer.from(offlineStatus(agentId, now, 'connection-lost')), qos: 1, retain: true },
  };
  // Maximum Packet Size: the broker drops a larger packet for us instead of sending it, so a huge
  // command never reaches mqtt-packet, which buffers a whole packet before anything can look at
  // it. MQTT 3.1.1 has no equivalent (and mqtt-packet no limit of its own): there only the
  // broker's max_packet_size protects the agent. It bounds what we receive, not what we publish.
  if (cfg.protocolVersion === 5) opts.properties = { sessionExpiryInterval: SESSION_EXPIRY_S, maximumPacketSize: cfg.maxPacketSize };
  return applyBrokerAccess(opts, cfg, 'mqtt');
}
