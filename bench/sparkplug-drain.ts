// Sparkplug backlog drain bench (not part of `npm test`):
//   node bench/sparkplug-drain.ts [--rows 20000] [--runs 5] [--window 256]
// An outbox holding `--rows` telemetry messages (one machine, two tags each) committed while the
// edge node was away; the node connects to a real mosquitto, publishes its births and drains the
// backlog as historical DDATA (replayRate set out of the way), until the broker confirmed every
// row. Baseline, same process, same broker: raw mqtt.js QoS 0 publishes of an equivalent DDATA
// (encoded per message), with the same SUBSCRIBE round trip every `--window` messages. CPU time of
// this process from /proc/self/stat (utime + stime); min and median over `--runs`.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import pino from 'pino';
import { configSchema } from '../config/schema/index.ts';
import { Outbox } from '../agent/outbox/outbox.ts';
import { resolveSparkplug } from '../agent/destinations/sparkplug/device-config.ts';
import { encodePayload } from '../agent/destinations/sparkplug/payload.ts';
import { SparkplugDestination, sparkplugSpec } from '../agent/destinations/sparkplug/sparkplug.ts';
import { Mosquitto } from '../test/helpers/mosquitto.ts';

const { values: o } = parseArgs({ options: { rows: { type: 'string', default: '20000' }, runs: { type: 'string', default: '5' }, window: { type: 'string', default: '256' } } });
const ROWS = Number(o.rows);
const RUNS = Number(o.runs);
const WINDOW = Number(o.window);
const TICK_MS = 10; // USER_HZ 100

function cpuMs(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

const broker = await Mosquitto.start();
const log = pino({ level: 'silent' });

async function edgeNodeRun(): Promise<{ cpu: number; wall: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'lineside-spb-bench-'));
  const config = configSchema.parse({
    agent: { id: 'bench', dataDir: dir },
    location: { enterprise: 'e', site: 's', area: 'a', line: 'l' },
    mqtt: { url: broker.url },
    sparkplug: { replayRate: 1_000_000, window: WINDOW },
    machines: [{ id: 'press-1', driver: 'sim', idealCycleTime: '1s' }],
  });
  const settings = resolveSparkplug(config)!;
  const outbox = new Outbox({ dataDir: dir, synchronous: 'normal', commitInterval: 5, maxBytes: 1 << 30, maxAge: 86_400_000, log, destinations: [sparkplugSpec(settings)] });
  await outbox.start();
  const t0 = Date.now() - ROWS;
  for (let i = 0; i < ROWS; i += 1000) {
    outbox.publish(Array.from({ length: Math.min(1000, ROWS - i) }, (_, k) => {
      const ts = t0 + i + k;
      const at = new Date(ts).toISOString();
      return { kind: 'telemetry' as const, machine: 'press-1', schema: 'lineside.telemetry/1', ts, body: { values: { partCount: { value: i + k, quality: 'good', ts: at }, speed: { value: 60 + ((i + k) % 7), quality: 'good', ts: at } } } };
    }));
    outbox.flush();
  }
  const node = new SparkplugDestination({ settings, machines: config.machines, dataDir: dir, agentId: 'bench', version: 'bench', outbox, commands: { handle: () => { throw new Error('no commands'); } }, log });
  const c0 = cpuMs();
  const w0 = performance.now();
  await node.start();
  await new Promise<void>((resolve) => {
    const check = () => (node.stats().acked >= ROWS ? resolve() : setTimeout(check, 5));
    check();
  });
  const r = { cpu: cpuMs() - c0, wall: performance.now() - w0 };
  await node.stop();
  await outbox.stop();
  rmSync(dir, { recursive: true, force: true });
  return r;
}

async function rawRun(): Promise<{ cpu: number; wall: number }> {
  const c0 = cpuMs();
  const w0 = performance.now();
  const client = await mqtt.connectAsync(broker.url, { clientId: `raw-${Date.now()}`, clean: true, resubscribe: false, writeCache: false });
  // As the edge node does: no Nagle, or every SUBACK round trip waits for a delayed ACK.
  (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  const t0 = Date.now() - ROWS;
  for (let i = 0; i < ROWS; i += WINDOW) {
    for (let k = i; k < Math.min(ROWS, i + WINDOW); k++) {
      const ts = t0 + k;
      const payload = encodePayload({ timestamp: Date.now(), seq: k % 256, metrics: [{ name: 'Telemetry/partCount', datatype: 7, value: k, timestamp: ts, isHistorical: true, quality: 192 }, { name: 'Telemetry/speed', datatype: 10, value: 60 + (k % 7), timestamp: ts, isHistorical: true, quality: 192 }] });
      client.publish('spBv1.0/s-a-l/DDATA/raw/press-1', Buffer.from(payload), { qos: 0 });
    }
    await client.subscribeAsync('spBv1.0/s-a-l/NCMD/raw', { qos: 1 });
  }
  const r = { cpu: cpuMs() - c0, wall: performance.now() - w0 };
  await client.endAsync();
  return r;
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0]!, median: s[Math.floor(s.length / 2)]! };
};
const node: Array<{ cpu: number; wall: number }> = [];
const raw: Array<{ cpu: number; wall: number }> = [];
for (let i = 0; i < RUNS; i++) {
  raw.push(await rawRun());
  node.push(await edgeNodeRun());
}
await broker.stop();
const n = stats(node.map((r) => r.cpu));
const b = stats(raw.map((r) => r.cpu));
const nw = stats(node.map((r) => r.wall));
const bw = stats(raw.map((r) => r.wall));
process.stdout.write(`rows ${ROWS}, window ${WINDOW}, runs ${RUNS}\n`);
process.stdout.write(`edge node drain: cpu min ${n.min} ms, median ${n.median} ms; wall median ${Math.round(nw.median)} ms (${Math.round((ROWS * 1000) / nw.median)} rows/s)\n`);
process.stdout.write(`raw mqtt.js QoS 0: cpu min ${b.min} ms, median ${b.median} ms; wall median ${Math.round(bw.median)} ms\n`);
process.stdout.write(`ratio (median cpu): ${(n.median / b.median).toFixed(2)}\n`);
const figures = [
  { name: `Backlog of ${ROWS} messages drained as historical DDATA (median wall)`, value: Math.round((ROWS * 1000) / nw.median), unit: 'messages/s' },
  { name: 'CPU per message draining the backlog (median)', value: Number(((n.median * 1000) / ROWS).toFixed(1)), unit: 'µs', baseline: { name: 'raw mqtt.js QoS 0 publishing pre-built payloads, same confirmations', value: Number(((b.median * 1000) / ROWS).toFixed(1)) }, ratio: n.median / b.median, note: `min ${((n.min * 1000) / ROWS).toFixed(1)} vs ${((b.min * 1000) / ROWS).toFixed(1)} µs` },
];
process.stdout.write(`${JSON.stringify({ bench: 'sparkplug-drain', params: { rows: ROWS, window: WINDOW, runs: RUNS }, figures })}\n`);
