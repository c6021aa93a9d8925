// The embedded store for `lineside demo --ingest`: the same tables as PostgreSQL (migrations.ts)
// in one SQLite file, written by the same rules — `messages` decides what is new, every revision
// kept and the highest current — so a newcomer sees the tables a BI tool would, with no server.
// Types are SQLite's (text times, JSON text for arrays); telemetry is one table, not partitions.
import Database from 'better-sqlite3';
import type { Decoded } from './decode.ts';
import { DOWNTIME_COLUMNS, DROP_COLUMNS, downtimeRow, dropRow, JOB_COLUMNS, jobRow, OEE_COLUMNS, oeeRow, REASON_COLUMNS, type Columns, type Row, STATE_COLUMNS, stateRow } from './rows.ts';
import type { Item, Store, WriteResult } from './store.ts';

const SQLITE_TYPE: Record<string, string> = { text: 'TEXT', int: 'INTEGER', bigint: 'INTEGER', float8: 'REAL', boolean: 'INTEGER', timestamptz: 'TEXT', jsonb: 'TEXT', 'text[]': 'TEXT' };
const table = (name: string, cols: Columns, extra: string) => `CREATE TABLE IF NOT EXISTS ${name} (${cols.map(([c, t]) => `${c} ${SQLITE_TYPE[t]}`).join(', ')}, ${extra})`;
const now = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS agents (agent_id TEXT PRIMARY KEY, line_path TEXT, status TEXT, status_ts TEXT, reason TEXT, version TEXT, config_hash TEXT, updated_at TEXT)`,
  `CREATE TABLE IF NOT EXISTS machines (machine_path TEXT PRIMARY KEY, enterprise TEXT, site TEXT, area TEXT, line TEXT, machine TEXT, agent_id TEXT, first_seen TEXT, updated_at TEXT)`,
  `CREATE TABLE IF NOT EXISTS messages (agent_id TEXT NOT NULL, seq INTEGER NOT NULL, msg_id TEXT GENERATED ALWAYS AS (agent_id || ':' || seq) VIRTUAL, schema TEXT, machine_path TEXT, ts TEXT, sent_at TEXT, replay INTEGER, received_at TEXT, PRIMARY KEY (agent_id, seq))`,
  `CREATE TABLE IF NOT EXISTS telemetry (ts TEXT, machine_path TEXT, tag TEXT, value_num REAL, value_bool INTEGER, value_text TEXT, quality TEXT, agent_id TEXT, seq INTEGER)`,
  table('state_intervals', STATE_COLUMNS, `updated_at TEXT, PRIMARY KEY (agent_id, seq)`),
  table('reasons', REASON_COLUMNS, `updated_at TEXT, PRIMARY KEY (code)`),
  table('downtime_events', DOWNTIME_COLUMNS, `is_current INTEGER NOT NULL DEFAULT 0, updated_at TEXT, PRIMARY KEY (machine_path, event_id, revision)`),
  table('oee_periods', OEE_COLUMNS, `is_current INTEGER NOT NULL DEFAULT 0, updated_at TEXT, PRIMARY KEY (machine_path, period_id, revision)`),
  table('job_results', JOB_COLUMNS, `is_current INTEGER NOT NULL DEFAULT 0, updated_at TEXT, PRIMARY KEY (machine_path, order_id, revision)`),
  table('drop_reports', DROP_COLUMNS, `PRIMARY KEY (agent_id, seq)`),
  `CREATE TABLE IF NOT EXISTS other_messages (id INTEGER PRIMARY KEY, kind TEXT, schema TEXT, topic TEXT, agent_id TEXT, seq INTEGER, body TEXT, received_at TEXT)`,
  `CREATE TABLE IF NOT EXISTS quarantine (id INTEGER PRIMARY KEY, received_at TEXT, topic TEXT, reason TEXT, msg_id TEXT, payload BLOB)`,
  // The views of migration 2 (ingest/migrations.ts), in SQLite's JSON functions.
  ...['oee_periods', 'downtime_events', 'job_results'].map((t) => `CREATE VIEW IF NOT EXISTS ${t}_current AS SELECT * FROM ${t} WHERE is_current`),
  `CREATE VIEW IF NOT EXISTS audit_records AS
     SELECT agent_id, seq, json_extract(body, '$.msgId') AS msg_id, json_extract(body, '$.ts') AS ts, topic, json_extract(body, '$.machine') AS machine,
            json_extract(body, '$.data.actor') AS actor, json_extract(body, '$.data.role') AS role, json_extract(body, '$.data.via') AS via,
            json_extract(body, '$.data.action') AS action, json_extract(body, '$.data.outcome') AS outcome, json_extract(body, '$.data.detail') AS detail, received_at
     FROM other_messages WHERE kind = 'audit'`,
];

const REVISIONED: Record<string, { table: string; cols: Columns; id: string; row: typeof oeeRow }> = {
  oee: { table: 'oee_periods', cols: OEE_COLUMNS, id: 'period_id', row: oeeRow },
  downtime: { table: 'downtime_events', cols: DOWNTIME_COLUMNS, id: 'event_id', row: downtimeRow },
  job: { table: 'job_results', cols: JOB_COLUMNS, id: 'order_id', row: jobRow },
};

/** SQLite binds numbers, strings, null: booleans become 0/1, arrays and objects JSON text. */
function bindable(row: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) out[k] = typeof v === 'boolean' ? Number(v) : v !== null && typeof v === 'object' ? JSON.stringify(v) : v;
  return out;
}

const insertSql = (name: string, cols: Columns, verb = 'INSERT OR IGNORE') => `${verb} INTO ${name} (${cols.map(([c]) => c).join(', ')}, updated_at) VALUES (${cols.map(([c]) => `@${c}`).join(', ')}, ${now})`;

export class SqliteStore implements Store {
  readonly #db: Database.Database;
  readonly #tx: (items: readonly Item[]) => WriteResult;
  readonly #bad: Database.Statement;

  constructor(file: string) {
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    for (const s of SCHEMA) this.#db.exec(s);
    const db = this.#db;
    const msg = db.prepare(`INSERT OR IGNORE INTO messages (agent_id, seq, schema, machine_path, ts, sent_at, replay, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ${now})`);
    const tel = db.prepare('INSERT INTO telemetry (ts, machine_path, tag, value_num, value_bool, value_text, quality, agent_id, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const state = db.prepare(insertSql('state_intervals', STATE_COLUMNS));
    const drop = db.prepare(`INSERT OR IGNORE INTO drop_reports (${DROP_COLUMNS.map(([c]) => c).join(', ')}) VALUES (${DROP_COLUMNS.map(([c]) => `@${c}`).join(', ')})`);
    const reason = db.prepare(`${insertSql('reasons', REASON_COLUMNS, 'INSERT')} ON CONFLICT (code) DO UPDATE SET text = excluded.text, category = excluded.category, updated_at = excluded.updated_at`);
    const machine = db.prepare(`INSERT OR IGNORE INTO machines (machine_path, enterprise, site, area, line, machine, agent_id, first_seen, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ${now}, ${now})`);
    const agent = db.prepare(`INSERT INTO agents (agent_id, line_path, status, status_ts, reason, version, config_hash, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ${now})
      ON CONFLICT (agent_id) DO UPDATE SET status = excluded.status, status_ts = excluded.status_ts, reason = excluded.reason, version = coalesce(excluded.version, version), config_hash = coalesce(excluded.config_hash, config_hash), updated_at = excluded.updated_at WHERE excluded.status_ts >= status_ts`);
    const other = db.prepare(`INSERT INTO other_messages (kind, schema, topic, agent_id, seq, body, received_at) VALUES (?, ?, ?, ?, ?, ?, ${now})`);
    const bad = db.prepare(`INSERT INTO quarantine (received_at, topic, reason, msg_id, payload) VALUES (${now}, ?, ?, ?, ?)`);
    const revisioned = Object.fromEntries(
      Object.entries(REVISIONED).map(([kind, r]) => {
        const set = r.cols.filter(([c]) => !['machine_path', r.id, 'revision'].includes(c)).map(([c]) => `${c} = excluded.${c}`).join(', ');
        const upsert = db.prepare(`${insertSql(r.table, r.cols, 'INSERT')} ON CONFLICT (machine_path, ${r.id}, revision) DO UPDATE SET ${set}, updated_at = excluded.updated_at WHERE excluded.seq > seq`);
        const current = db.prepare(`UPDATE ${r.table} SET is_current = (revision = (SELECT max(revision) FROM ${r.table} WHERE machine_path = @m AND ${r.id} = @i)), updated_at = ${now}
          WHERE machine_path = @m AND ${r.id} = @i AND is_current IS NOT (revision = (SELECT max(revision) FROM ${r.table} WHERE machine_path = @m AND ${r.id} = @i))`);
        return [kind, { upsert, current, spec: r }];
      }),
    );
    this.#tx = db.transaction((items: readonly Item[]) => {
      const res: WriteResult = { inserted: 0, duplicates: 0, quarantined: 0, ignored: 0 };
      for (const it of items) {
        const d: Decoded = it.decoded;
        if (d.type === 'envelope') {
          const e = d.env;
          if (msg.run(d.agentId, e.seq, e.schema, d.machinePath, e.ts, e.sentAt, Number(e.replay)).changes === 0) {
            res.duplicates++;
            continue;
          }
          res.inserted++;
          machine.run(d.machinePath, d.path.enterprise, d.path.site, d.path.area, d.path.line, e.machine, d.agentId);
          if (d.kind === 'telemetry') {
            for (const [tag, v] of Object.entries((e.data as { values: Record<string, { value: unknown; quality: string; ts: string }> }).values)) {
              const x = v.value;
              tel.run(v.ts, d.machinePath, tag, typeof x === 'number' ? x : null, typeof x === 'boolean' ? Number(x) : null, typeof x === 'string' ? x : null, v.quality, d.agentId, e.seq);
            }
          } else if (d.kind === 'state') state.run(bindable(stateRow(d.agentId, d.machinePath, e)));
          else if (d.kind === 'outboxDrop') drop.run(bindable(dropRow(d.agentId, d.machinePath, e)));
          else if (revisioned[d.kind]) {
            const r = revisioned[d.kind]!;
            const row = r.spec.row(d.agentId, d.machinePath, e);
            r.upsert.run(bindable(row));
            r.current.run({ m: d.machinePath, i: row[r.spec.id] });
            if (d.kind === 'downtime') reason.run({ code: row.reason_code, text: row.reason_text, category: row.category });
          } else other.run(d.kind, e.schema, it.topic, d.agentId, e.seq, JSON.stringify(e));
        } else if (d.type === 'status') {
          const s = d.status;
          agent.run(d.agentId, `${d.path.enterprise}/${d.path.site}/${d.path.area}/${d.path.line}`, s.status, s.ts, s.reason ?? null, s.version ?? null, s.configHash ?? null);
        } else if (d.type === 'other') other.run(d.kind, d.schema ?? null, it.topic, null, null, JSON.stringify(d.body));
        else if (d.type === 'invalid') {
          bad.run(it.topic, d.reason, d.msgId ?? null, Buffer.from(it.payload));
          res.quarantined++;
        } else res.ignored++;
      }
      return res;
    });
    this.#bad = bad;
  }

  async write(items: readonly Item[]): Promise<WriteResult> {
    return this.#tx(items);
  }

  async quarantine(items: readonly Item[], reason: string): Promise<void> {
    for (const it of items) this.#bad.run(it.topic, reason, it.decoded.type === 'envelope' ? it.decoded.env.msgId : null, Buffer.from(it.payload));
  }

  close(): void {
    this.#db.close();
  }
}
