// `lineside ingest` throughput into PostgreSQL. A real mosquitto and a real PostgreSQL 15
// (fsync and synchronous commit on), contract-valid telemetry envelopes (2 tag values each, 10
// agents), and per repetition:
//   1. the raw baseline: the same rows (messages + narrow telemetry) as plain multi-row INSERTs
//      from one connection, no MQTT, no validation, no de-duplication;
//   2. one instance: its persistent session is created, the instance stops, the messages are
//      published and queued at the broker, the instance starts again: messages/s from its broker
//      connection to the last row committed;
//   3. two instances of one shared subscription, the same way (the broker splits the queue).
// CPU time is utime + stime of the ingest processes from /proc over the same span.
//   node bench/ingest.ts [--messages 200000] [--reps 3] [--tags 2] [--only one] [--cpu-prof DIR] [--node-options FLAGS] [--max-rows N] [--receive-maximum N] [--poll-every MS]
// --only one skips the baseline and the two-instance case; --cpu-prof DIR runs the measured
// instances under `node --cpu-prof` (summarise with bench/cpu-profile-top.ts); --node-options
// passes NODE_OPTIONS to the measured instances (V8 flags to try); --max-rows and
// --receive-maximum override the instances' batch.maxRows and mqtt.receiveMaximum; --poll-every MS
// polls the instances' /metrics at a fixed interval (before 2026-12-01 21:00: every 20 ms).
import { rmSync, mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { migrate } from '../ingest/migrations.ts';
import { Mosquitto } from '../test/helpers/mosquitto.ts';
import { Postgres } from '../test/helpers/postgres.ts';
import { procSample } from './fleet.ts';
import { buildMessages, centralConfig, IngestChild, pidByCommandLine, postgresCpuMs, publishAll, rawInsert } from './ingest/setup.ts';

const { values: o } = parseArgs({ options: { messages: { type: 'string', default: '200000' }, reps: { type: 'string', default: '3' }, tags: { type: 'string', default: '2' }, only: { type: 'string' }, 'cpu-prof': { type: 'string' }, 'node-options': { type: 'string' }, 'max-rows': { type: 'string' }, 'receive-maximum': { type: 'string' }, 'poll-every': { type: 'string' } } });
const N = Number(o.messages);
const REPS = Number(o.reps);
const dir = mkdtempSync(join(tmpdir(), 'lineside-bench-ingest-'));
const server = await Postgres.start({ durable: true, settings: ['max_wal_size = 4GB', 'checkpoint_timeout = 30min'] });
const broker = await Mosquitto.start({ dir });
const msgs = buildMessages(N, 10, Number(o.tags));
const brokerPid = pidByCommandLine(join(dir, 'mosquitto.conf'));
const brokerCpu = () => (brokerPid === undefined ? NaN : (procSample(brokerPid)?.cpuMs ?? NaN));

async function database(name: string): Promise<{ url: string; pool: pg.Pool }> {
  const url = await server.createDb(name);
  const pool = new pg.Pool({ connectionString: url, max: 2, options: '-c search_path=lineside' });
  const c = await pool.connect();
  await migrate(c, 'lineside');
  c.release();
  return { url, pool };
}

// Backends of pools that ended are gone from /proc; spans are measured with live connections only.
const pgCpu = () => postgresCpuMs(join(server.dir, 'data'));
const count = async (pool: pg.Pool) => Number((await pool.query('SELECT count(*) n FROM messages')).rows[0].n);

async function baseline(rep: number) {
  const { pool } = await database(`raw_${rep}`);
  // The ingest creates the day's partition itself; the baseline is given it.
  await pool.query(`CREATE TABLE telemetry_20260302 PARTITION OF telemetry FOR VALUES FROM ('2026-03-02T00:00:00Z') TO ('2026-03-03T00:00:00Z')`);
  const cpu0 = process.cpuUsage();
  const pg0 = pgCpu();
  const t0 = performance.now();
  await rawInsert(pool, msgs);
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const pgUs = ((pgCpu() - pg0) * 1000) / N;
  if ((await count(pool)) !== N) throw new Error('baseline stored a different count');
  await pool.end();
  return { rate: N / s, cpuUsPerMsg: (cpu.user + cpu.system) / N, pgUsPerMsg: pgUs };
}

async function instances(rep: number, k: number) {
  const { url, pool } = await database(`i${k}_${rep}`);
  const files = Array.from({ length: k }, (_, i) => centralConfig(dir, `c${k}-${rep}-${i}`, { mqttUrl: broker.url, pgUrl: url, clientId: `b${k}-${rep}-${i}`, group: `g${k}-${rep}`, ...(o['max-rows'] ? { maxRows: Number(o['max-rows']) } : {}), ...(o['receive-maximum'] ? { receiveMaximum: Number(o['receive-maximum']) } : {}) }));
  // Sessions and the shared subscription first, then the instances go away and the messages queue.
  for (const f of files) {
    const p = new IngestChild(f);
    await p.msg('subscribed', 30_000);
    await p.stop();
  }
  await publishAll(broker.url, msgs);
  const flags = [o['cpu-prof'] ? `--cpu-prof --cpu-prof-dir=${o['cpu-prof']}` : '', o['node-options'] ?? ''].join(' ').trim();
  const prof = flags ? { NODE_OPTIONS: flags } : {};
  const children = files.map((f) => new IngestChild(f, prof));
  const t0 = Math.min(...(await Promise.all(children.map((c) => c.connectedAt()))));
  const cpu0 = children.map((c) => c.cpuMs());
  const pg0 = pgCpu();
  const b0 = brokerCpu();
  // Progress from the instances' /metrics, not count(*): polling the table would load the database.
  // A scrape costs the instance 1–2 ms of CPU (default metrics): polled at half the time the rest
  // should take at the rate so far (at most 250 ms, at least 20 ms), the end is still seen within
  // 20 ms while the scrapes stay a few, not one per 20 ms.
  const deadline = Date.now() + 600_000;
  const inserted = async () => (await Promise.all(children.map((c) => c.inserted()))).reduce((a, b) => a + b, 0);
  for (let n = await inserted(); n < N && Date.now() < deadline; n = await inserted()) {
    const rate = n / Math.max(1, Date.now() - t0);
    const wait = o['poll-every'] ? Number(o['poll-every']) : rate > 0 ? Math.min(250, Math.max(20, (N - n) / rate / 2)) : 20;
    await new Promise((r) => setTimeout(r, wait));
  }
  const t1 = Date.now();
  const cpu = children.reduce((s, c, i) => s + c.cpuMs() - cpu0[i]!, 0);
  const pgUs = ((pgCpu() - pg0) * 1000) / N;
  const brokerUs = ((brokerCpu() - b0) * 1000) / N;
  const split = await Promise.all(children.map((c) => c.inserted()));
  for (const c of children) await c.stop();
  const n = await count(pool);
  await pool.end();
  if (n !== N) throw new Error(`${k} instance(s): ${n} of ${N} stored in time`);
  return { rate: N / ((t1 - t0) / 1000), cpuUsPerMsg: (cpu * 1000) / N, pgUsPerMsg: pgUs, brokerUsPerMsg: brokerUs, split };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const runs: Array<{ raw: Awaited<ReturnType<typeof baseline>>; one: Awaited<ReturnType<typeof instances>>; two: Awaited<ReturnType<typeof instances>> }> = [];
try {
  console.log(`messages ${N} (telemetry, ${o.tags} values each, 10 agents), reps ${REPS}, cores ${availableParallelism()}`);
  for (let rep = 0; rep < REPS; rep++) {
    if (o.only === 'one') {
      const one = await instances(rep, 1);
      console.log(`rep ${rep + 1}: one instance ${fmt(one.rate)} msg/s (CPU/msg ${one.cpuUsPerMsg.toFixed(1)} µs ingest + ${one.pgUsPerMsg.toFixed(1)} µs PostgreSQL + ${one.brokerUsPerMsg.toFixed(1)} µs mosquitto)`);
      continue;
    }
    const raw = await baseline(rep);
    const one = await instances(rep, 1);
    const two = await instances(rep, 2);
    runs.push({ raw, one, two });
    console.log(`rep ${rep + 1}: raw INSERT ${fmt(raw.rate)} msg/s (CPU/msg ${raw.cpuUsPerMsg.toFixed(1)} µs client + ${raw.pgUsPerMsg.toFixed(1)} µs PostgreSQL) | one instance ${fmt(one.rate)} msg/s (CPU/msg ${one.cpuUsPerMsg.toFixed(1)} µs ingest + ${one.pgUsPerMsg.toFixed(1)} µs PostgreSQL + ${one.brokerUsPerMsg.toFixed(1)} µs mosquitto) | two instances ${fmt(two.rate)} msg/s (CPU/msg ${two.cpuUsPerMsg.toFixed(1)} µs ingest + ${two.pgUsPerMsg.toFixed(1)} µs PostgreSQL + ${two.brokerUsPerMsg.toFixed(1)} µs mosquitto, split ${two.split.join(' / ')}) | two/one ${(two.rate / one.rate).toFixed(2)}×`);
  }
  if (o.only !== 'one') report();
} finally {
  await broker.stop();
  server.stop();
  rmSync(dir, { recursive: true, force: true });
}

function report(): void {
  const med = (f: (r: (typeof runs)[number]) => number) => median(runs.map(f));
  const min = (f: (r: (typeof runs)[number]) => number) => Math.min(...runs.map(f));
  const raw = med((r) => r.raw.rate);
  const one = med((r) => r.one.rate);
  const two = med((r) => r.two.rate);
  console.log(`median: raw ${fmt(raw)} msg/s, one ${fmt(one)} msg/s (${(one / raw).toFixed(2)}× raw), two ${fmt(two)} msg/s (${(two / one).toFixed(2)}× one)`);
  console.log(`min:    raw ${fmt(min((r) => r.raw.rate))} msg/s, one ${fmt(min((r) => r.one.rate))} msg/s, two ${fmt(min((r) => r.two.rate))} msg/s`);
  console.log(`PostgreSQL CPU per message (median): raw INSERT ${med((r) => r.raw.pgUsPerMsg).toFixed(1)} µs, one instance ${med((r) => r.one.pgUsPerMsg).toFixed(1)} µs, two instances ${med((r) => r.two.pgUsPerMsg).toFixed(1)} µs`);
  console.log(`CPU per message (min / median): one instance ${min((r) => r.one.cpuUsPerMsg).toFixed(1)} / ${med((r) => r.one.cpuUsPerMsg).toFixed(1)} µs; two instances ${min((r) => r.two.cpuUsPerMsg).toFixed(1)} / ${med((r) => r.two.cpuUsPerMsg).toFixed(1)} µs; raw INSERT client ${min((r) => r.raw.cpuUsPerMsg).toFixed(1)} / ${med((r) => r.raw.cpuUsPerMsg).toFixed(1)} µs`);
  console.log(JSON.stringify({
    bench: 'ingest',
    params: { messages: N, reps: REPS, tags: Number(o.tags) },
    figures: [
      { name: 'One ingest instance: MQTT shared subscription → validation → PostgreSQL (median)', value: Math.round(one), unit: 'messages/s', baseline: { name: 'plain multi-row INSERT of the same rows', value: Math.round(raw) }, ratio: one / raw },
      { name: 'Two instances on one shared subscription (median)', value: Math.round(two), unit: 'messages/s', baseline: { name: 'one instance', value: Math.round(one) }, ratio: two / one },
      { name: 'PostgreSQL CPU per message, one instance (median)', value: Number(med((r) => r.one.pgUsPerMsg).toFixed(1)), unit: 'µs', baseline: { name: 'the plain INSERT', value: Number(med((r) => r.raw.pgUsPerMsg).toFixed(1)) }, ratio: med((r) => r.one.pgUsPerMsg) / med((r) => r.raw.pgUsPerMsg) },
      { name: 'Ingest CPU per message, one instance (median)', value: Number(med((r) => r.one.cpuUsPerMsg).toFixed(1)), unit: 'µs' },
    ],
  }));
}
