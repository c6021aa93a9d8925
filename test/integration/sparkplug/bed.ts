// An edge node under test: a real outbox file, the real command handler, the Sparkplug destination
// on a real mosquitto (behind a proxy that can cut the link), and a plain subscriber capturing
// everything. Rows are committed as the pipeline would commit them.
import { Writable } from 'node:stream';
import pino from 'pino';
import { configSchema } from '../../../config/schema/index.ts';
import type { CommandResult, CommandTarget, MachineEvent } from '../../../agent/events.ts';
import { CommandHandler } from '../../../agent/commands/handler.ts';
import { Outbox } from '../../../agent/outbox/outbox.ts';
import { resolveSparkplug } from '../../../agent/destinations/sparkplug/device-config.ts';
import { SparkplugDestination, sparkplugSpec } from '../../../agent/destinations/sparkplug/sparkplug.ts';
import { Mosquitto } from '../../helpers/mosquitto.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { Capture } from './capture.ts';
import { CutProxy } from './proxy.ts';

export const MACHINES = ['press-1', 'press-2'];

export interface Bed {
  broker: Mosquitto;
  proxy: CutProxy;
  capture: Capture;
  outbox: Outbox;
  node: SparkplugDestination;
  links: Record<string, { state: string }>;
  applied: Array<{ what: string; machine: string; args: unknown[] }>;
  dir: string;
  /** The edge node's log lines, and a wait for one (past or future). */
  lines: Array<Record<string, unknown>>;
  logged(match: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  commit(events: MachineEvent[]): void;
  /** A fresh destination on the same outbox and data dir (a restart of the edge node alone). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export function telemetry(machine: string, ts: number, values: Record<string, number | boolean | string>): MachineEvent {
  const v = Object.fromEntries(Object.entries(values).map(([k, value]) => [k, { value, quality: 'good', ts: new Date(ts).toISOString() }]));
  return { kind: 'telemetry', machine, schema: 'lineside.telemetry/1', ts, body: { values: v } };
}

export async function startBed(sparkplug: Record<string, unknown> = {}, broker?: Mosquitto): Promise<Bed> {
  const b = broker ?? (await Mosquitto.start());
  const proxy = await CutProxy.start(b.port);
  const dir = tempDir('lineside-spb-');
  const config = configSchema.parse({
    agent: { id: 'edge-1', dataDir: dir },
    location: { enterprise: 'acme', site: 'plant1', area: 'hall', line: 'line1' },
    mqtt: { url: 'mqtt://127.0.0.1:1' },
    webhooks: [],
    sparkplug: { url: proxy.url, reconnectMin: '100ms', reconnectMax: '1s', linkCheckInterval: '100ms', replayRate: 5000, ...sparkplug },
    machines: MACHINES.map((id) => ({ id, driver: 'sim', idealCycleTime: '1s' })),
  });
  const settings = resolveSparkplug(config)!;
  const lines: Array<Record<string, unknown>> = [];
  let waiters: Array<() => void> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const text of chunk.toString().split('\n')) if (text) lines.push(JSON.parse(text) as Record<string, unknown>);
      for (const w of waiters) w();
      if (process.env.SPB_LOG) process.stderr.write(chunk);
      cb();
    },
  });
  const log = pino({ level: 'debug' }, stream);
  const logged: Bed['logged'] = (match, timeoutMs = 10_000) => {
    const seen = lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`log line not seen; last: ${JSON.stringify(lines.slice(-5))}`)), timeoutMs);
      const check = () => {
        const l = lines.find(match);
        if (!l) return;
        clearTimeout(timer);
        waiters = waiters.filter((w) => w !== check);
        resolve(l);
      };
      waiters.push(check);
    });
  };
  const outbox = new Outbox({ dataDir: dir, synchronous: 'normal', commitInterval: 5, maxBytes: 1 << 30, maxAge: 86_400_000, log, destinations: [sparkplugSpec(settings)] });
  await outbox.start();
  const applied: Bed['applied'] = [];
  const ok = (what: string) => (machine: string, ...args: unknown[]): CommandResult => (applied.push({ what, machine, args }), { ok: true } as CommandResult);
  const target = { startJob: ok('startJob'), endJob: ok('endJob'), assignDowntimeReason: ok('assignDowntimeReason') } as unknown as CommandTarget;
  const commands = new CommandHandler({ root: config.location, machines: MACHINES, target, log: outbox, transport: { onConnect() {}, publishDirect: async () => true }, logger: log });
  await commands.start();
  const capture = await Capture.start(b.url);
  const links: Record<string, { state: string }> = Object.fromEntries(MACHINES.map((m) => [m, { state: 'connected' }]));
  const make = () => {
    const n = new SparkplugDestination({ settings, machines: config.machines, dataDir: dir, agentId: 'edge-1', version: 'test', outbox, commands, log });
    n.setLinks(() => links);
    return n;
  };
  const bed: Bed = {
    broker: b,
    proxy,
    capture,
    outbox,
    node: make(),
    links,
    applied,
    dir,
    lines,
    logged,
    commit(events) {
      outbox.publish(events);
      outbox.flush();
    },
    async restart() {
      await bed.node.stop();
      bed.node = make();
      await bed.node.start();
    },
    async close() {
      await bed.node.stop();
      await outbox.stop();
      await capture.close();
      await proxy.close();
      if (!broker) await b.stop();
    },
  };
  await bed.node.start();
  return bed;
}
