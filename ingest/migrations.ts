// The PostgreSQL schema, as versioned migrations. Each migration names the contract release it
// was written for: a new contract kind or field arrives as a new migration, never as an edit of
// an applied one. Applied under an advisory lock, so N instances starting at once migrate once.
import type pg from 'pg';

export interface Migration {
  version: number;
  contract: string;
  sql: string;
}

const V1 = `
CREATE TABLE agents (
  agent_id text PRIMARY KEY,
  line_path text NOT NULL,
  status text NOT NULL,
  status_ts timestamptz NOT NULL,
  reason text,
  version text,
  config_hash text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE machines (
  machine_path text PRIMARY KEY,
  enterprise text NOT NULL, site text NOT NULL, area text NOT NULL, line text NOT NULL, machine text NOT NULL,
  agent_id text NOT NULL,
  first_seen timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- Every enveloped message once: the de-duplication key and the seqs the gap finder reads.
CREATE TABLE messages (
  agent_id text NOT NULL,
  seq bigint NOT NULL,
  msg_id text GENERATED ALWAYS AS (agent_id || ':' || seq) STORED,
  schema text NOT NULL,
  machine_path text NOT NULL,
  ts timestamptz NOT NULL,
  sent_at timestamptz NOT NULL,
  replay boolean NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (agent_id, seq)
);
-- Raw telemetry, one row per tag value, one partition per day (created on first use).
CREATE TABLE telemetry (
  ts timestamptz NOT NULL,
  machine_path text NOT NULL,
  tag text NOT NULL,
  value_num double precision,
  value_bool boolean,
  value_text text,
  quality text NOT NULL,
  agent_id text NOT NULL,
  seq bigint NOT NULL
) PARTITION BY RANGE (ts);
CREATE TABLE state_intervals (
  agent_id text NOT NULL, seq bigint NOT NULL,
  machine_path text NOT NULL,
  state text NOT NULL,
  start_ts timestamptz NOT NULL, end_ts timestamptz NOT NULL, duration_ms bigint NOT NULL,
  downtime_id text, reason text, micro_stop boolean,
  next_state text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (agent_id, seq)
);
CREATE INDEX state_intervals_machine_start ON state_intervals (machine_path, start_ts);
CREATE TABLE reasons (
  code text PRIMARY KEY,
  text text NOT NULL,
  category text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE downtime_events (
  machine_path text NOT NULL, event_id text NOT NULL, revision int NOT NULL,
  agent_id text NOT NULL, seq bigint NOT NULL,
  status text NOT NULL, state text NOT NULL,
  start_ts timestamptz NOT NULL, end_ts timestamptz, duration_ms bigint,
  reason_code text NOT NULL, reason_text text NOT NULL, category text NOT NULL, reason_assigned boolean NOT NULL,
  micro_stop boolean NOT NULL, fault_code int, note text, assigned_by text,
  is_current boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (machine_path, event_id, revision)
);
CREATE INDEX downtime_events_updated ON downtime_events (updated_at);
CREATE TABLE oee_periods (
  machine_path text NOT NULL, period_id text NOT NULL, revision int NOT NULL,
  agent_id text NOT NULL, seq bigint NOT NULL,
  kind text NOT NULL, name text, status text NOT NULL,
  start_ts timestamptz NOT NULL, end_ts timestamptz,
  availability double precision, performance double precision, quality double precision, oee double precision,
  elapsed_ms bigint NOT NULL, planned_stop_ms bigint NOT NULL, unknown_ms bigint NOT NULL, planned_ms bigint NOT NULL,
  stop_ms bigint NOT NULL, run_ms bigint NOT NULL, ideal_ms double precision NOT NULL,
  availability_loss_ms bigint NOT NULL, performance_loss_ms bigint NOT NULL, planned_downtime_ms bigint NOT NULL,
  state_ms jsonb NOT NULL,
  total bigint NOT NULL, good bigint NOT NULL, reject bigint NOT NULL, excluded bigint NOT NULL, implausible_jumps bigint NOT NULL,
  flags text[] NOT NULL, order_id text, product text, ideal_cycle_time_ms double precision,
  is_current boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (machine_path, period_id, revision)
);
CREATE INDEX oee_periods_updated ON oee_periods (updated_at);
CREATE TABLE job_results (
  machine_path text NOT NULL, order_id text NOT NULL, revision int NOT NULL,
  agent_id text NOT NULL, seq bigint NOT NULL,
  product text NOT NULL, ideal_cycle_time_ms double precision NOT NULL,
  start_ts timestamptz NOT NULL, end_ts timestamptz NOT NULL, duration_ms bigint NOT NULL,
  total bigint NOT NULL, good bigint NOT NULL, reject bigint NOT NULL,
  availability double precision, performance double precision, quality double precision, oee double precision,
  flags text[] NOT NULL, target_quantity bigint, complete boolean,
  is_current boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (machine_path, order_id, revision)
);
CREATE INDEX job_results_updated ON job_results (updated_at);
CREATE TABLE drop_reports (
  agent_id text NOT NULL, seq bigint NOT NULL,
  machine_path text NOT NULL,
  reason text NOT NULL, count int NOT NULL,
  seqs jsonb NOT NULL, maybe_delivered jsonb NOT NULL,
  from_ts timestamptz NOT NULL, to_ts timestamptz NOT NULL,
  PRIMARY KEY (agent_id, seq)
);
-- Messages of a contract kind without a table here (command replies, kinds newer than this schema).
CREATE TABLE other_messages (
  id bigserial PRIMARY KEY,
  kind text NOT NULL,
  schema text,
  topic text NOT NULL,
  agent_id text, seq bigint,
  body jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE quarantine (
  id bigserial PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now(),
  topic text NOT NULL,
  reason text NOT NULL,
  msg_id text,
  payload bytea NOT NULL
);
-- Gap finding: per agent, every seq up to contiguous_upto arrived or is explained by a drop report.
CREATE TABLE agent_seqs (
  agent_id text PRIMARY KEY,
  contiguous_upto bigint NOT NULL,
  max_seq bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE seq_gaps (
  agent_id text NOT NULL, first_seq bigint NOT NULL, last_seq bigint NOT NULL,
  status text NOT NULL,               -- open | explained | filled
  detected_at timestamptz NOT NULL,
  closed_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (agent_id, first_seq, last_seq)
);
CREATE INDEX seq_gaps_open ON seq_gaps (agent_id) WHERE status = 'open';
`;

// Contract 1.2.0 adds the audit record (kept whole in other_messages, as every kind without a table);
// BI tools get it as columns, and the current revision of each fact without a filter of their own.
const V2 = `
CREATE VIEW oee_periods_current AS SELECT * FROM oee_periods WHERE is_current;
CREATE VIEW downtime_events_current AS SELECT * FROM downtime_events WHERE is_current;
CREATE VIEW job_results_current AS SELECT * FROM job_results WHERE is_current;
CREATE VIEW audit_records AS
  SELECT agent_id, seq, body->>'msgId' AS msg_id, (body->>'ts')::timestamptz AS ts, topic, body->>'machine' AS machine,
         body->'data'->>'actor' AS actor, body->'data'->>'role' AS role, body->'data'->>'via' AS via,
         body->'data'->>'action' AS action, body->'data'->>'outcome' AS outcome, body->'data'->'detail' AS detail, received_at
  FROM other_messages WHERE kind = 'audit';
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, contract: '1.1.0', sql: V1 },
  { version: 2, contract: '1.2.0', sql: V2 },
];

/** Creates the schema if needed and applies what is missing; returns the versions applied now. */
export async function migrate(client: pg.ClientBase, schema: string): Promise<number[]> {
  await client.query('BEGIN');
  try {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('lineside-ingest-migrate'))`);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`SET LOCAL search_path TO ${schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, contract text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, contract) VALUES ($1, $2)', [m.version, m.contract]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

