// Commands from the MES and the agent's replies (contract v1).
// Request: `.../{machine}/cmd/{name}`, reply: `.../{machine}/cmd/{name}/reply`.
import { z } from 'zod';

export const COMMAND_REPLY_SCHEMA = 'lineside.cmd-reply/1';
/** Largest command payload accepted; larger ones are answered LS_CMD_TOO_LARGE unread. */
export const MAX_COMMAND_BYTES = 16 * 1024;

const id = z.string().min(1).max(128).regex(/^[\x21-\x7e]+$/, { error: 'expected printable ASCII without spaces' });
const text = (max: number) => z.string().min(1).max(max);

export const commandIdSchema = id.describe('Unique id chosen by the sender; a redelivered command with a known id is not applied again, and a known id with a different body is rejected (LS_CMD_ID_REUSED).');

/** How far ahead of the agent's clock `issuedAt` may be: the sender's clock is off beyond that. */
export const MAX_ISSUED_AHEAD_MS = 30_000;

// When the command was issued and until when it may be applied, so a command that waited at the
// broker (the agent was down) is applied as of when it was meant, or not at all. Both optional:
// without them a command takes effect when the agent receives it, as in contract 1.0.
const timing = {
  issuedAt: z.iso
    .datetime({ offset: true })
    .optional()
    .describe(`When the sender issued the command (ISO 8601). The agent applies the command as of this time (never later than when it received it, nor earlier than facts it already published); more than ${MAX_ISSUED_AHEAD_MS / 1000} s ahead of the agent's clock is LS_CMD_INVALID.`),
  expiresAt: z.iso.datetime({ offset: true }).optional().describe('Apply no later than this (ISO 8601); received later, the command is rejected with LS_CMD_EXPIRED and not applied.'),
};

export const jobCommandSchema = z.discriminatedUnion('action', [
  z.strictObject({
    commandId: commandIdSchema,
    action: z.literal('start'),
    orderId: text(128),
    product: text(128),
    idealCycleTime: z.number().positive().max(86_400_000).describe('Ideal cycle time of the product, ms per part.'),
    target: z.number().int().positive().optional().describe('Target quantity of the order.'),
    ...timing,
  }),
  z.strictObject({
    commandId: commandIdSchema,
    action: z.literal('end'),
    orderId: text(128),
    ...timing,
  }),
]).describe('`cmd/job`: start or end a job order on the machine.');

export const downtimeReasonCommandSchema = z
  .strictObject({
    commandId: commandIdSchema,
    eventId: text(128).describe('Id of the downtime event (from the `downtime` topic).'),
    reasonCode: text(64).describe('Reason code from the configured catalogue.'),
    text: z.string().max(1024).optional().describe('Free text from the operator.'),
    by: z.string().max(128).optional().describe('Who assigned the reason.'),
    ...timing,
  })
  .describe('`cmd/downtime-reason`: assign a reason to a downtime event.');

export const COMMAND_SCHEMAS = {
  job: jobCommandSchema,
  'downtime-reason': downtimeReasonCommandSchema,
} as const;

export type CommandName = keyof typeof COMMAND_SCHEMAS;
export type JobCommand = z.infer<typeof jobCommandSchema>;
export type DowntimeReasonCommand = z.infer<typeof downtimeReasonCommandSchema>;

export const commandReplySchema = z
  .strictObject({
    schema: z.literal(COMMAND_REPLY_SCHEMA),
    commandId: z.string().nullable().describe('Id of the command answered; null when it could not be read.'),
    machine: z.string(),
    command: z.string(),
    status: z.enum(['accepted', 'rejected']),
    code: z.string().regex(/^LS_[A-Z_]+$/).optional().describe('Error code when rejected.'),
    reason: z.string().optional().describe('Human-readable reason when rejected.'),
    duplicate: z.boolean().optional().describe('True when the command id was seen before: this repeats the first answer, nothing was applied again.'),
    detail: z.record(z.string(), z.unknown()).optional(),
    ts: z.iso.datetime({ offset: false }),
  })
  .describe('Reply to every command, accepted or rejected.');

export type CommandReply = z.infer<typeof commandReplySchema>;
