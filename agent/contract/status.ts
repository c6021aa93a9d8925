// Agent-level payloads: the retained status (birth / last will) and the drop report the outbox
// publishes when its bounds forced it to discard messages.
import { z } from 'zod';

export const AGENT_STATUS_SCHEMA = 'lineside.agent-status/1';
export const DROP_REPORT_SCHEMA = 'lineside.outbox-drop/2';

export const agentStatusSchema = z
  .strictObject({
    schema: z.literal(AGENT_STATUS_SCHEMA),
    agentId: z.string(),
    status: z.enum(['online', 'offline']).describe('`online` is the birth message on every connect; `offline` the last will or a clean stop.'),
    ts: z.iso.datetime({ offset: false }),
    version: z.string().optional().describe('Agent version (birth only).'),
    configHash: z.string().optional().describe('Hash of the effective configuration (birth only).'),
    reason: z.enum(['stopped', 'connection-lost']).optional().describe('Why the agent is offline.'),
  })
  .describe('Retained at `.../_agent/{agentId}/status`.');

export type AgentStatus = z.infer<typeof agentStatusSchema>;

const seqRange = z.tuple([z.number().int().positive(), z.number().int().positive()]).describe('Inclusive range of seqs.');

/** Body (envelope `data`) of a drop report, published on `.../{machine}/event` of each affected machine. */
export const dropReportSchema = z
  .strictObject({
    event: z.literal('outbox-drop'),
    reason: z.enum(['maxBytes', 'maxAge', 'diskFull', 'fileCorrupt']).describe('Which bound forced the drop: `buffer.maxBytes`, `buffer.maxAge`, a full disk; `fileCorrupt`: the outbox file was corrupt and moved aside, and these are the undelivered messages that could still be read from it.'),
    count: z.number().int().positive().describe('Messages of this machine dropped in this round.'),
    byKind: z.record(z.string(), z.number().int()).describe('Dropped messages per kind (telemetry, state, ...).'),
    firstSeq: z.number().int().nonnegative().describe('Lowest dropped seq (0 when the messages never got one).'),
    lastSeq: z.number().int().nonnegative().describe('Highest dropped seq (0 when the messages never got one).'),
    seqs: z.array(seqRange).describe('Every dropped seq, as inclusive [first, last] ranges (a bound drops low-priority messages first, so the seqs need not be contiguous). Their lengths add up to `count`, less messages dropped before they got a seq.'),
    maybeDelivered: z.array(seqRange).describe('Dropped seqs that may have arrived all the same: handed to a destination that never confirmed them (a broker that died before its PUBACK), or confirmed by another destination. Do not count these as lost when they are there.'),
    fromTs: z.iso.datetime({ offset: false }).describe('Oldest dropped fact.'),
    toTs: z.iso.datetime({ offset: false }).describe('Newest dropped fact.'),
  })
  .describe('The outbox had to discard messages: the receiver knows which seqs are gone on purpose.');

export type DropReport = z.infer<typeof dropReportSchema>;
