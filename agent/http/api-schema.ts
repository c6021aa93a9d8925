// The read API's query parameters and responses as zod schemas: the handlers validate with them,
// and docs/openapi.yaml is generated from them (so the document describes what is served).
import { z } from 'zod';
import { downtimeBody, oeeBody, stateBody } from '../contract/payloads.ts';
import { nextField, pageParams } from './page.ts';

const iso = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 date-time, e.g. 2026-03-02T06:00:00Z' });
const machineId = z.string().min(1).max(128).describe('Machine id (`machines[].id`).');
const isoOut = z.iso.datetime();
const ratio = z.number().nullable();

export const machinesQuery = z.strictObject(pageParams);

const window = {
  machine: machineId,
  from: iso.optional().describe('Start of the window (default: `to` − 24 h). Items that overlap the window are returned.'),
  to: iso.optional().describe('End of the window (default: now; give it for a set of pages that does not move).'),
};

export const historyQuery = z.strictObject({ ...window, ...pageParams });

export const oeeQuery = z.strictObject({
  ...window,
  period: z.enum(['shift', 'hour', 'job'], { error: 'expected shift | hour | job' }).optional().describe('Kind of period (default: all kinds).'),
  ...pageParams,
});

export const errorResponse = z.strictObject({
  error: z.strictObject({ code: z.string().regex(/^LS_[A-Z_]+$/).describe('Code from docs/ERRORS.md.'), message: z.string() }),
});

const linkState = z.enum(['connecting', 'connected', 'disconnected', 'stopped']);
const machineState = z.enum(['unknown', 'plannedStop', 'fault', 'changeover', 'running', 'stopped']);

export const machineSummary = z.strictObject({
  id: z.string(),
  name: z.string().optional(),
  driver: z.string(),
  link: z.strictObject({ state: linkState, since: isoOut, lastError: z.string().optional() }).describe('Connection to the device.'),
  state: z.strictObject({ state: machineState, since: isoOut, faultCode: z.number().int().optional() }).nullable().describe('Current machine state from the pipeline; null while the pipeline is not running.'),
  job: z.strictObject({ orderId: z.string(), product: z.string(), start: isoOut, idealCycleTimeMs: z.number(), targetQuantity: z.number().int().optional() }).nullable().describe('The job order running on the machine.'),
});

export const livePeriod = z.strictObject({
  periodId: z.string(),
  kind: z.enum(['shift', 'hour', 'job']),
  name: z.string().optional(),
  start: isoOut,
  end: isoOut.nullable(),
  availability: ratio,
  performance: ratio,
  quality: ratio,
  oee: ratio,
  counts: z.strictObject({ total: z.number().int(), good: z.number().int(), reject: z.number().int() }),
  flags: z.array(z.string()),
});

export const machineDetail = machineSummary.extend({
  link: z.strictObject({
    state: linkState,
    since: isoOut,
    lastError: z.string().optional(),
    polls: z.number().int(),
    pollErrors: z.number().int(),
    reconnects: z.number().int(),
    overruns: z.number().int(),
    lastPollMs: z.number().optional(),
  }),
  tags: z.record(z.string(), z.strictObject({ value: z.union([z.number(), z.boolean(), z.string(), z.null()]), quality: z.enum(['good', 'bad', 'uncertain']), ts: isoOut })).describe('Latest reading of every tag.'),
  readings: z.number().int().describe('Readings received since the agent started.'),
  periods: z.array(livePeriod).describe('Open periods with their live (provisional) OEE.'),
});

export const machinesResponse = z.strictObject({ machines: z.array(machineSummary).describe('In configuration order.'), next: nextField });

export const oeeResponse = z.strictObject({
  machine: z.string(),
  from: isoOut,
  to: isoOut,
  periods: z.array(oeeBody).describe('Closed periods (latest revision), oldest first; bodies as in `lineside.oee/1`.'),
  next: nextField,
});

export const downtimeResponse = z.strictObject({
  machine: z.string(),
  from: isoOut,
  to: isoOut,
  events: z.array(downtimeBody).describe('Closed downtime events (latest revision), oldest first; bodies as in `lineside.downtime/1`.'),
  next: nextField,
});

export const statesResponse = z.strictObject({
  machine: z.string(),
  from: isoOut,
  to: isoOut,
  intervals: z.array(stateBody.shape.previous).describe('Closed state intervals, oldest first, as the `previous` of each `lineside.state/1` change; the interval going on now is the machine\'s `state` and `since` in `GET /api/v1/machines/{id}`.'),
  next: nextField,
});

export type MachineSummary = z.infer<typeof machineSummary>;
export type MachineDetail = z.infer<typeof machineDetail>;

export const healthResponse = z.strictObject({ status: z.literal('ok') });

export const readyResponse = z.strictObject({
  status: z.enum(['ready', 'not ready']),
  checks: z.record(
    z.string(),
    z.strictObject({ ok: z.boolean(), reason: z.string().optional().describe('Why not ready.'), detail: z.record(z.string(), z.unknown()).optional() }),
  ).describe('One entry per check: `drivers`, `mqtt`, `outbox`, and `webhook:{name}` for each webhook.'),
});
