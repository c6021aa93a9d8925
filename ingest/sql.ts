// Statement builders for the writer: one INSERT per table and batch, rows passed as one JSON
// array (jsonb_to_recordset) so the statement text is fixed and prepared once per connection.
import type { Columns } from './rows.ts';

const list = (cols: Columns) => cols.map(([c]) => c).join(', ');
const recordset = (cols: Columns) => `jsonb_to_recordset($1::jsonb) AS x(${cols.map(([c, t]) => `${c} ${t}`).join(', ')})`;

/** INSERT of new rows; rows already there (same key) are left alone. */
export function insertSql(table: string, cols: Columns): string {
  return `INSERT INTO ${table} (${list(cols)}) SELECT ${list(cols)} FROM ${recordset(cols)} ON CONFLICT DO NOTHING`;
}

/**
 * Upsert of a revisioned row: the same (id, revision) published again — a live period's next
 * figures — replaces the row only when it is a later message (higher seq).
 */
export function upsertSql(table: string, cols: Columns, key: readonly string[]): string {
  const set = cols.filter(([c]) => !key.includes(c)).map(([c]) => `${c} = EXCLUDED.${c}`).join(', ');
  return `INSERT INTO ${table} (${list(cols)}) SELECT ${list(cols)} FROM ${recordset(cols)}
ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${set}, updated_at = now() WHERE ${table}.seq < EXCLUDED.seq`;
}

/** Upsert that always takes the newest text (reasons catalogue). */
export function replaceSql(table: string, cols: Columns, key: readonly string[]): string {
  const set = cols.filter(([c]) => !key.includes(c)).map(([c]) => `${c} = EXCLUDED.${c}`).join(', ');
  const changed = cols.filter(([c]) => !key.includes(c)).map(([c]) => `${table}.${c} IS DISTINCT FROM EXCLUDED.${c}`).join(' OR ');
  return `INSERT INTO ${table} (${list(cols)}) SELECT ${list(cols)} FROM ${recordset(cols)}
ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${set}, updated_at = now() WHERE ${changed}`;
}

/**
 * After new revisions of some ids: exactly the highest revision of each id is current. $1, $2
 * are the ids' machine paths and ids. Callers hold the ids' advisory locks, so two instances
 * writing revisions of one id cannot both see themselves as the highest.
 */
export function currentSql(table: string, idColumn: string): string {
  return `UPDATE ${table} t SET is_current = (t.revision = m.maxrev), updated_at = now()
FROM (SELECT machine_path, ${idColumn}, max(revision) AS maxrev FROM ${table}
      WHERE (machine_path, ${idColumn}) IN (SELECT * FROM unnest($1::text[], $2::text[])) GROUP BY 1, 2) m
WHERE t.machine_path = m.machine_path AND t.${idColumn} = m.${idColumn} AND t.is_current IS DISTINCT FROM (t.revision = m.maxrev)`;
}

/** Transaction-scoped locks on hashed keys, taken in one order so two writers never deadlock. */
export const LOCK_KEYS_SQL = `SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT DISTINCT hashtext(s)::bigint AS k FROM unnest($1::text[]) s ORDER BY 1) l`;

// The two high-volume statements take each column as one JSON array text ($n::json): one native
// JSON.stringify per column in the ingest and one parse per column in the server, far cheaper
// than pg's per-element array encoding or a JSON object per row. (Sending the envelopes as
// received and extracting the fields in SQL was measured too: the same CPU in the ingest, twice
// the CPU in PostgreSQL.)
const col = (n: number, type: string) => `ARRAY(SELECT json_array_elements_text($${n}::json))::${type}[]`;

/** Returns only how many were new: in the common case (all of them) no row comes back to parse. */
export const INSERT_MESSAGES_SQL = `WITH ins AS (INSERT INTO messages (agent_id, seq, schema, machine_path, ts, sent_at, replay)
SELECT * FROM unnest(${col(1, 'text')}, ${col(2, 'bigint')}, ${col(3, 'text')}, ${col(4, 'text')}, ${col(5, 'timestamptz')}, ${col(6, 'timestamptz')}, ${col(7, 'boolean')})
ON CONFLICT DO NOTHING RETURNING 1) SELECT count(*)::int AS n FROM ins`;

/** When some were duplicates: which of the batch's messages this transaction inserted ($1 agents, $2 seqs). */
export const FRESH_MESSAGES_SQL = `SELECT m.agent_id, m.seq FROM messages m
JOIN unnest(${col(1, 'text')}, ${col(2, 'bigint')}) AS k(a, s) ON m.agent_id = k.a AND m.seq = k.s
WHERE m.xmin = pg_current_xact_id()::xid`;

export const INSERT_TELEMETRY_SQL = `INSERT INTO telemetry (ts, machine_path, tag, value_num, value_bool, value_text, quality, agent_id, seq)
SELECT * FROM unnest(${col(1, 'timestamptz')}, ${col(2, 'text')}, ${col(3, 'text')}, ${col(4, 'float8')}, ${col(5, 'boolean')}, ${col(6, 'text')}, ${col(7, 'text')}, ${col(8, 'text')}, ${col(9, 'bigint')})`;

export const UPSERT_AGENT_SQL = `INSERT INTO agents (agent_id, line_path, status, status_ts, reason, version, config_hash)
SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(agent_id text, line_path text, status text, status_ts timestamptz, reason text, version text, config_hash text)
ON CONFLICT (agent_id) DO UPDATE SET line_path = EXCLUDED.line_path, status = EXCLUDED.status, status_ts = EXCLUDED.status_ts, reason = EXCLUDED.reason,
  version = COALESCE(EXCLUDED.version, agents.version), config_hash = COALESCE(EXCLUDED.config_hash, agents.config_hash), updated_at = now()
WHERE agents.status_ts < EXCLUDED.status_ts OR (agents.status_ts = EXCLUDED.status_ts AND agents.status IS DISTINCT FROM EXCLUDED.status AND EXCLUDED.status = 'offline')`;

export const INSERT_MACHINES_SQL = `INSERT INTO machines (machine_path, enterprise, site, area, line, machine, agent_id)
SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(machine_path text, enterprise text, site text, area text, line text, machine text, agent_id text)
ON CONFLICT (machine_path) DO UPDATE SET agent_id = EXCLUDED.agent_id, updated_at = now() WHERE machines.agent_id IS DISTINCT FROM EXCLUDED.agent_id`;

export const INSERT_OTHER_SQL = `INSERT INTO other_messages (kind, schema, topic, agent_id, seq, body)
SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(kind text, schema text, topic text, agent_id text, seq bigint, body jsonb)`;

export const INSERT_QUARANTINE_SQL = `INSERT INTO quarantine (topic, reason, msg_id, payload)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[])`;
