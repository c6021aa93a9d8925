// The envelope every published payload carries (contract v1). Central systems de-duplicate on
// `msgId` and find gaps with `seq`; `ts` is when the fact happened, `sentAt` when it left.
import { z } from 'zod';

const isoUtc = z.iso.datetime({ offset: false, precision: 3 });

export const envelopeSchema = z
  .strictObject({
    schema: z.string().regex(/^lineside\.[a-z0-9-]+\/\d+$/).describe('Payload schema id and version, e.g. `lineside.oee/1`.'),
    msgId: z.string().regex(/^[^:]+:\d+$/).describe('`{agentId}:{seq}`: unique and stable across restarts and redeliveries.'),
    seq: z.number().int().positive().describe('Per-agent sequence number: strictly increasing, never reused.'),
    ts: isoUtc.describe('When the fact happened (ISO 8601 UTC).'),
    sentAt: isoUtc.describe('When this copy left the agent (ISO 8601 UTC).'),
    machine: z.string().min(1).describe('Machine id (equals the topic level).'),
    replay: z.boolean().describe('True when the message waited in the outbox across a disconnect or restart, or is a resend.'),
    data: z.record(z.string(), z.unknown()).describe('The payload body; its shape is given by `schema`.'),
  })
  .describe('Envelope of every message the agent publishes.');

export type Envelope = z.infer<typeof envelopeSchema>;

/** The stored part of a message: everything but `sentAt` and `replay`, which are set per send. */
export interface StoredMessage {
  seq: number;
  machine: string;
  schema: string;
  /** ms since epoch */
  ts: number;
  /** The body as JSON text (an object). */
  body: string;
}

export function msgId(agentId: string, seq: number): string {
  return `${agentId}:${seq}`;
}

/**
 * Serialise an envelope without parsing the stored body again: the body is already JSON text,
 * and at backlog-drain rates a parse/stringify per message is the largest cost there is.
 */
export function encodeEnvelope(agentId: string, m: StoredMessage, sentAt: number, replay: boolean): string {
  return (
    `{"schema":${JSON.stringify(m.schema)},"msgId":${JSON.stringify(msgId(agentId, m.seq))},"seq":${m.seq},` +
    `"ts":"${new Date(m.ts).toISOString()}","sentAt":"${new Date(sentAt).toISOString()}",` +
    `"machine":${JSON.stringify(m.machine)},"replay":${replay},"data":${m.body}}`
  );
}
