// The Sparkplug B 3.0 edge node: the agent as one edge node of a Sparkplug group, each machine a
// device, on the broker of the Sparkplug host applications (Ignition MQTT Engine, HiveMQ...).
// Optional: without this section there is no Sparkplug traffic.
import { z } from 'zod';
import { brokerTlsSchema } from './mqtt.ts';
import { credentialsInUrl, secret } from './secret.ts';
import { duration, int, text, topicLevel } from './units.ts';

/** Sparkplug ids: UTF-8 without the MQTT wildcards and separator (spec 3.0 §4.1.1). */
const sparkplugId = (what: string) =>
  z
    .string({ error: `expected ${what}: text without / + #` })
    .min(1, { error: `expected ${what}: text without / + #` })
    .max(128, { error: `expected ${what} of at most 128 characters` })
    .regex(/^[^/+#\s]+$/, { error: `expected ${what}: text without / + # or spaces` });

export const sparkplugSchema = z
  .strictObject({
    enabled: z.boolean({ error: 'expected true or false' }).prefault(true).describe('Run the Sparkplug edge node. `false` keeps the section but the edge node does not run and the outbox keeps nothing for it.'),
    url: credentialsInUrl(
      z
        .string({ error: 'expected a URL like mqtt://host:1883 or mqtts://host:8883' })
        .regex(/^(mqtts?|wss?|tcp|ssl):\/\/[^\s/]+/, { error: 'expected a URL like mqtt://host:1883 or mqtts://host:8883' }),
    )
      .optional()
      .describe('Broker of the Sparkplug host applications. Default: `mqtt.url`, with the `mqtt` section\'s username, password and TLS unless given here.'),
    clientId: text().optional().describe('MQTT client id; defaults to `lineside-{agent.id}-sparkplug`.'),
    username: text().optional().describe('Username; use ${VAR} or ${file:/run/secrets/...} rather than a literal.'),
    password: secret(z.string({ error: 'expected a string' })).optional().describe('Password; use ${VAR} or ${file:/run/secrets/...} rather than a literal.'),
    protocolVersion: z.union([z.literal(5), z.literal(4)], { error: 'expected 5 (MQTT 5) or 4 (MQTT 3.1.1)' }).prefault(5).describe('5 for MQTT 5, 4 for MQTT 3.1.1 (Sparkplug 3.0 allows both).'),
    tls: brokerTlsSchema.optional().describe('TLS settings for mqtts:// and wss://.'),
    groupId: sparkplugId('a Sparkplug group id').optional().describe('Sparkplug group id (first level after `spBv1.0`). Default: `{location.site}-{location.area}-{location.line}`.'),
    edgeNodeId: sparkplugId('a Sparkplug edge node id').optional().describe('Sparkplug edge node id; unique within the group. Default: `agent.id`. Each machine is a device named by its machine id.'),
    primaryHostId: sparkplugId('a host application id').optional().describe('Host id of the Primary Host Application (Ignition: the MQTT Engine\'s "Primary Host ID"). When set, the edge node waits for its `spBv1.0/STATE/{id}` online message before NBIRTH, buffers while it is offline, and reconnects when it goes offline.'),
    keepalive: duration({ min: '5s', max: '18h' }).prefault('30s').describe('MQTT keep-alive interval; the broker publishes NDEATH about 1.5 × this after the agent vanished.'),
    connectTimeout: duration({ min: '1s', max: '5m' }).prefault('10s').describe('How long one connection attempt may take.'),
    reconnectMin: duration({ min: '100ms' }).prefault('1s').describe('First reconnect delay; doubles (with jitter) up to reconnectMax.'),
    reconnectMax: duration({ min: '1s' }).prefault('60s').describe('Longest reconnect delay.'),
    replayRate: int(1, 1_000_000).prefault(500).describe('Messages/s at most when the backlog of an outage drains (DDATA with `is_historical = true`); live data goes out beside it.'),
    window: int(1, 65_535).prefault(256).describe('Messages published (QoS 0, as Sparkplug requires) before the agent asks the broker to confirm it has them; only then do they leave the outbox.'),
    linkCheckInterval: duration({ min: '100ms', max: '1m' }).prefault('1s').describe('How often machine links are checked: a lost link publishes DDEATH, its return DBIRTH.'),
    machines: z.array(topicLevel('a machine id')).min(1, { error: 'expected at least one machine id' }).optional().describe('Only these machines become Sparkplug devices. Default: all.'),
  })
  .describe('Sparkplug B 3.0 edge node (Ignition MQTT Engine, HiveMQ, other Sparkplug host applications); see docs/SPARKPLUG.md. Optional.');

export type SparkplugConfig = z.output<typeof sparkplugSchema>;

/** sparkplug.machines naming no machine of the configuration. */
export function checkSparkplugMachines(cfg: { sparkplug?: SparkplugConfig | undefined; machines: readonly { id: string }[] }, ctx: z.RefinementCtx): void {
  const ids = cfg.machines.map((m) => m.id);
  cfg.sparkplug?.machines?.forEach((m, j) => {
    if (!ids.includes(m)) ctx.addIssue({ code: 'custom', path: ['sparkplug', 'machines', j], message: `expected one of the machine ids (${ids.join(', ')}), got "${m}"` });
  });
}
