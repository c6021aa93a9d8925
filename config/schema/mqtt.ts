// The connection to the central broker.
import { z } from 'zod';
import { credentialsInUrl, secret } from './secret.ts';
import { duration, int, num, size, text } from './units.ts';

/** TLS of a broker connection (also the Sparkplug section's). */
export const brokerTlsSchema = z
  .strictObject({
    ca: text('a file path').optional().describe('PEM file of the CA(s) that signed the broker certificate.'),
    cert: text('a file path').optional().describe('PEM client certificate for mutual TLS.'),
    key: text('a file path').optional().describe('PEM private key of the client certificate.'),
    rejectUnauthorized: z.boolean({ error: 'expected true or false' }).prefault(true).describe('Verify the broker certificate. Turn off only for a lab.'),
    servername: text().optional().describe('TLS server name (SNI) when it differs from the URL host.'),
  })
  .refine((t) => (t.cert === undefined) === (t.key === undefined), { error: 'cert and key must be given together', path: ['key'] });

export const mqttSchema = z
  .strictObject({
    url: credentialsInUrl(
      z
        .string({ error: 'expected a URL like mqtt://host:1883 or mqtts://host:8883' })
        .regex(/^(mqtts?|wss?|tcp|ssl):\/\/[^\s/]+/, { error: 'expected a URL like mqtt://host:1883 or mqtts://host:8883' }),
    ).describe('Broker URL: mqtt://, mqtts:// (TLS), ws:// or wss://. Credentials belong in username/password; `user:password@` in the URL works but is shown masked.'),
    clientId: text().optional().describe('MQTT client id; defaults to `lineside-{agent.id}`. Must be stable for persistent sessions.'),
    username: text().optional().describe('Username; use ${VAR} or ${file:/run/secrets/...} rather than a literal.'),
    password: secret(z.string({ error: 'expected a string' })).optional().describe('Password; use ${VAR} or ${file:/run/secrets/...} rather than a literal.'),
    protocolVersion: z.union([z.literal(5), z.literal(4)], { error: 'expected 5 (MQTT 5) or 4 (MQTT 3.1.1)' }).prefault(5).describe('5 for MQTT 5, 4 for MQTT 3.1.1.'),
    qos: z.union([z.literal(1), z.literal(2)], { error: 'expected 1 or 2' }).prefault(1).describe('QoS of every publish. At least 1: a message leaves the outbox only once the broker acknowledged it.'),
    keepalive: duration({ min: '5s', max: '18h' }).prefault('30s').describe('MQTT keep-alive interval.'),
    connectTimeout: duration({ min: '1s', max: '5m' }).prefault('10s').describe('How long one connection attempt may take.'),
    reconnectMin: duration({ min: '100ms' }).prefault('1s').describe('First reconnect delay; doubles (with jitter) up to reconnectMax.'),
    reconnectMax: duration({ min: '1s' }).prefault('60s').describe('Longest reconnect delay.'),
    inflight: int(1, 65535).prefault(64).describe('Publishes awaiting PUBACK at once (the in-flight window).'),
    replayRate: int(1, 1_000_000).prefault(2000).describe('Messages/s at most when draining a backlog after an outage (marked `replay: true`); live messages go out beside it at once.'),
    ordering: z.enum(['lanes', 'strict'], { error: 'expected lanes | strict' }).prefault('lanes').describe('`lanes`: live messages go out at once and the backlog drains oldest first beside them (order is kept within each lane). `strict`: one stream in seq order, live messages wait behind the backlog.'),
    maxPacketSize: size({ min: '20KiB' })
      .refine((b) => b <= 268_435_455, { error: 'expected a size of at most 256MiB (the MQTT limit)' })
      .prefault('256KiB')
      .describe('Largest MQTT packet the broker may send the agent (MQTT 5 Maximum Packet Size): larger commands are never delivered, so they cannot exhaust memory. Limits what the agent receives, not what it publishes. MQTT 3.1.1 has no such property: set the broker\'s `max_packet_size` instead.'),
    commandRate: num({ min: 0, exclusiveMin: true, max: 100_000 }).prefault(20).describe('Commands per second each machine accepts in the long run (a token bucket per machine; commands for unknown machines share one). Over it a command is answered LS_CMD_RATE_LIMITED unread.'),
    commandBurst: int(1, 100_000).prefault(50).describe('Commands a machine accepts at once before commandRate applies (the bucket size).'),
    tls: brokerTlsSchema.optional().describe('TLS settings for mqtts:// and wss://.'),
  })
  .describe('The MQTT broker of the MES.');
