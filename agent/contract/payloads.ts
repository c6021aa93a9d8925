// Payload BODIES the machine pipeline publishes, one zod schema each. The envelope (schema,
// msgId, seq, ts, sentAt, machine, replay) is added by the outbox/publisher and is not here.
// Times are ISO 8601 UTC strings, durations integer milliseconds, ratios unrounded numbers.
import { z } from 'zod';

export const SCHEMA = {
  state: 'lineside.state/1',
  downtime: 'lineside.downtime/1',
  oee: 'lineside.oee/1',
  job: 'lineside.job/1',
  telemetry: 'lineside.telemetry/1',
  audit: 'lineside.audit/1',
} as const;

const isoTime = z.iso.datetime();
const ms = z.number().int().nonnegative();
const ratio = z.number().nonnegative().nullable();
const machineState = z.enum(['unknown', 'plannedStop', 'fault', 'changeover', 'running', 'stopped']);
const category = z.enum(['availability', 'performance', 'planned']);

export const stateBody = z.strictObject({
  state: machineState,
  since: isoTime,
  previous: z.strictObject({
    state: machineState,
    start: isoTime,
    end: isoTime,
    durationMs: ms,
    downtimeId: z.string().optional(),
    reason: z.string().optional(),
    microStop: z.boolean().optional(),
  }),
  reason: z.strictObject({ code: z.string(), text: z.string() }).optional(),
  downtimeId: z.string().optional(),
  faultCode: z.number().int().optional(),
  source: z.enum(['calendar', 'signal']).optional(),
});

export const downtimeBody = z.strictObject({
  eventId: z.string().min(1),
  status: z.enum(['open', 'closed', 'updated']),
  state: z.enum(['fault', 'changeover', 'stopped']),
  start: isoTime,
  end: isoTime.nullable(),
  durationMs: ms.nullable(),
  reason: z.strictObject({ code: z.string(), text: z.string(), category, assigned: z.boolean() }),
  microStop: z.boolean(),
  revision: z.number().int().nonnegative(),
  faultCode: z.number().int().optional(),
  note: z.string().optional(),
  assignedBy: z.string().optional(),
});

const stateTimes = z.strictObject({ unknown: ms, plannedStop: ms, fault: ms, changeover: ms, running: ms, stopped: ms });

export const oeeTimes = z.strictObject({
  elapsed: ms,
  plannedStop: ms,
  unknown: ms,
  planned: ms,
  stop: ms,
  run: ms,
  ideal: z.number().nonnegative(),
  availabilityLoss: ms,
  performanceLoss: ms,
  plannedDowntime: ms,
  states: stateTimes,
});

export const oeeCounts = z.strictObject({
  total: z.number().int().nonnegative(),
  good: z.number().int().nonnegative(),
  reject: z.number().int().nonnegative(),
  excluded: z.number().int().nonnegative(),
  implausibleJumps: z.number().int().nonnegative(),
});

export const oeeBody = z.strictObject({
  periodId: z.string().min(1),
  kind: z.enum(['shift', 'hour', 'job']),
  name: z.string().optional(),
  start: isoTime,
  end: isoTime.nullable(),
  status: z.enum(['live', 'closed']),
  revision: z.number().int().nonnegative(),
  availability: ratio,
  performance: ratio,
  quality: ratio,
  oee: ratio,
  times: oeeTimes,
  counts: oeeCounts,
  flags: z.array(z.string()),
  orderId: z.string().optional(),
  product: z.string().optional(),
  idealCycleTimeMs: z.number().positive().optional(),
});

export const jobBody = z.strictObject({
  orderId: z.string().min(1),
  product: z.string().min(1),
  idealCycleTimeMs: z.number().positive(),
  start: isoTime,
  end: isoTime,
  durationMs: ms,
  total: z.number().int().nonnegative(),
  good: z.number().int().nonnegative(),
  reject: z.number().int().nonnegative(),
  availability: ratio,
  performance: ratio,
  quality: ratio,
  oee: ratio,
  flags: z.array(z.string()),
  revision: z.number().int().positive(),
  targetQuantity: z.number().int().nonnegative().optional(),
  complete: z.boolean().optional(),
});

export const telemetryBody = z.strictObject({
  values: z.record(
    z.string(),
    z.strictObject({ value: z.union([z.number(), z.boolean(), z.string(), z.null()]), quality: z.enum(['good', 'bad', 'uncertain']), ts: isoTime }),
  ),
});

/**
 * An operator's or admin's action at the line station or through the local API: who, what, when
 * (the envelope's `ts`), and how it ended. On `.../{machine}/audit` when it concerns a machine,
 * on `.../_agent/audit` otherwise (logins, logouts).
 */
export const auditBody = z.strictObject({
  id: z.number().int().positive().describe('Number of the record in the agent\'s local audit log.'),
  actor: z.string().describe('User name (`http.users`), token name (`http.tokens`; `http.token` for the admin token), or `local` (open loopback).'),
  role: z.enum(['viewer', 'operator', 'admin']),
  via: z.enum(['session', 'token', 'open']).describe('How the actor was authenticated.'),
  action: z.string().describe('`login`, `logout`, `downtime-reason`, `job`, … (new actions may appear).'),
  outcome: z.enum(['ok', 'refused', 'failed']),
  detail: z.record(z.string(), z.unknown()).describe('What was asked: the command fields and the reply code for commands; the reason of a refused login.'),
});

/** Body schema by schema id. */
export const BODY_SCHEMAS = {
  [SCHEMA.state]: stateBody,
  [SCHEMA.downtime]: downtimeBody,
  [SCHEMA.oee]: oeeBody,
  [SCHEMA.job]: jobBody,
  [SCHEMA.telemetry]: telemetryBody,
  [SCHEMA.audit]: auditBody,
} as const;

export type StateBody = z.infer<typeof stateBody>;
export type DowntimeBody = z.infer<typeof downtimeBody>;
export type OeeBody = z.infer<typeof oeeBody>;
export type JobBody = z.infer<typeof jobBody>;
export type TelemetryBody = z.infer<typeof telemetryBody>;
export type AuditBody = z.infer<typeof auditBody>;
