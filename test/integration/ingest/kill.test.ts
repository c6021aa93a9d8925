import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';
import { AgentProcess } from '../../helpers/agent-process.ts';
import { writeAgentConfig } from '../../helpers/agent-config.ts';
import { Mosquitto } from '../../helpers/mosquitto.ts';
import { busySimMachines } from '../../helpers/sim-line.ts';
import { Collector } from '../mqtt/collector.ts';
import { IngestProcess, writeCentralConfig } from './central.ts';
import { postgresForFile } from './db.ts';
import { type Built, envelope, telemetry } from './envelopes.ts';

const pg = postgresForFile();

/** A real agent's line: three fast simulated machines with faults, micro-stops and changeovers. */
const LINE = `oee: { periods: [shift, hour], liveInterval: 1s }
${busySimMachines(['press-1', 'press-2', 'press-3'])}`;

/** Publishes contract-valid messages of one agent at `rate`/s with QoS 1 until stopped. */
function load(url: string, rate: number) {
  const client = mqtt.connect(url, { protocolVersion: 5, clientId: 'agent-load', clean: true });
  client.on('error', () => {});
  const published: string[] = [];
  let seq = 0;
  let stopped = false;
  const inflight = new Set<Promise<unknown>>();
  const build = (s: number): Built =>
    s % 10 === 0
      ? envelope('oee', { agent: 'load', seq: s, machine: `m${s % 3}`, data: { periodId: `hour:${Math.floor(s / 500)}`, status: 'live', revision: 0 } })
      : s % 25 === 0
        ? envelope('state', { agent: 'load', seq: s, machine: `m${s % 3}` })
        : telemetry('load', s, `m${s % 3}`, 2);
  const done = (async () => {
    await new Promise((r) => client.once('connect', r));
    let credit = 0;
    let last = Date.now();
    while (!stopped) {
      await sleep(10);
      const now = Date.now();
      credit += ((now - last) * rate) / 1000;
      last = now;
      for (; credit >= 1; credit--) {
        const b = build(++seq);
        const p = client.publishAsync(b.topic, b.payload, { qos: 1 }).then(() => published.push(b.msgId));
        inflight.add(p);
        void p.finally(() => inflight.delete(p));
      }
    }
    await Promise.all(inflight);
    await client.endAsync();
  })();
  return { published, stop: () => ((stopped = true), done), get seq() { return seq; } };
}

describe('ingest killed under load', () => {
  it('kill -9 five times: every msgId the agent published is in the database exactly once', async (t) => {
    const broker = await Mosquitto.start();
    after(() => broker.stop());
    const { url, pool } = await pg.db('kill');
    const config = writeCentralConfig({ mqttUrl: broker.url, pgUrl: url, clientId: 'kill-1', extra: 'batch: { maxRows: 500, maxDelay: 20ms }' });
    // The session (and the shared subscription) exists before the load starts.
    const first = new IngestProcess(config);
    after(() => first.stop('SIGKILL'));
    await first.ready();
    // What the real agent published, as a plain subscriber of the whole tree (like the MES) saw it.
    const mes = new Collector(broker.url);
    after(() => mes.close());
    await mes.ready();
    const agent = new AgentProcess(['run', '--config', writeAgentConfig({ id: 'line-agent', body: LINE, mqttUrl: broker.url })]);
    after(() => agent.stop('SIGKILL'));
    await agent.msg('connected to broker', 30_000);
    // Beside it, a synthetic agent at 2,500 messages/s: the load the ingest is killed under.
    const gen = load(broker.url, 2500);
    const stored = async () => Number((await pool.query('SELECT count(*) n FROM messages')).rows[0].n);
    let ingest = first;
    const atKill: number[] = [];
    for (let round = 0; round < 5; round++) {
      if (round > 0) {
        ingest = new IngestProcess(config);
        const mine = ingest;
        after(() => mine.stop('SIGKILL'));
        await ingest.ready();
      }
      const before = await stored();
      // Writing, with batches in flight: the moment is random on purpose.
      for (let i = 0; (await stored()) <= before && i < 200; i++) await sleep(25);
      await sleep(200 + Math.floor(Math.random() * 800));
      ingest.child.kill('SIGKILL');
      await new Promise((r) => ingest.child.once('exit', r));
      atKill.push(await stored());
    }
    await gen.stop();
    // A clean stop: the agent's outbox drains to the broker before it exits.
    assert.equal(await agent.stop('SIGTERM'), 0, agent.stderr);
    const fromAgent = [...new Set(mes.data().map((m) => m.json.msgId as string).filter((id) => id.startsWith('line-agent:')))];
    const final = new IngestProcess(config);
    after(() => final.stop('SIGKILL'));
    await final.ready();
    const total = gen.published.length + fromAgent.length;
    const deadline = Date.now() + 60_000;
    while ((await stored()) < total && Date.now() < deadline) await sleep(100);
    t.diagnostic(`published ${total} (${fromAgent.length} by the real agent), stored at each kill ${atKill.join(', ')}`);
    assert.ok(atKill[4]! < total, 'the kills happened under load');
    assert.ok(fromAgent.length > 200, `the real agent published (${fromAgent.length})`);
    const ids = (await pool.query('SELECT msg_id FROM messages')).rows.map((r) => r.msg_id as string);
    assert.equal(ids.length, total, 'every published message stored once (the key makes a second copy impossible)');
    assert.deepEqual(new Set(ids), new Set([...gen.published, ...fromAgent]));
    assert.deepEqual((await pool.query('SELECT topic, reason FROM quarantine')).rows, [], 'the real agent\'s messages are all contract-valid');
    // Its facts reached the BI tables: state intervals and downtime events of its machines.
    assert.ok(Number((await pool.query(`SELECT count(*) n FROM state_intervals WHERE machine_path LIKE '%/press-_'`)).rows[0].n) > 0);
    // Telemetry rows of the synthetic agent (two values a message); the real agent's have no fixed count.
    const telemetryMsgs = gen.published.filter((id) => { const s = Number(id.split(':')[1]); return s % 10 !== 0 && s % 25 !== 0; }).length;
    assert.equal(Number((await pool.query(`SELECT count(*) n FROM telemetry WHERE agent_id = 'load'`)).rows[0].n), telemetryMsgs * 2, 'no fact row twice');
    assert.equal(Number((await pool.query(`SELECT count(*) n FROM (SELECT machine_path, period_id FROM oee_periods GROUP BY 1, 2 HAVING count(*) FILTER (WHERE is_current) <> 1) x`)).rows[0].n), 0);
    assert.equal(await final.stop(), 0);
  });
});
