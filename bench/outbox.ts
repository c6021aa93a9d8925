// Store-and-forward benchmark: each figure next to a raw baseline measured in the same run.
//   node bench/outbox.ts [--messages 1000000] [--append 200000] [--inflight 64]
// 1. append rate: Outbox.append + group commit vs raw better-sqlite3 batched inserts (same rows,
//    same table, same pragmas and synchronous mode, same batch size).
// 2. backlog drain: the Publisher draining N stored messages to a real mosquitto vs a minimal
//    mqtt.js QoS 1 publisher with the same in-flight window sending the same payloads from memory;
//    the agent's RSS is sampled during its drain.
// 3. live latency: append → commit tick → publish → broker → subscriber, p50 / p99.
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import pino from 'pino';
import { configSchema } from '../config/schema/index.ts';
import { encodeEnvelope } from '../agent/contract/envelope.ts';
import type { MachineEvent } from '../agent/events.ts';
import { Outbox } from '../agent/outbox/outbox.ts';
import { Publisher } from '../agent/publish/publisher.ts';
import { Mosquitto } from '../test/helpers/mosquitto.ts';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '1000000' }, append: { type: 'string', default: '200000' }, inflight: { type: 'string', default: '64' } } });
const N_DRAIN = Number(values.messages);
const N_APPEND = Number(values.append);
const INFLIGHT = Number(values.inflight);
const BATCH = 500;
const log = pino({ level: 'warn' });
const root = { enterprise: 'acme', site: 'plant1', area: 'hall', line: 'line1' };
const scratch = mkdtempSync(join(tmpdir(), 'lineside-bench-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

function event(i: number): MachineEvent {
  return { kind: 'telemetry', machine: `m${i % 4}`, schema: 'lineside.telemetry/1', ts: 1_700_000_000_000 + i, body: { tags: { speed: 1200 + (i % 50), temperature: 41.5, partCount: i }, quality: 'good' } };
}
/** One figure next to its baseline from the same run; bench/run.ts collects the final JSON line. */
interface Figure { name: string; value: number; unit: string; baseline?: { name: string; value: number }; ratio?: number; note?: string }
const figures: Figure[] = [];

const rate = (n: number, ms: number) => Math.round((n * 1000) / ms);
const fmt = (n: number) => n.toLocaleString('en-US');

async function appendBench(sync: 'normal' | 'full'): Promise<void> {
  // Two rounds, best of each: fsync timings on a shared disk are noisy.
  const runs = [await appendRound(sync), await appendRound(sync)];
  const a = Math.max(...runs.map((r) => r.a));
  const r = Math.max(...runs.map((x) => x.r));
  console.log(`append  synchronous=${sync.padEnd(6)} ${fmt(runs[0]!.n)} rows, batch ${BATCH}: outbox ${fmt(a)} msg/s | raw better-sqlite3 ${fmt(r)} msg/s | ratio ${(a / r).toFixed(2)} (goal >= 0.5)`);
  figures.push({ name: `Append, synchronous=${sync}, batch ${BATCH}`, value: a, unit: 'msg/s', baseline: { name: 'raw better-sqlite3 batched inserts', value: r }, ratio: a / r });
}

async function appendRound(sync: 'normal' | 'full'): Promise<{ n: number; a: number; r: number }> {
  const n = sync === 'full' ? Math.min(N_APPEND, 50_000) : N_APPEND;
  const events = Array.from({ length: n }, (_, i) => event(i));
  const dir = mkdtempSync(join(scratch, 'append-'));
  const ob = new Outbox({ dataDir: dir, synchronous: sync, commitInterval: 20, maxBytes: 1e12, maxAge: 1e12, log });
  ob.open();
  let t = performance.now();
  for (let i = 0; i < n; i += BATCH) {
    ob.append(events.slice(i, i + BATCH));
    ob.flush();
  }
  const outboxMs = performance.now() - t;
  ob.close();

  // Raw: the same table and pragmas, rows already serialised, one transaction per batch.
  const rawFile = join(dir, 'raw.db');
  const db = new Database(rawFile);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${sync.toUpperCase()}`);
  db.exec('CREATE TABLE outbox (seq INTEGER PRIMARY KEY, machine TEXT NOT NULL, kind TEXT NOT NULL, schema TEXT NOT NULL, ts INTEGER NOT NULL, prio INTEGER NOT NULL, body TEXT NOT NULL)');
  const rows = events.map((e, i) => [i + 1, e.machine, e.kind, e.schema, e.ts, 0, JSON.stringify(e.body)] as const);
  const ins = db.prepare('INSERT INTO outbox VALUES (?, ?, ?, ?, ?, ?, ?)');
  const tx = db.transaction((batch: typeof rows) => {
    for (const r of batch) ins.run(...r);
  });
  t = performance.now();
  for (let i = 0; i < n; i += BATCH) tx(rows.slice(i, i + BATCH));
  const rawMs = performance.now() - t;
  db.close();
  return { n, a: rate(n, outboxMs), r: rate(n, rawMs) };
}

function publisherConfig(url: string) {
  return configSchema.parse({
    agent: { id: 'bench', dataDir: scratch },
    location: root,
    mqtt: { url, inflight: INFLIGHT, replayRate: 1_000_000, reconnectMin: '100ms' },
    machines: [{ id: 'm0', driver: 'sim', idealCycleTime: '1s' }],
  });
}

async function drainBench(broker: Mosquitto): Promise<void> {
  const dir = mkdtempSync(join(scratch, 'drain-'));
  const ob = new Outbox({ dataDir: dir, synchronous: 'normal', commitInterval: 20, maxBytes: 1e12, maxAge: 1e12, log });
  ob.open();
  let t = performance.now();
  for (let i = 0; i < N_DRAIN; i += 5000) {
    ob.append(Array.from({ length: Math.min(5000, N_DRAIN - i) }, (_, j) => event(i + j)));
    ob.flush();
  }
  ob.close();
  console.log(`backlog ${fmt(N_DRAIN)} messages stored in ${Math.round(performance.now() - t)} ms`);
  // The agent drains in its own process: its RSS is then the agent's, not this script's.
  const child = spawnSync(process.execPath, [fileURLToPath(new URL('./drain-agent.ts', import.meta.url)), dir, broker.url, String(N_DRAIN), String(INFLIGHT)], { encoding: 'utf8', timeout: 900_000 });
  if (child.status !== 0) throw new Error(`drain agent failed: ${child.stderr}`);
  const agentRun = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { ms: number; rssStart: number; peakRss: number; peakHeap: number };
  const agentMs = agentRun.ms;

  // Baseline: the same payloads from memory, the same window, nothing else.
  const payloads: string[] = [];
  for (let i = 0; i < N_DRAIN; i++) {
    const e = event(i);
    payloads.push(encodeEnvelope('bench', { seq: i + 1, machine: e.machine, schema: e.schema, ts: e.ts, body: JSON.stringify(e.body) }, Date.now(), true));
  }
  const rawDefault = await rawDrain(broker, payloads, false);
  const rawNoDelay = await rawDrain(broker, payloads, true);
  const a = rate(N_DRAIN, agentMs);
  const r = rate(N_DRAIN, rawDefault);
  const rn = rate(N_DRAIN, rawNoDelay);
  console.log(`drain   ${fmt(N_DRAIN)} msgs, QoS 1, window ${INFLIGHT}: outbox+publisher ${fmt(a)} msg/s | raw mqtt.js from memory ${fmt(r)} msg/s | ratio ${(a / r).toFixed(2)} (goal >= 0.5)`);
  figures.push({ name: `Backlog drain, ${N_DRAIN} messages, QoS 1, window ${INFLIGHT}`, value: a, unit: 'msg/s', baseline: { name: 'raw mqtt.js publisher from memory', value: r }, ratio: a / r });
  figures.push({ name: 'Backlog drain vs raw mqtt.js with TCP_NODELAY', value: a, unit: 'msg/s', baseline: { name: 'raw mqtt.js, TCP_NODELAY', value: rn }, ratio: a / rn });
  figures.push({ name: 'Agent peak RSS during the drain', value: Math.round(agentRun.peakRss / 2 ** 20), unit: 'MiB', note: `${Math.round(agentRun.rssStart / 2 ** 20)} MiB at start` });
  console.log(`        raw mqtt.js with TCP_NODELAY as the publisher sets it: ${fmt(rn)} msg/s | ratio ${(a / rn).toFixed(2)}`);
  console.log(`        agent RSS during drain: peak ${Math.round(agentRun.peakRss / 2 ** 20)} MiB (at start ${Math.round(agentRun.rssStart / 2 ** 20)} MiB; peak V8 heap ${Math.round(agentRun.peakHeap / 2 ** 20)} MiB: V8 lets the heap grow with the allocation rate)`);
}

/** The minimal publisher: one publish per PUBACK, `INFLIGHT` outstanding, payloads in memory. */
async function rawDrain(broker: Mosquitto, payloads: string[], noDelay: boolean): Promise<number> {
  const client = await mqtt.connectAsync(broker.url, { clientId: `raw-bench-${noDelay}`, protocolVersion: 5 });
  if (noDelay) (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  const t = performance.now();
  await new Promise<void>((resolve) => {
    let next = 0;
    let acked = 0;
    const send = () => {
      const i = next++;
      client.publish(`lineside/v1/acme/plant1/hall/line1/m${i % 4}/telemetry`, payloads[i]!, { qos: 1 }, () => {
        acked++;
        if (acked === payloads.length) resolve();
        else if (next < payloads.length) send();
      });
    };
    for (let k = 0; k < INFLIGHT && next < payloads.length; k++) send();
  });
  const ms = performance.now() - t;
  await client.endAsync();
  return ms;
}

async function latencyBench(broker: Mosquitto): Promise<void> {
  const dir = mkdtempSync(join(scratch, 'live-'));
  const ob = new Outbox({ dataDir: dir, synchronous: 'normal', commitInterval: 20, maxBytes: 1e12, maxAge: 1e12, log });
  ob.open();
  const cfg = publisherConfig(broker.url);
  const pub = new Publisher({ config: cfg.mqtt, agentId: 'bench-live', root, outbox: ob, log, version: 'bench', configHash: 'bench' });
  const sub = await mqtt.connectAsync(broker.url, { clientId: 'bench-sub' });
  const latencies: number[] = [];
  sub.on('message', (_t, payload) => {
    const at = (JSON.parse(payload.toString()) as { data: { t0?: number } }).data.t0;
    if (typeof at === 'number') latencies.push(performance.timeOrigin + performance.now() - at);
  });
  await sub.subscribeAsync('lineside/v1/acme/plant1/hall/line1/+/telemetry', { qos: 1 });
  await ob.start();
  await pub.start();
  const COUNT = 2000;
  for (let i = 0; i < COUNT; i++) {
    ob.publish([{ kind: 'telemetry', machine: 'm0', schema: 'lineside.telemetry/1', ts: Date.now(), body: { t0: performance.timeOrigin + performance.now(), i } }]);
    await new Promise((r) => setTimeout(r, 5));
  }
  const deadline = Date.now() + 10_000;
  while (latencies.length < COUNT && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await pub.stop();
  await ob.stop();
  await sub.endAsync();
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!.toFixed(1);
  figures.push({ name: 'Live latency p50, append → subscriber', value: Number(q(0.5)), unit: 'ms', note: `p99 ${q(0.99)} ms, ${latencies.length}/${COUNT} messages at ~200/s` });
  console.log(`live    ${latencies.length}/${COUNT} msgs at ~200/s, commitInterval 20ms: latency p50 ${q(0.5)} ms, p99 ${q(0.99)} ms (append → subscriber)`);
}

console.log(`node ${process.version}, ${new Date().toISOString()}`);
// The drain runs first, so the RSS figure is the agent's and not the benchmark's arrays.
const broker = await Mosquitto.start({ dir: mkdtempSync(join(scratch, 'mosq-')) });
try {
  await drainBench(broker);
  await latencyBench(broker);
} finally {
  await broker.stop();
}
await appendBench('normal');
await appendBench('full');
console.log(JSON.stringify({ bench: 'outbox', params: { messages: N_DRAIN, append: N_APPEND, inflight: INFLIGHT }, figures }));
process.exit(0);
