import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';
import { Mosquitto } from '../../helpers/mosquitto.ts';
import { IngestProcess, writeCentralConfig } from './central.ts';
import { postgresForFile } from './db.ts';
import { agentStatus, LINE, telemetry } from './envelopes.ts';

const pg = postgresForFile();

async function publisher(url: string) {
  const c = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: `pub-${Math.random().toString(16).slice(2)}` });
  after(() => c.endAsync());
  return c;
}

async function until<T>(what: string, f: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('lineside ingest over MQTT', () => {
  it('a seq gap with no drop report shows in seq_gaps, /metrics and /readyz within gaps.alertAfter', async () => {
    const broker = await Mosquitto.start();
    after(() => broker.stop());
    const { url, pool } = await pg.db('gapready');
    const ingest = new IngestProcess(writeCentralConfig({ mqttUrl: broker.url, pgUrl: url, clientId: 'gap-1', extra: 'gaps: { checkInterval: 200ms, alertAfter: 1s }' }));
    after(() => ingest.stop('SIGKILL'));
    const port = await ingest.ready();
    const pub = await publisher(broker.url);
    const readyz = async () => {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      return { status: r.status, body: (await r.json()) as { problems: string[] } };
    };
    // 1..3 stored before 7 is sent. Batches are written concurrently, and the gap watch starts at
    // the lowest seq stored when it first looks: a batch with 7 committed before the one with 1..3,
    // with a check between them, started it at 7 and left no gap to find (seen once in CI).
    await until('ready', async () => (await readyz()).status === 200);
    for (const s of [1, 2, 3]) await pub.publishAsync(...pubArgs(telemetry('edge-5', s)));
    await until('seqs 1..3 stored', async () => (await pool.query(`SELECT count(*)::int AS n FROM messages WHERE agent_id = 'edge-5'`)).rows[0].n === 3);
    // 4..6 never come and no drop report explains them.
    const sentAt = Date.now();
    for (const s of [7, 8]) await pub.publishAsync(...pubArgs(telemetry('edge-5', s)));
    const gap = await until('gap row', async () => (await pool.query(`SELECT first_seq, last_seq, status FROM seq_gaps WHERE agent_id = 'edge-5'`)).rows[0]).catch(async (err: Error) => {
      // Say what the finder had to go on, should this ever time out again.
      const seqs = (await pool.query(`SELECT seq FROM messages WHERE agent_id = 'edge-5' ORDER BY seq`)).rows.map((r) => Number(r.seq));
      const watch = (await pool.query(`SELECT contiguous_upto, max_seq FROM agent_seqs WHERE agent_id = 'edge-5'`)).rows[0];
      throw new Error(`${err.message}; stored seqs ${JSON.stringify(seqs)}, agent_seqs ${JSON.stringify(watch)}, readyz ${JSON.stringify((await readyz()).body)}`);
    });
    assert.deepEqual([Number(gap.first_seq), Number(gap.last_seq), gap.status], [4, 6, 'open']);
    const r = await until('readyz 503', async () => {
      const x = await readyz();
      return x.status === 503 ? x : undefined;
    });
    const took = Date.now() - sentAt;
    assert.ok(took >= 1000, `not before alertAfter (${took} ms)`);
    assert.ok(took < 4000, `within alertAfter + a few check intervals (${took} ms)`);
    assert.match(r.body.problems.join('\n'), /seq gap: agent edge-5 seqs 4\.\.6 unexplained since/);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /lineside_ingest_seq_gap_seqs_open\{agent="edge-5"\} 3/);
    assert.match(metrics, /lineside_ingest_seq_gaps_overdue 1/);
    await ingest.waitFor((l) => l.msg === 'seq gap unexplained' && l.agent === 'edge-5');
    // The late seqs arrive: the gap is filled and the instance is ready again.
    for (const s of [4, 5, 6]) await pub.publishAsync(...pubArgs(telemetry('edge-5', s, 'press-1', 2, new Date().toISOString())));
    await until('ready again', async () => (await readyz()).status === 200);
    assert.equal((await pool.query(`SELECT status FROM seq_gaps WHERE agent_id = 'edge-5'`)).rows[0].status, 'filled');
    assert.equal(await ingest.stop(), 0);
  });

  it('quarantines what the contract refuses, stores the retained agent status, counts a duplicate without a second row', async () => {
    const broker = await Mosquitto.start();
    after(() => broker.stop());
    const { url, pool } = await pg.db('quarantine');
    const pub = await publisher(broker.url);
    // Retained before the ingest exists: a shared subscription never gets retained messages.
    const status = agentStatus('edge-7', 'online');
    await pub.publishAsync(status.topic, status.payload, { qos: 1, retain: true });
    const ingest = new IngestProcess(writeCentralConfig({ mqttUrl: broker.url, pgUrl: url, clientId: 'q-1' }));
    after(() => ingest.stop('SIGKILL'));
    await ingest.ready();
    await pub.publishAsync(`${LINE}/press-1/oee`, 'not json', { qos: 1 });
    await pub.publishAsync(`${LINE}/press-1/oee`, JSON.stringify({ schema: 'lineside.oee/2', msgId: 'edge-7:1' }), { qos: 1 });
    await pub.publishAsync(...pubArgs(telemetry('edge-7', 2)));
    await pub.publishAsync(...pubArgs(telemetry('edge-7', 2)));
    const q = await until('quarantine rows', async () => {
      const rows = (await pool.query('SELECT reason, msg_id FROM quarantine ORDER BY id')).rows;
      return rows.length === 2 ? rows : undefined;
    });
    assert.match(q[0].reason, /not JSON/);
    assert.match(q[1].reason, /schema "lineside\.oee\/2" is not lineside\.oee\/1/);
    assert.equal(q[1].msg_id, 'edge-7:1');
    await until('status', async () => (await pool.query(`SELECT 1 FROM agents WHERE agent_id = 'edge-7' AND status = 'online'`)).rowCount === 1);
    await until('message', async () => (await pool.query(`SELECT 1 FROM messages WHERE agent_id = 'edge-7'`)).rowCount === 1);
    const metrics = await until('duplicate counted', async () => {
      const text = await (await fetch(`http://127.0.0.1:${(await ingest.msg('ingest started')).port as number}/metrics`)).text();
      return /lineside_ingest_messages_total\{result="duplicate"\} 1/.test(text) ? text : undefined;
    });
    assert.match(metrics, /lineside_ingest_messages_total\{result="quarantined"\} 2/);
    await until('agents gauge', async () => /lineside_ingest_agents\{status="online"\} 1/.test(await (await fetch(`http://127.0.0.1:${(await ingest.msg('ingest started')).port as number}/metrics`)).text()));
    assert.equal((await pool.query(`SELECT count(*)::int n FROM telemetry WHERE agent_id = 'edge-7'`)).rows[0].n, 2, 'two tags once, not twice');
    assert.equal(await ingest.stop(), 0);
  });

  it('a broker restart while messages are being written loses nothing and stores nothing twice', async () => {
    const broker = await Mosquitto.start();
    after(() => broker.stop());
    const { url, pool } = await pg.db('brokerrestart');
    const ingest = new IngestProcess(writeCentralConfig({ mqttUrl: broker.url, pgUrl: url, clientId: 'r-1', extra: 'batch: { maxRows: 200, maxDelay: 20ms }' }));
    after(() => ingest.stop('SIGKILL'));
    await ingest.ready();
    const send = async (from: number, to: number) => {
      const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: `pub-r-${from}` });
      await Promise.all(Array.from({ length: to - from + 1 }, (_, i) => pub.publishAsync(...pubArgs(telemetry('edge-r', from + i)))));
      await pub.endAsync();
    };
    await send(1, 2000);
    await broker.stop();
    await broker.restart();
    await ingest.msg('broker connection restored', 20_000);
    await send(2001, 3000);
    const n = await until('all stored', async () => {
      const c = Number((await pool.query(`SELECT count(*) n FROM messages WHERE agent_id = 'edge-r'`)).rows[0].n);
      return c === 3000 ? c : undefined;
    }, 30_000);
    assert.equal(n, 3000);
    assert.equal(Number((await pool.query(`SELECT count(*) n FROM telemetry WHERE agent_id = 'edge-r'`)).rows[0].n), 6000, 'each value once');
    assert.equal(await ingest.stop(), 0);
  });
});


function pubArgs(b: { topic: string; payload: Buffer }): [string, Buffer, { qos: 1 }] {
  return [b.topic, b.payload, { qos: 1 }];
}