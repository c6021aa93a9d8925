// Request bodies and responses of the station's routes as zod schemas: the handlers validate with
// them and docs/openapi.yaml is generated from them.
import { z } from 'zod';
import { jobCommandSchema } from '../contract/commands.ts';
import { ROLE_ORDER } from '../http/access.ts';

const isoOut = z.iso.datetime();
const ratio = z.number().nullable();
const role = z.enum(ROLE_ORDER);
const machineState = z.enum(['unknown', 'plannedStop', 'fault', 'changeover', 'running', 'stopped']);

export const loginRequest = z.strictObject({
  user: z.string().min(1).max(64),
  password: z.string().min(1).max(1024),
});

export const sessionResponse = z.strictObject({
  user: z.string().nullable().describe('null when not logged in.'),
  role: role.nullable(),
  via: z.enum(['session', 'token', 'open']).nullable().describe('`open`: loopback with no users or tokens configured; everyone on this host is admin.'),
  csrfToken: z.string().nullable().describe('Send it as `X-CSRF-Token` on every POST and DELETE of this session; null for bearer tokens (they need none).'),
  expiresAt: isoOut.nullable().describe('When the session ends unless used again (idle timeout), at most the absolute lifetime.'),
});

export const tile = z.strictObject({
  id: z.string(),
  name: z.string().optional(),
  link: z.enum(['connecting', 'connected', 'disconnected', 'stopped']),
  state: z.strictObject({ state: machineState, since: isoOut, faultCode: z.number().int().optional() }).nullable(),
  stop: z
    .strictObject({ eventId: z.string(), state: z.enum(['fault', 'changeover', 'stopped']), start: isoOut, reason: z.strictObject({ code: z.string(), text: z.string(), assigned: z.boolean() }) })
    .nullable()
    .describe('The open downtime event, if the machine is stopped.'),
  job: z.strictObject({ orderId: z.string(), product: z.string(), start: isoOut, targetQuantity: z.number().int().optional() }).nullable(),
  counts: z.strictObject({ good: z.number().int(), reject: z.number().int(), total: z.number().int() }).describe('Parts of the running job, else of the shift.'),
  oee: z
    .strictObject({ kind: z.enum(['shift', 'hour']), name: z.string().optional(), start: isoOut, availability: ratio, performance: ratio, quality: ratio, oee: ratio })
    .nullable()
    .describe('Live OEE of the open shift period (of the hour when no shifts are configured).'),
});

export const lineResponse = z.strictObject({
  at: isoOut,
  line: z.string(),
  machines: z.array(tile).describe('In configuration order.'),
});

export const reasonsResponse = z.strictObject({
  reasons: z.array(z.strictObject({ code: z.string(), text: z.string(), category: z.enum(['availability', 'performance', 'planned']) })).describe('The reason catalogue (`reasons`), in configuration order.'),
});

export const openStopsResponse = z.strictObject({
  machine: z.string(),
  events: z
    .array(z.strictObject({ eventId: z.string(), state: z.enum(['fault', 'changeover', 'stopped']), start: isoOut, end: isoOut.nullable(), reason: z.string(), assigned: z.boolean(), microStop: z.boolean() }))
    .describe('Downtime events the pipeline still holds (the open one and those recent enough to revise), newest first.'),
});

export const reasonRequest = z.strictObject({
  commandId: z.string().min(1).max(128).regex(/^[\x21-\x7e]+$/).describe('Chosen once per action by the client; a retry with the same id is not applied twice.'),
  eventId: z.string().min(1).max(128),
  reasonCode: z.string().min(1).max(64),
  text: z.string().max(1024).optional(),
});

export const jobRequest = jobCommandSchema;

export const commandResponse = z.strictObject({
  reply: z.record(z.string(), z.unknown()).describe('The command reply (`lineside.cmd-reply/1`), as MQTT senders get it.'),
});

export const commandRejected = z.strictObject({
  error: z.strictObject({ code: z.string(), message: z.string() }),
  reply: z.record(z.string(), z.unknown()),
});

export const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100).describe('Items (newest first; default 100, at most 1000).'),
  before: z.coerce.number().int().positive().optional().describe('Only items with a smaller `id` (the next page: the last `id` seen).'),
});

export const jobsResponse = z.strictObject({
  jobs: z.array(
    z.strictObject({
      id: z.number().int(),
      ts: isoOut,
      machine: z.string(),
      action: z.enum(['start', 'end']),
      orderId: z.string(),
      product: z.string().nullable(),
      idealCycleTimeMs: z.number().nullable(),
      targetQuantity: z.number().int().nullable(),
      source: z.enum(['mqtt', 'station']).describe('`mqtt`: a `cmd/job` from the ERP/MES; `station`: the line station or this API.'),
      by: z.string().nullable(),
    }),
  ),
});

export const auditResponse = z.strictObject({
  records: z.array(
    z.strictObject({
      id: z.number().int(),
      ts: isoOut,
      actor: z.string(),
      role: z.string(),
      via: z.string(),
      action: z.string(),
      machine: z.string().nullable(),
      outcome: z.enum(['ok', 'refused', 'failed']),
      detail: z.record(z.string(), z.unknown()),
    }),
  ),
});

export type Tile = z.infer<typeof tile>;
