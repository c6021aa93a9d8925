import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pino from 'pino';
import { EmbeddedIngest } from '../../../ingest/embedded.ts';
import { BIN, ROOT, runCli } from '../../helpers/cli.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { agentStatus, envelope, fromReplay, LINE, telemetry } from './envelopes.ts';

describe('embedded ingest (SQLite, for the demo)', () => {
  it('keeps the same tables by the same rules: once per msgId, quarantine, revisions with the highest current', async () => {
    const file = join(tempDir(), 'central.sqlite');
    const ingest = new EmbeddedIngest(file, pino({ level: 'silent' }));
    const msgs = [telemetry('edge-1', 1, 'press-1', 3), envelope('state', { agent: 'edge-1', seq: 2 }), envelope('downtime', { agent: 'edge-1', seq: 3 }), envelope('oee', { agent: 'edge-1', seq: 4 }), envelope('job', { agent: 'edge-1', seq: 5 }), envelope('outboxDrop', { agent: 'edge-1', seq: 6 }), agentStatus('edge-1', 'online')];
    for (const m of [...msgs, ...msgs]) ingest.push(m.topic, m.payload);
    ingest.push(`${LINE}/press-1/oee`, Buffer.from('nope'));
    // The late reason of the real pipeline, as in writer.test.ts.
    const readings = readFileSync(join(ROOT, 'test/cases/replay/readings.jsonl'), 'utf8').trim().split('\n');
    const end = Date.parse('2026-11-23T05:30:00Z');
    const input = readings.filter((l) => (JSON.parse(l) as { ts: number }).ts <= end);
    input.push(JSON.stringify({ ts: end + 1000, machine: 'sim-1', cmd: 'downtime-reason', payload: { commandId: 'late-1', eventId: 'sim-1-1795388520000', reasonCode: 'jam', text: 'Material jam', by: 'op 7' } }));
    const dir = tempDir();
    writeFileSync(join(dir, 'in.jsonl'), `${input.join('\n')}\n`);
    const out = spawnSync(process.execPath, [BIN, 'replay', '-c', 'test/cases/replay/lineside.yaml', '-i', join(dir, 'in.jsonl')], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    out.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.kind !== 'reply').forEach((e, i) => {
      const b = fromReplay('replay-day', i + 1, e);
      ingest.push(b.topic, b.payload);
    });
    await ingest.stop();
    assert.equal(ingest.totals.duplicates, 6);
    assert.equal(ingest.totals.quarantined, 1);
    const db = new Database(file, { readonly: true });
    const one = (sql: string) => Object.values(db.prepare(sql).get() as object)[0];
    assert.equal(one(`SELECT count(*) FROM messages WHERE agent_id = 'edge-1'`), 6);
    assert.equal(one(`SELECT count(*) FROM telemetry WHERE agent_id = 'edge-1'`), 3);
    assert.equal(one(`SELECT count(*) FROM quarantine`), 1);
    assert.equal(one(`SELECT status FROM agents`), 'online');
    const rows = db.prepare(`SELECT revision, status, is_current FROM oee_periods WHERE period_id = 'shift:night:2026-11-22' ORDER BY revision`).all() as Array<{ revision: number; status: string; is_current: number }>;
    assert.deepEqual(rows.map((r) => [r.revision, r.status, r.is_current]), [[0, 'live', 0], [1, 'closed', 0], [2, 'closed', 1]]);
    assert.equal(one(`SELECT count(*) FROM (SELECT machine_path, period_id FROM oee_periods GROUP BY 1, 2 HAVING sum(is_current) <> 1)`), 0);
    // The same views as in PostgreSQL.
    assert.equal(one(`SELECT revision FROM oee_periods_current WHERE period_id = 'shift:night:2026-11-22'`), 2);
    db.close();
  });

  it('lineside demo --ingest fills central.sqlite while the demo runs', async () => {
    const dir = tempDir();
    const r = await runCli(['demo', '--json', '--duration', '6s', '--ingest', '--data-dir', dir], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const started = JSON.parse(r.stdout.split('\n')[0]!) as { central?: string };
    assert.equal(started.central, join(dir, 'central.sqlite'));
    const db = new Database(started.central, { readonly: true });
    const n = (t: string) => (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    assert.ok(n('messages') > 10, `messages: ${n('messages')}`);
    assert.ok(n('state_intervals') > 0);
    assert.ok(n('oee_periods') > 0);
    assert.equal(n('machines'), 3);
    assert.equal(n('quarantine'), 0, 'the demo agent publishes only contract-valid messages');
    assert.equal((db.prepare('SELECT count(*) AS n FROM messages GROUP BY agent_id').all() as unknown[]).length, 1);
    db.close();
  });
});
