// Facts across kill -9 (issue: a crash re-derived published facts differently). A real agent
// with fast simulated machines is killed ten times under load; a subscriber records everything.
// Every fact received more than once (a downtime event's status and revision, a closed period's
// revision) must be the same each time, and each machine's state stream must chain without
// going back in time.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { AgentProcess } from '../../helpers/agent-process.ts';
import { writeAgentConfig } from '../../helpers/agent-config.ts';
import { Mosquitto } from '../../helpers/mosquitto.ts';
import { busySimMachines } from '../../helpers/sim-line.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { Collector, type Received } from '../mqtt/collector.ts';

const MACHINES = ['press-1', 'press-2', 'press-3'];
const BODY = `oee: { periods: [hour], liveInterval: 1s }
${busySimMachines(MACHINES)}`;

/** The body without the envelope fields that differ between copies of one fact. */
function fact(m: Received): string {
  const { msgId: _i, seq: _s, sentAt: _t, replay: _r, ...rest } = m.json;
  return JSON.stringify(rest);
}

const kind = (m: Received) => m.topic.split('/').at(-1);
const data = (m: Received) => m.json.data as Record<string, any>;

describe('facts across kill -9', () => {
  it('ten kills under load: every fact received twice is identical, and no state stream goes back or breaks its chain', async (t) => {
    const broker = await Mosquitto.start();
    after(() => broker.stop());
    const mes = new Collector(broker.url);
    after(() => mes.close());
    await mes.ready();
    const dir = tempDir();
    const file = writeAgentConfig({ dir, id: 'crashy', body: BODY, mqttUrl: broker.url });

    for (let round = 0; round < 10; round++) {
      const agent = new AgentProcess(['run', '--config', file]);
      after(() => agent.stop('SIGKILL'));
      await agent.msg('connected to broker', 30_000);
      // Anywhere: in a commit, between a state change and its save, in a publish.
      await sleep(400 + Math.floor(Math.random() * 1600));
      agent.child.kill('SIGKILL');
      await new Promise((r) => agent.child.once('exit', r));
    }
    const last = new AgentProcess(['run', '--config', file]);
    after(() => last.stop('SIGKILL'));
    await last.msg('connected to broker', 30_000);
    // The last run publishes live data of its own before it stops cleanly.
    const before = mes.messages.length;
    await mes.until(() => mes.messages.length >= before + 20, 30_000, 'live data from the last run');
    assert.equal(await last.stop('SIGTERM'), 0, last.stderr);

    // Everything committed and no longer in the outbox reached the subscriber.
    const db = new Database(join(dir, 'data', 'outbox.db'), { readonly: true });
    const lastSeq = (db.prepare("SELECT value FROM meta WHERE key = 'seq'").get() as { value: number }).value;
    const left = new Set((db.prepare('SELECT seq FROM outbox').all() as Array<{ seq: number }>).map((r) => r.seq));
    db.close();
    const seen = () => new Set(mes.data().map((m) => m.json.seq as number));
    await mes.until(() => { const s = seen(); for (let q = 1; q <= lastSeq; q++) if (!left.has(q) && !s.has(q)) return false; return true; }, 30_000, `every seq up to ${lastSeq}`);

    // One copy per seq, in seq order: the order the agent committed its facts.
    const bySeq = new Map<number, Received>();
    for (const m of mes.data()) if (!bySeq.has(m.json.seq as number)) bySeq.set(m.json.seq as number, m);
    const ordered = [...bySeq.values()].sort((a, b) => (a.json.seq as number) - (b.json.seq as number));

    const copies = new Map<string, Set<string>>();
    const note = (key: string, m: Received) => copies.set(key, (copies.get(key) ?? new Set()).add(fact(m)));
    let downtime = 0;
    let states = 0;
    for (const m of ordered) {
      const k = kind(m);
      if (k === 'downtime') {
        downtime++;
        note(`downtime ${String(m.json.machine)} ${data(m).eventId} ${data(m).status} r${data(m).revision}`, m);
      } else if (k === 'oee' && data(m).status !== 'live') note(`oee ${String(m.json.machine)} ${data(m).periodId} r${data(m).revision}`, m);
    }
    const differing = [...copies].filter(([, v]) => v.size > 1).map(([key, v]) => `${key}: ${[...v].join(' ≠ ')}`);

    const broken: string[] = [];
    for (const machine of MACHINES) {
      const stream = ordered.filter((m) => kind(m) === 'state' && m.json.machine === machine).map(data);
      states += stream.length;
      for (let i = 1; i < stream.length; i++) {
        const [a, b] = [stream[i - 1]!, stream[i]!];
        if (b.since < a.since) broken.push(`${machine}: ${b.state} since ${b.since} after ${a.state} since ${a.since}`);
        else if (b.previous.state !== a.state || b.previous.start !== a.since) broken.push(`${machine}: ${b.state} says it follows ${b.previous.state} since ${b.previous.start}, the stream had ${a.state} since ${a.since}`);
      }
    }
    t.diagnostic(`${ordered.length} messages, ${downtime} downtime, ${states} state events, last seq ${lastSeq}, ${copies.size} facts`);
    assert.ok(downtime >= 30 && states >= 30, `load: ${downtime} downtime and ${states} state events`);
    assert.deepEqual(differing, [], 'facts re-published with other content under the same revision');
    assert.deepEqual(broken.slice(0, 10), [], `${broken.length} state events contradict their stream`);
  });
});
