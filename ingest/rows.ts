// Contract bodies → table rows (plain objects keyed by column). The columns of each revisioned
// table, with their SQL types, drive the generated INSERT ... ON CONFLICT statements (sql.ts).
import type { Envelope } from './decode.ts';

export type Row = Record<string, unknown>;
export type Columns = ReadonlyArray<readonly [string, string]>;

// Bodies were validated against the contract before they get here.
type Body = Record<string, any>;

const common = (agentId: string, machinePath: string, env: Envelope) => ({ agent_id: agentId, seq: env.seq, machine_path: machinePath });

export const OEE_COLUMNS: Columns = [
  ['machine_path', 'text'], ['period_id', 'text'], ['revision', 'int'], ['agent_id', 'text'], ['seq', 'bigint'],
  ['kind', 'text'], ['name', 'text'], ['status', 'text'], ['start_ts', 'timestamptz'], ['end_ts', 'timestamptz'],
  ['availability', 'float8'], ['performance', 'float8'], ['quality', 'float8'], ['oee', 'float8'],
  ['elapsed_ms', 'bigint'], ['planned_stop_ms', 'bigint'], ['unknown_ms', 'bigint'], ['planned_ms', 'bigint'], ['stop_ms', 'bigint'], ['run_ms', 'bigint'], ['ideal_ms', 'float8'],
  ['availability_loss_ms', 'bigint'], ['performance_loss_ms', 'bigint'], ['planned_downtime_ms', 'bigint'], ['state_ms', 'jsonb'],
  ['total', 'bigint'], ['good', 'bigint'], ['reject', 'bigint'], ['excluded', 'bigint'], ['implausible_jumps', 'bigint'],
  ['flags', 'text[]'], ['order_id', 'text'], ['product', 'text'], ['ideal_cycle_time_ms', 'float8'],
];

export function oeeRow(agentId: string, machinePath: string, env: Envelope): Row {
  const d = env.data as Body;
  const t = d.times;
  const c = d.counts;
  return {
    ...common(agentId, machinePath, env), period_id: d.periodId, revision: d.revision, kind: d.kind, name: d.name ?? null, status: d.status,
    start_ts: d.start, end_ts: d.end, availability: d.availability, performance: d.performance, quality: d.quality, oee: d.oee,
    elapsed_ms: t.elapsed, planned_stop_ms: t.plannedStop, unknown_ms: t.unknown, planned_ms: t.planned, stop_ms: t.stop, run_ms: t.run, ideal_ms: t.ideal,
    availability_loss_ms: t.availabilityLoss, performance_loss_ms: t.performanceLoss, planned_downtime_ms: t.plannedDowntime, state_ms: t.states,
    total: c.total, good: c.good, reject: c.reject, excluded: c.excluded, implausible_jumps: c.implausibleJumps,
    flags: d.flags, order_id: d.orderId ?? null, product: d.product ?? null, ideal_cycle_time_ms: d.idealCycleTimeMs ?? null,
  };
}

export const DOWNTIME_COLUMNS: Columns = [
  ['machine_path', 'text'], ['event_id', 'text'], ['revision', 'int'], ['agent_id', 'text'], ['seq', 'bigint'],
  ['status', 'text'], ['state', 'text'], ['start_ts', 'timestamptz'], ['end_ts', 'timestamptz'], ['duration_ms', 'bigint'],
  ['reason_code', 'text'], ['reason_text', 'text'], ['category', 'text'], ['reason_assigned', 'boolean'],
  ['micro_stop', 'boolean'], ['fault_code', 'int'], ['note', 'text'], ['assigned_by', 'text'],
];

export function downtimeRow(agentId: string, machinePath: string, env: Envelope): Row {
  const d = env.data as Body;
  return {
    ...common(agentId, machinePath, env), event_id: d.eventId, revision: d.revision, status: d.status, state: d.state,
    start_ts: d.start, end_ts: d.end, duration_ms: d.durationMs,
    reason_code: d.reason.code, reason_text: d.reason.text, category: d.reason.category, reason_assigned: d.reason.assigned,
    micro_stop: d.microStop, fault_code: d.faultCode ?? null, note: d.note ?? null, assigned_by: d.assignedBy ?? null,
  };
}

export const JOB_COLUMNS: Columns = [
  ['machine_path', 'text'], ['order_id', 'text'], ['revision', 'int'], ['agent_id', 'text'], ['seq', 'bigint'],
  ['product', 'text'], ['ideal_cycle_time_ms', 'float8'], ['start_ts', 'timestamptz'], ['end_ts', 'timestamptz'], ['duration_ms', 'bigint'],
  ['total', 'bigint'], ['good', 'bigint'], ['reject', 'bigint'],
  ['availability', 'float8'], ['performance', 'float8'], ['quality', 'float8'], ['oee', 'float8'],
  ['flags', 'text[]'], ['target_quantity', 'bigint'], ['complete', 'boolean'],
];

export function jobRow(agentId: string, machinePath: string, env: Envelope): Row {
  const d = env.data as Body;
  return {
    ...common(agentId, machinePath, env), order_id: d.orderId, revision: d.revision, product: d.product, ideal_cycle_time_ms: d.idealCycleTimeMs,
    start_ts: d.start, end_ts: d.end, duration_ms: d.durationMs, total: d.total, good: d.good, reject: d.reject,
    availability: d.availability, performance: d.performance, quality: d.quality, oee: d.oee,
    flags: d.flags, target_quantity: d.targetQuantity ?? null, complete: d.complete ?? null,
  };
}

export const STATE_COLUMNS: Columns = [
  ['agent_id', 'text'], ['seq', 'bigint'], ['machine_path', 'text'], ['state', 'text'], ['start_ts', 'timestamptz'], ['end_ts', 'timestamptz'],
  ['duration_ms', 'bigint'], ['downtime_id', 'text'], ['reason', 'text'], ['micro_stop', 'boolean'], ['next_state', 'text'],
];

/** A state message closes the interval of the previous state: that interval is the row. */
export function stateRow(agentId: string, machinePath: string, env: Envelope): Row {
  const d = env.data as Body;
  const p = d.previous;
  return {
    ...common(agentId, machinePath, env), state: p.state, start_ts: p.start, end_ts: p.end, duration_ms: p.durationMs,
    downtime_id: p.downtimeId ?? null, reason: p.reason ?? null, micro_stop: p.microStop ?? null, next_state: d.state,
  };
}

export const DROP_COLUMNS: Columns = [
  ['agent_id', 'text'], ['seq', 'bigint'], ['machine_path', 'text'], ['reason', 'text'], ['count', 'int'],
  ['seqs', 'jsonb'], ['maybe_delivered', 'jsonb'], ['from_ts', 'timestamptz'], ['to_ts', 'timestamptz'],
];

export function dropRow(agentId: string, machinePath: string, env: Envelope): Row {
  const d = env.data as Body;
  return { ...common(agentId, machinePath, env), reason: d.reason, count: d.count, seqs: d.seqs, maybe_delivered: d.maybeDelivered, from_ts: d.fromTs, to_ts: d.toTs };
}

export const REASON_COLUMNS: Columns = [['code', 'text'], ['text', 'text'], ['category', 'text']];

/**
 * Telemetry as narrow rows, column by column: each column goes to the server as one JSON array
 * (one native JSON.stringify per column, see sql.ts), the cheapest encoding measured.
 */
export class TelemetryRows {
  t: string[] = [];
  m: string[] = [];
  g: string[] = [];
  n: Array<number | null> = [];
  b: Array<boolean | null> = [];
  x: Array<string | null> = [];
  q: string[] = [];
  a: string[] = [];
  s: number[] = [];

  add(agentId: string, machinePath: string, env: Envelope): void {
    const values = (env.data as Body).values as Record<string, { value: unknown; quality: string; ts: string }>;
    for (const tag in values) {
      const v = values[tag]!;
      const x = v.value;
      this.t.push(v.ts);
      this.m.push(machinePath);
      this.g.push(tag);
      this.n.push(typeof x === 'number' ? x : null);
      this.b.push(typeof x === 'boolean' ? x : null);
      this.x.push(typeof x === 'string' ? x : null);
      this.q.push(v.quality);
      this.a.push(agentId);
      this.s.push(env.seq);
    }
  }

  get length(): number {
    return this.t.length;
  }

  /**
   * A column that is all null goes as `[]`: unnest pads a shorter array with nulls, so the rows
   * are the same, with fewer bytes to send and parse (value_bool and value_text usually are).
   */
  params(): string[] {
    return [this.t, this.m, this.g, this.n, this.b, this.x, this.q, this.a, this.s].map((c) => (allNull(c) ? '[]' : JSON.stringify(c)));
  }
}

function allNull(c: readonly unknown[]): boolean {
  for (let i = 0; i < c.length; i++) if (c[i] !== null) return false;
  return true;
}
