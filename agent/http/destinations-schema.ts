// The read API's view of the destinations (MQTT, webhooks): how each keeps up, and what it
// refused for good. Handlers validate with these; docs/openapi.yaml is generated from them.
import { z } from 'zod';
import { nextField, pageParams } from './page.ts';

const isoOut = z.iso.datetime();

export const destinationSummary = z.strictObject({
  name: z.string().describe('`mqtt`, or `webhook:{name}`.'),
  type: z.enum(['mqtt', 'webhook', 'sparkplug']),
  up: z.boolean().describe('It delivers now (broker connected, receiver answering).'),
  depth: z.number().int().describe('Messages it wants and does not have yet.'),
  oldestAgeSeconds: z.number().describe('Age of the oldest of them.'),
  rate: z.number().describe('Messages confirmed per second over the last 10 s.'),
  etaSeconds: z.number().nullable().describe('depth / rate; null without a rate.'),
  sent: z.number().int().describe('Messages handed to it since the agent started (resends included).'),
  acked: z.number().int().describe('Messages it confirmed since the agent started.'),
  deadLetters: z.number().int().describe('Messages it refused for good, kept for `lineside dead-letters resend`.'),
  lastError: z.strictObject({ at: isoOut, message: z.string() }).nullable(),
});

export const destinationsResponse = z.strictObject({ destinations: z.array(destinationSummary) });

export const deadLettersQuery = z.strictObject(pageParams);

export const deadLetter = z.strictObject({
  seq: z.number().int().positive(),
  msgId: z.string(),
  machine: z.string(),
  kind: z.string(),
  schema: z.string(),
  ts: isoOut.describe('When the fact happened.'),
  at: isoOut.describe('When the destination refused it.'),
  code: z.string().describe('`http-400`, `mqtt-0x87`, …'),
  reason: z.string(),
});

export const deadLettersResponse = z.strictObject({ destination: z.string(), deadLetters: z.array(deadLetter), next: nextField });
