// Live data during a backlog drain: what the two lanes are for.
//   node bench/live-backlog.ts [--backlog 100000] [--replay-rate 2000] [--live-rate 200]
// 1. baseline: live messages at --live-rate through Outbox → Publisher → mosquitto → a
//    subscriber, with no backlog: p50 / p99 latency (append → subscriber).
// 2. the same live load while a backlog of --backlog messages drains at --replay-rate (lanes, the
//    default): live latency p50 / p99 next to the baseline, and the drain rate measured at the
//    subscriber next to the configured one.
// 3. for contrast, mqtt.ordering: strict (live waits behind the backlog): live latency p50 / p99.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import pino from 'pino';
import { configSchema } from '../config/schema/index.ts';
import type { MachineEvent } from '../agent/events.ts';
import { Outbox } from '../agent/outbox/outbox.ts';
import { MQTT_DESTINATION, Publisher } from '../agent/publish/publisher.ts';
import { Mosquitto } from '../test/helpers/mosquitto.ts';

const { values } = parseArgs({ options: { backlog: { type: 'string', default: '100000' }, 'replay-rate': { type: 'string', default: '2000' }, 'live-rate': { type: 'string', default: '200' }, 'strict-backlog': { type: 'string', default: '20000' } } });
const BACKLOG = Number(values.backlog);
const REPLAY_RATE = Number(values['replay-rate']);
const LIVE_RATE = Number(values['live-rate']);
const STRICT_BACKLOG = Number(values['strict-backlog']);
const log = pino({ level: 'warn' });
const root = { enterprise: 'acme', site: 'plant1', area: 'hall', line: 'line1' };
const scratch = mkdtempSync(join(tmpdir(), 'lineside-live-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

interface Figure { name: string; value: number; unit: string; baseline?: { name: string; value: number }; ratio?: number; note?: string }
const figures: Figure[] = [];
const now = () => performance.timeOrigin + performance.now();
const quantile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]! : Number.NaN;
};

interface RunResult { live: number[]; replayed: number; drainMs: number }

/** Live load for `liveMs` (and until the backlog drained, when there is one); latencies of live messages. */
async function run(broker: Mosquitto, backlog: number, ordering: 'lanes' | 'strict', liveMs: number): Promise<RunResult> {
  const dir = mkdtempSync(join(scratch, 'run-'));
  const ob = new Outbox({ dataDir: dir, synchronous: 'normal', commitInterval: 20, maxBytes: 1e12, maxAge: 1e12, log, destinations: [{ name: MQTT_DESTINATION, strict: ordering === 'strict' }] });
  ob.open();
  const pad = 'x'.repeat(120);
  for (let i = 0; i < backlog; i += 5000) {
    ob.append(Array.from({ length: Math.min(5000, backlog - i) }, (_, j): MachineEvent => ({ kind: 'telemetry', machine: `m${(i + j) % 4}`, schema: 'lineside.telemetry/1', ts: Date.now(), body: { old: i + j, pad } })));
    ob.flush();
  }
  const cfg = configSchema.parse({ agent: { id: 'bench', dataDir: dir }, location: root, mqtt: { url: broker.url, replayRate: REPLAY_RATE, ordering, reconnectMin: '100ms' }, machines: [{ id: 'm0', driver: 'sim', idealCycleTime: '1s' }] });
  const pub = new Publisher({ config: cfg.mqtt, agentId: `bench-${ordering}-${backlog}`, root, outbox: ob, log, version: 'bench', configHash: 'bench' });
  const sub = await mqtt.connectAsync(broker.url, { clientId: `bench-sub-${ordering}-${backlog}` });
  const live: number[] = [];
  let replayed = 0;
  let firstReplayAt = 0;
  let lastReplayAt = 0;
  sub.on('message', (_t, payload) => {
    const m = JSON.parse(payload.toString()) as { replay: boolean; data: { t0?: number } };
    if (typeof m.data.t0 === 'number') live.push(now() - m.data.t0);
    else if (m.replay) {
      replayed++;
      lastReplayAt = now();
      firstReplayAt ||= lastReplayAt;
    }
  });
  await sub.subscribeAsync(`lineside/v1/acme/plant1/hall/line1/+/telemetry`, { qos: 1 });
  await ob.start();
  await pub.start();
  const started = now();
  let sent = 0;
  while (now() - started < liveMs || (backlog > 0 && replayed < backlog && now() - started < 600_000)) {
    const due = Math.floor(((now() - started) * LIVE_RATE) / 1000) - sent;
    for (let k = 0; k < due; k++, sent++) ob.publish([{ kind: 'telemetry', machine: 'm0', schema: 'lineside.telemetry/1', ts: Date.now(), body: { t0: now(), i: sent } }]);
    await new Promise((r) => setTimeout(r, 5));
  }
  const deadline = now() + 60_000;
  while (live.length < sent && now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await pub.stop();
  await ob.stop();
  await sub.endAsync();
  return { live, replayed, drainMs: lastReplayAt - firstReplayAt };
}

const fmt = (x: number) => x.toFixed(1);
console.log(`node ${process.version}, ${new Date().toISOString()}; live ${LIVE_RATE} msg/s, backlog ${BACKLOG}, replayRate ${REPLAY_RATE}`);
const broker = await Mosquitto.start({ dir: mkdtempSync(join(scratch, 'mosq-')) });
try {
  const base = await run(broker, 0, 'lanes', 20_000);
  const lanes = await run(broker, BACKLOG, 'lanes', 0);
  const strict = await run(broker, STRICT_BACKLOG, 'strict', 0);
  const [b50, b99] = [quantile(base.live, 0.5), quantile(base.live, 0.99)];
  const [l50, l99] = [quantile(lanes.live, 0.5), quantile(lanes.live, 0.99)];
  const [s50, s99] = [quantile(strict.live, 0.5), quantile(strict.live, 0.99)];
  const drainRate = (lanes.replayed * 1000) / Math.max(1, lanes.drainMs);
  console.log(`no backlog          live p50 ${fmt(b50)} ms, p99 ${fmt(b99)} ms (${base.live.length} msgs)`);
  console.log(`${BACKLOG} backlog, lanes  live p50 ${fmt(l50)} ms, p99 ${fmt(l99)} ms (${lanes.live.length} msgs) | p99 − baseline p99 = ${fmt(l99 - b99)} ms (bar ≤ 100 ms)`);
  console.log(`                    backlog ${lanes.replayed} msgs drained at ${Math.round(drainRate)} msg/s (configured ${REPLAY_RATE}, ratio ${(drainRate / REPLAY_RATE).toFixed(3)})`);
  console.log(`${STRICT_BACKLOG} backlog, strict live p50 ${fmt(s50)} ms, p99 ${fmt(s99)} ms (live waits behind the backlog)`);
  figures.push({ name: `Live latency p99 while ${BACKLOG} messages drain (lanes)`, value: Math.round(l99 * 10) / 10, unit: 'ms', baseline: { name: 'live latency p99, no backlog', value: Math.round(b99 * 10) / 10 }, ratio: l99 / b99, note: `p50 ${fmt(l50)} vs ${fmt(b50)} ms; difference ${fmt(l99 - b99)} ms (bar: within 100 ms)` });
  figures.push({ name: 'Backlog drain rate during live load', value: Math.round(drainRate), unit: 'msg/s', baseline: { name: 'mqtt.replayRate', value: REPLAY_RATE }, ratio: drainRate / REPLAY_RATE });
  figures.push({ name: `Live latency p99 while ${STRICT_BACKLOG} messages drain (strict)`, value: Math.round(s99), unit: 'ms', baseline: { name: 'live latency p99, no backlog', value: Math.round(b99 * 10) / 10 }, ratio: s99 / b99, note: 'strict ordering: live waits behind the backlog' });
} finally {
  await broker.stop();
}
console.log(JSON.stringify({ bench: 'live-backlog', params: { backlog: BACKLOG, replayRate: REPLAY_RATE, liveRate: LIVE_RATE }, figures }));
process.exit(0);
