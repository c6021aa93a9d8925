import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EXAMPLES } from '../../../agent/contract/examples.ts';
import { decode } from '../../../ingest/decode.ts';
import { GapFinder } from '../../../ingest/gaps.ts';
import { migrate } from '../../../ingest/migrations.ts';
import { Writer, type Item } from '../../../ingest/writer.ts';
import { BIN, ROOT } from '../../helpers/cli.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { postgresForFile } from './db.ts';
import { agentStatus, type Built, envelope, fromReplay, LINE, telemetry } from './envelopes.ts';

const pg = postgresForFile();
const items = (built: Built[]): Item[] => built.map((b) => ({ topic: b.topic, payload: b.payload, decoded: decode(b.topic, b.payload) }));
const count = async (pool: import('pg').Pool, sql: string, params: unknown[] = []) => Number((await pool.query(sql, params)).rows[0].n);

describe('ingest writer (PostgreSQL)', () => {
  it('stores every contract kind once; a redelivered batch adds no row and counts duplicates', async () => {
    const { pool } = await pg.db('kinds');
    const w = new Writer(pool);
    const batch = [
      telemetry('edge-1', 1, 'press-1', 3, '2026-03-02T06:14:05.120Z'),
      envelope('state', { agent: 'edge-1', seq: 2 }),
      envelope('downtime', { agent: 'edge-1', seq: 3 }),
      envelope('oee', { agent: 'edge-1', seq: 4 }),
      envelope('job', { agent: 'edge-1', seq: 5 }),
      envelope('outboxDrop', { agent: 'edge-1', seq: 6 }),
      agentStatus('edge-1', 'online', '2026-03-02T06:00:00.000Z'),
    ];
    const first = await w.write(items(batch));
    assert.deepEqual(first, { inserted: 6, duplicates: 0, quarantined: 0, ignored: 0 });
    // The same batch again (a crash before the PUBACKs), plus an in-batch duplicate.
    const again = await w.write(items([...batch, batch[0]!]));
    assert.deepEqual(again, { inserted: 0, duplicates: 7, quarantined: 0, ignored: 0 });
    assert.equal(await count(pool, 'SELECT count(*) n FROM messages'), 6);
    assert.equal(await count(pool, 'SELECT count(*) n FROM telemetry'), 3);
    assert.equal(await count(pool, 'SELECT count(*) n FROM state_intervals'), 1);
    assert.equal(await count(pool, 'SELECT count(*) n FROM downtime_events WHERE is_current'), 1);
    assert.equal(await count(pool, 'SELECT count(*) n FROM oee_periods WHERE is_current'), 1);
    assert.equal(await count(pool, 'SELECT count(*) n FROM job_results WHERE is_current'), 1);
    assert.equal(await count(pool, 'SELECT count(*) n FROM drop_reports'), 1);
    assert.equal(await count(pool, `SELECT count(*) n FROM reasons WHERE code = 'F12' AND category = 'availability'`), 1);
    const m = (await pool.query('SELECT * FROM machines')).rows;
    assert.deepEqual(m.map((r) => [r.machine_path, r.enterprise, r.line, r.machine, r.agent_id]), [['acme/plant1/hall/line1/press-1', 'acme', 'line1', 'press-1', 'edge-1']]);
    const a = (await pool.query('SELECT status, version FROM agents')).rows;
    assert.deepEqual(a, [{ status: 'online', version: '0.1.0' }]);
    const ids = (await pool.query('SELECT msg_id FROM messages ORDER BY seq')).rows.map((r) => r.msg_id);
    assert.deepEqual(ids, ['edge-1:1', 'edge-1:2', 'edge-1:3', 'edge-1:4', 'edge-1:5', 'edge-1:6']);
  });

  it('quarantines invalid messages with the reason; ignores commands; keeps an older status from overwriting a newer one', async () => {
    const { pool } = await pg.db('invalid');
    const w = new Writer(pool);
    const bad: Built[] = [
      { topic: `${LINE}/press-1/oee`, payload: Buffer.from('{not json'), msgId: '' },
      envelope('oee', { agent: 'edge-1', seq: 7, data: { oee: 'high' } }),
      envelope('state', { agent: 'edge-1', seq: 8, machine: 'press-1' }),
      { topic: 'lineside/v1/acme/plant1/hall/line1/press-1/nonsense', payload: Buffer.from('{}'), msgId: '' },
      { topic: `${LINE}/press-1/cmd/job`, payload: Buffer.from('{"commandId":"x"}'), msgId: '' },
      agentStatus('edge-1', 'online', '2026-03-02T07:00:00.000Z'),
      agentStatus('edge-1', 'offline', '2026-03-02T06:00:00.000Z'),
    ];
    // The state envelope's machine disagrees with its topic.
    bad[2] = { ...bad[2]!, topic: `${LINE}/press-2/state` };
    const r = await w.write(items(bad));
    assert.equal(r.quarantined, 4);
    assert.equal(r.ignored, 1);
    const q = (await pool.query('SELECT topic, reason, msg_id FROM quarantine ORDER BY id')).rows;
    assert.match(q[0].reason, /not JSON/);
    assert.match(q[1].reason, /^oee: data\.oee: /);
    assert.equal(q[1].msg_id, 'edge-1:7');
    assert.match(q[2].reason, /envelope machine press-1 is not the topic's press-2/);
    assert.match(q[3].reason, /not in the contract/);
    assert.equal(await count(pool, 'SELECT count(*) n FROM messages'), 0);
    assert.deepEqual((await pool.query('SELECT status FROM agents')).rows, [{ status: 'online' }]);
    await w.write(items([agentStatus('edge-1', 'offline', '2026-03-02T08:00:00.000Z')]));
    assert.deepEqual((await pool.query('SELECT status, reason FROM agents')).rows, [{ status: 'offline', reason: 'connection-lost' }]);
  });

  it('a command reply (a contract kind without a table) is kept in other_messages', async () => {
    const { pool } = await pg.db('other');
    const w = new Writer(pool);
    const reply = { schema: 'lineside.cmd-reply/1', commandId: 'c1', machine: 'press-1', command: 'job', status: 'accepted', ts: '2026-03-02T06:14:05.120Z' };
    const r = await w.write(items([{ topic: `${LINE}/press-1/cmd/job/reply`, payload: Buffer.from(JSON.stringify(reply)), msgId: '' }]));
    assert.equal(r.quarantined, 0);
    const rows = (await pool.query('SELECT kind, schema, body FROM other_messages')).rows;
    assert.deepEqual(rows, [{ kind: 'commandReply', schema: 'lineside.cmd-reply/1', body: reply }]);
  });

  it('an audit record (contract 1.2.0) is kept whole and read as columns through the audit_records view', async () => {
    const { pool } = await pg.db('audit');
    const w = new Writer(pool);
    const r = await w.write(items([envelope('audit', { agent: 'edge-a', seq: 9, machine: 'press-1', ts: '2026-03-02T06:20:00.000Z' })]));
    assert.equal(r.quarantined, 0);
    const rows = (await pool.query('SELECT msg_id, ts, machine, actor, role, action, outcome FROM audit_records')).rows;
    assert.equal(rows.length, 1);
    assert.equal(rows[0].msg_id, 'edge-a:9');
    assert.equal(rows[0].ts.toISOString(), '2026-03-02T06:20:00.000Z');
    assert.equal(rows[0].machine, 'press-1');
    const ex = (EXAMPLES.audit as unknown as { data: { actor: string; role: string; action: string; outcome: string } }).data;
    assert.deepEqual([rows[0].actor, rows[0].role, rows[0].action, rows[0].outcome], [ex.actor, ex.role, ex.action, ex.outcome]);
  });

  it('a late downtime reason makes the closed shift\'s new revision current and keeps the old one', async () => {
    const { pool } = await pg.db('late');
    // The real pipeline: a recorded night shift, closed at 06:00, then a reason assigned at 06:30.
    const dir = tempDir();
    const readings = readFileSync(join(ROOT, 'test/cases/replay/readings.jsonl'), 'utf8').trim().split('\n');
    const end = Date.parse('2026-11-23T05:30:00Z');
    const input = readings.filter((l) => (JSON.parse(l) as { ts: number }).ts <= end);
    input.push(JSON.stringify({ ts: end + 1000, machine: 'sim-1', cmd: 'downtime-reason', payload: { commandId: 'late-1', eventId: 'sim-1-1795388520000', reasonCode: 'jam', text: 'Material jam', by: 'op 7' } }));
    writeFileSync(join(dir, 'in.jsonl'), `${input.join('\n')}\n`);
    const out = spawnSync(process.execPath, [BIN, 'replay', '-c', 'test/cases/replay/lineside.yaml', '-i', join(dir, 'in.jsonl')], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    const events = out.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.kind !== 'reply');
    const built = events.map((e, i) => fromReplay('replay-day', i + 1, e));
    const w = new Writer(pool);
    // In several batches, as the stream would arrive; the revision lands in the last one.
    for (let i = 0; i < built.length; i += 37) await w.write(items(built.slice(i, i + 37)));
    const rows = (await pool.query(`SELECT revision, status, is_current, availability FROM oee_periods WHERE period_id = 'shift:night:2026-11-22' ORDER BY revision`)).rows;
    assert.deepEqual(rows.map((r) => [r.revision, r.status, r.is_current]), [[0, 'live', false], [1, 'closed', false], [2, 'closed', true]]);
    const dt = (await pool.query(`SELECT revision, status, reason_code, is_current FROM downtime_events WHERE event_id = 'sim-1-1795388520000' ORDER BY revision`)).rows;
    assert.deepEqual(dt.map((r) => [r.revision, r.status, r.reason_code, r.is_current]), [[0, 'open', 'tool-change', false], [1, 'closed', 'tool-change', false], [2, 'updated', 'jam', true]]);
    // BI reads the current revision through the views, without a filter of its own.
    assert.deepEqual((await pool.query(`SELECT revision FROM oee_periods_current WHERE period_id = 'shift:night:2026-11-22'`)).rows, [{ revision: 2 }]);
    assert.deepEqual((await pool.query(`SELECT reason_code FROM downtime_events_current WHERE event_id = 'sim-1-1795388520000'`)).rows, [{ reason_code: 'jam' }]);
    // Exactly one current row per period and per event.
    assert.equal(await count(pool, 'SELECT count(*) n FROM (SELECT machine_path, period_id FROM oee_periods GROUP BY 1, 2 HAVING count(*) FILTER (WHERE is_current) <> 1) x'), 0);
    assert.equal(await count(pool, 'SELECT count(*) n FROM (SELECT machine_path, event_id FROM downtime_events GROUP BY 1, 2 HAVING count(*) FILTER (WHERE is_current) <> 1) x'), 0);
  });

  it('finds seq gaps: open without a drop report, explained with one, filled when the seqs arrive late', async () => {
    const { pool } = await pg.db('gaps');
    const w = new Writer(pool);
    const gaps = new GapFinder(pool, 0);
    await w.write(items([1, 2, 3, 7, 8, 12, 13].map((s) => telemetry('edge-9', s))));
    let r = await gaps.check();
    assert.deepEqual(r.open.map((g) => [g.agentId, g.firstSeq, g.lastSeq]), [['edge-9', 4, 6], ['edge-9', 9, 11]]);
    assert.equal(r.overdue.length, 2, 'alertAfter 0: overdue at once');
    // A drop report explains 9..11; the replay lane brings 4..6 late.
    await w.write(items([envelope('outboxDrop', { agent: 'edge-9', seq: 14, data: { count: 3, firstSeq: 9, lastSeq: 11, seqs: [[9, 11]], maybeDelivered: [] } }), telemetry('edge-9', 4), telemetry('edge-9', 5), telemetry('edge-9', 6)]));
    r = await gaps.check();
    assert.deepEqual(r.open, []);
    const rows = (await pool.query('SELECT first_seq, last_seq, status FROM seq_gaps ORDER BY first_seq')).rows;
    assert.deepEqual(rows.map((g) => [Number(g.first_seq), Number(g.last_seq), g.status]), [[4, 6, 'filled'], [9, 11, 'explained']]);
    assert.equal(Number((await pool.query(`SELECT contiguous_upto FROM agent_seqs WHERE agent_id = 'edge-9'`)).rows[0].contiguous_upto), 14);
  });

  it('migrations run once however often they are called, and name the contract they were written for', async () => {
    const { pool } = await pg.db('migrate');
    const c = await pool.connect();
    try {
      assert.deepEqual(await migrate(c, 'lineside'), []);
    } finally {
      c.release();
    }
    const rows = (await pool.query('SELECT version, contract FROM schema_migrations')).rows;
    assert.deepEqual(rows, [{ version: 1, contract: '1.1.0' }, { version: 2, contract: '1.2.0' }]);
  });
});
