// One batch of decoded messages → one PostgreSQL transaction. Idempotent: `messages` keyed by
// (agent, seq) decides which envelopes are new, and only new ones become rows, so a redelivered
// batch (after a crash before the PUBACKs) adds nothing. Revisioned facts keep every revision;
// the highest one of an id is current.
import type pg from 'pg';
import type { Decoded, Envelope } from './decode.ts';
import type { Item, Store, WriteResult } from './store.ts';
import { DOWNTIME_COLUMNS, DROP_COLUMNS, downtimeRow, dropRow, JOB_COLUMNS, jobRow, OEE_COLUMNS, oeeRow, REASON_COLUMNS, type Row, STATE_COLUMNS, stateRow, TelemetryRows } from './rows.ts';
import {
  currentSql, FRESH_MESSAGES_SQL, INSERT_MACHINES_SQL, INSERT_MESSAGES_SQL, INSERT_OTHER_SQL, INSERT_QUARANTINE_SQL, INSERT_TELEMETRY_SQL, insertSql, LOCK_KEYS_SQL, replaceSql, UPSERT_AGENT_SQL, upsertSql,
} from './sql.ts';

type EnvItem = Extract<Decoded, { type: 'envelope' }>;

interface Revisioned {
  table: string;
  idColumn: string;
  sql: string;
  row: (agentId: string, machinePath: string, env: Envelope) => Row;
}

const REVISIONED: Record<string, Revisioned> = {
  oee: { table: 'oee_periods', idColumn: 'period_id', sql: upsertSql('oee_periods', OEE_COLUMNS, ['machine_path', 'period_id', 'revision']), row: oeeRow },
  downtime: { table: 'downtime_events', idColumn: 'event_id', sql: upsertSql('downtime_events', DOWNTIME_COLUMNS, ['machine_path', 'event_id', 'revision']), row: downtimeRow },
  job: { table: 'job_results', idColumn: 'order_id', sql: upsertSql('job_results', JOB_COLUMNS, ['machine_path', 'order_id', 'revision']), row: jobRow },
};
const STATE_SQL = insertSql('state_intervals', STATE_COLUMNS);
const DROP_SQL = insertSql('drop_reports', DROP_COLUMNS);
const REASON_SQL = replaceSql('reasons', REASON_COLUMNS, ['code']);

const dayOf = (iso: string) => iso.slice(0, 10);

export type { Item, WriteResult } from './store.ts';

export class Writer implements Store {
  readonly #pool: pg.Pool;
  /** Days whose telemetry partition exists (created by this or another instance). */
  readonly #days = new Set<string>();
  /** Machines this instance already recorded; the table is touched only for new ones. */
  readonly #machines = new Map<string, string>();

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async write(items: readonly Item[]): Promise<WriteResult> {
    const res: WriteResult = { inserted: 0, duplicates: 0, quarantined: 0, ignored: 0 };
    const byId = new Map<string, EnvItem>();
    const statuses: Row[] = [];
    const others: Row[] = [];
    const bad: { topic: string[]; reason: string[]; msgId: Array<string | null>; payload: Buffer[] } = { topic: [], reason: [], msgId: [], payload: [] };
    for (const it of items) {
      const d = it.decoded;
      if (d.type === 'envelope') {
        if (byId.has(d.env.msgId)) res.duplicates++;
        else byId.set(d.env.msgId, d);
      } else if (d.type === 'status') {
        statuses.push({ agent_id: d.agentId, line_path: `${d.path.enterprise}/${d.path.site}/${d.path.area}/${d.path.line}`, status: d.status.status, status_ts: d.status.ts, reason: d.status.reason ?? null, version: d.status.version ?? null, config_hash: d.status.configHash ?? null });
      } else if (d.type === 'other') {
        others.push({ kind: d.kind, schema: d.schema ?? null, topic: it.topic, agent_id: null, seq: null, body: d.body });
      } else if (d.type === 'invalid') {
        bad.topic.push(it.topic);
        bad.reason.push(d.reason);
        bad.msgId.push(d.msgId ?? null);
        bad.payload.push(Buffer.from(it.payload.buffer, it.payload.byteOffset, it.payload.byteLength));
      } else res.ignored++;
    }
    // Sorted so two instances inserting overlapping redeliveries lock rows in one order.
    const envs = [...byId.values()].sort((a, b) => (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : a.env.seq - b.env.seq));
    await this.#ensurePartitions(envs);
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const fresh = await this.#insertMessages(client, envs);
      res.inserted = fresh.length;
      res.duplicates += envs.length - fresh.length;
      await this.#insertFacts(client, fresh, others);
      await this.#insertMachines(client, fresh);
      if (statuses.length) await client.query(UPSERT_AGENT_SQL, [JSON.stringify(latestStatus(statuses))]);
      if (others.length) await client.query(INSERT_OTHER_SQL, [JSON.stringify(others)]);
      if (bad.topic.length) await client.query(INSERT_QUARANTINE_SQL, [bad.topic, bad.reason, bad.msgId, bad.payload]);
      res.quarantined = bad.topic.length;
      await client.query('COMMIT');
      for (const e of fresh) this.#machines.set(e.machinePath, e.agentId);
      return res;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  /** Quarantines items the database refused one by one (a poison message must not stall the rest). */
  async quarantine(items: readonly Item[], reason: string): Promise<void> {
    await this.#pool.query(INSERT_QUARANTINE_SQL, [
      items.map((i) => i.topic),
      items.map(() => reason),
      items.map((i) => (i.decoded.type === 'envelope' ? i.decoded.env.msgId : null)),
      items.map((i) => Buffer.from(i.payload.buffer, i.payload.byteOffset, i.payload.byteLength)),
    ]);
  }

  async #insertMessages(client: pg.PoolClient, envs: readonly EnvItem[]): Promise<EnvItem[]> {
    if (!envs.length) return [];
    const cols: unknown[][] = [[], [], [], [], [], [], []];
    for (const e of envs) {
      const v = e.env;
      cols[0]!.push(e.agentId);
      cols[1]!.push(v.seq);
      cols[2]!.push(v.schema);
      cols[3]!.push(e.machinePath);
      cols[4]!.push(v.ts);
      cols[5]!.push(v.sentAt);
      cols[6]!.push(v.replay);
    }
    const params = cols.map((c) => JSON.stringify(c));
    const { rows: counted } = await client.query<{ n: number }>(INSERT_MESSAGES_SQL, params);
    if (counted[0]!.n === envs.length) return [...envs];
    const { rows } = await client.query<{ agent_id: string; seq: string }>(FRESH_MESSAGES_SQL, [params[0], params[1]]);
    const fresh = new Set(rows.map((r) => `${r.agent_id}:${r.seq}`));
    return envs.filter((e) => fresh.has(`${e.agentId}:${e.env.seq}`));
  }

  async #insertFacts(client: pg.PoolClient, fresh: readonly EnvItem[], others: Row[]): Promise<void> {
    const states: Row[] = [];
    const drops: Row[] = [];
    const reasons = new Map<string, Row>();
    const revisioned = new Map<string, Map<string, Row>>();
    const telemetry = new TelemetryRows();
    for (const e of fresh) {
      const { kind, agentId, machinePath, env } = e;
      if (kind === 'telemetry') telemetry.add(agentId, machinePath, env);
      else if (kind === 'state') states.push(stateRow(agentId, machinePath, env));
      else if (kind === 'outboxDrop') drops.push(dropRow(agentId, machinePath, env));
      else if (REVISIONED[kind]) {
        const spec = REVISIONED[kind];
        const row = spec.row(agentId, machinePath, env);
        // One statement may not touch a row twice: of one (id, revision) keep the latest message.
        const key = `${machinePath}\u001f${String(row[spec.idColumn])}\u001f${String(row.revision)}`;
        const rows = revisioned.get(kind) ?? new Map<string, Row>();
        revisioned.set(kind, rows);
        const had = rows.get(key);
        if (!had || (had.seq as number) < env.seq) rows.set(key, row);
        if (kind === 'downtime') reasons.set(row.reason_code as string, { code: row.reason_code, text: row.reason_text, category: row.category });
      } else others.push({ kind, schema: env.schema, topic: `${e.path.enterprise}/${e.path.site}/${e.path.area}/${e.path.line}/${env.machine}`, agent_id: agentId, seq: env.seq, body: env });
    }
    if (telemetry.length) await client.query(INSERT_TELEMETRY_SQL, telemetry.params());
    if (states.length) await client.query(STATE_SQL, [JSON.stringify(states)]);
    if (drops.length) await client.query(DROP_SQL, [JSON.stringify(drops)]);
    if (reasons.size) await client.query(REASON_SQL, [JSON.stringify([...reasons.values()].sort((a, b) => String(a.code).localeCompare(String(b.code))))]);
    if (!revisioned.size) return;
    const lockKeys: string[] = [];
    for (const [kind, rows] of revisioned) for (const r of rows.values()) lockKeys.push(`${kind}\u001f${String(r.machine_path)}\u001f${String(r[REVISIONED[kind]!.idColumn])}`);
    await client.query(LOCK_KEYS_SQL, [lockKeys]);
    for (const [kind, rows] of revisioned) {
      const spec = REVISIONED[kind]!;
      const list = [...rows.values()];
      await client.query(spec.sql, [JSON.stringify(list)]);
      await client.query(currentSql(spec.table, spec.idColumn), [list.map((r) => r.machine_path), list.map((r) => r[spec.idColumn])]);
    }
  }

  async #insertMachines(client: pg.PoolClient, fresh: readonly EnvItem[]): Promise<void> {
    const rows = new Map<string, Row>();
    for (const e of fresh) {
      if (this.#machines.get(e.machinePath) === e.agentId || rows.has(e.machinePath)) continue;
      rows.set(e.machinePath, { machine_path: e.machinePath, ...e.path, machine: e.env.machine, agent_id: e.agentId });
    }
    if (rows.size) await client.query(INSERT_MACHINES_SQL, [JSON.stringify([...rows.values()].sort((a, b) => String(a.machine_path).localeCompare(String(b.machine_path))))]);
  }

  /** Telemetry partitions are per UTC day; created before the transaction that needs them. */
  async #ensurePartitions(envs: readonly EnvItem[]): Promise<void> {
    const days = new Set<string>();
    // Nearly every value is of a day seen just before: compared in place, no string cut per value.
    let last = '';
    for (const e of envs) {
      if (e.kind !== 'telemetry') continue;
      const values = (e.env.data as { values: Record<string, { ts: string }> }).values;
      for (const tag in values) {
        const ts = values[tag]!.ts;
        if (last !== '' && ts.startsWith(last)) continue;
        // Contract times are UTC ("Z"): the day is the first ten characters.
        last = dayOf(ts);
        if (!this.#days.has(last)) days.add(last);
      }
    }
    for (const day of days) {
      const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
      const name = `telemetry_${day.replaceAll('-', '')}`;
      try {
        await this.#pool.query(`CREATE TABLE IF NOT EXISTS ${name} PARTITION OF telemetry FOR VALUES FROM ('${day}T00:00:00Z') TO ('${next}T00:00:00Z')`);
      } catch (err) {
        // Another instance created it at the same moment.
        if (!['42P07', '23505'].includes((err as { code?: string }).code ?? '')) throw err;
      }
      this.#days.add(day);
    }
  }
}

/** Of several statuses of one agent in a batch, the latest (an upsert may not touch a row twice). */
function latestStatus(rows: Row[]): Row[] {
  const by = new Map<string, Row>();
  for (const r of rows) {
    const had = by.get(r.agent_id as string);
    if (!had || String(had.status_ts) <= String(r.status_ts)) by.set(r.agent_id as string, r);
  }
  return [...by.values()].sort((a, b) => String(a.agent_id).localeCompare(String(b.agent_id)));
}
