// Contract-valid messages for the ingest tests and the benchmark: envelopes built from the
// contract's examples (agent/contract/examples.ts) with the agent, seq and time a test needs.
import { EXAMPLES } from '../../../agent/contract/examples.ts';

export const LINE = 'lineside/v1/acme/plant1/hall/line1';

export interface Built {
  topic: string;
  payload: Buffer;
  msgId: string;
}

const KIND_TOPIC: Record<string, string> = { telemetry: 'telemetry', state: 'state', downtime: 'downtime', oee: 'oee', job: 'job', outboxDrop: 'event', audit: 'audit' };

/** An envelope of `kind` (an EXAMPLES key) with its body changed by `data`. */
export function envelope(kind: keyof typeof KIND_TOPIC & keyof typeof EXAMPLES, o: { agent: string; seq: number; machine?: string; ts?: string; data?: Record<string, unknown>; replay?: boolean }): Built {
  const ex = EXAMPLES[kind] as unknown as { schema: string; data: Record<string, unknown> };
  const machine = o.machine ?? 'press-1';
  const ts = o.ts ?? '2026-03-02T06:14:05.120Z';
  const msgId = `${o.agent}:${o.seq}`;
  const env = { schema: ex.schema, msgId, seq: o.seq, ts, sentAt: ts, machine, replay: o.replay ?? false, data: { ...ex.data, ...o.data } };
  return { topic: `${LINE}/${machine}/${KIND_TOPIC[kind]}`, payload: Buffer.from(JSON.stringify(env)), msgId };
}

/** A telemetry envelope with `tags` numeric values at `ts`. */
export function telemetry(agent: string, seq: number, machine = 'press-1', tags = 2, ts = new Date().toISOString()): Built {
  const values: Record<string, unknown> = {};
  for (let i = 0; i < tags; i++) values[`tag${i}`] = { value: seq + i / 10, quality: 'good', ts };
  return envelope('telemetry', { agent, seq, machine, ts, data: { values } });
}

/** One line of `lineside replay` output as the envelope the agent would have published. */
export function fromReplay(agent: string, seq: number, event: { ts: string; machine: string; kind: string; schema: string; body: unknown }): Built {
  const env = { schema: event.schema, msgId: `${agent}:${seq}`, seq, ts: event.ts, sentAt: event.ts, machine: event.machine, replay: false, data: event.body };
  return { topic: `${LINE}/${event.machine}/${event.kind}`, payload: Buffer.from(JSON.stringify(env)), msgId: env.msgId };
}

export function agentStatus(agent: string, status: 'online' | 'offline', ts = new Date().toISOString()): Built {
  return { topic: `${LINE}/_agent/${agent}/status`, payload: Buffer.from(JSON.stringify({ schema: 'lineside.agent-status/1', agentId: agent, status, ts, ...(status === 'offline' ? { reason: 'connection-lost' } : { version: '0.1.0' }) })), msgId: '' };
}
