// Shared parts of the long-running benchmarks (bench/soak.ts, bench/peers/peers.ts): a register
// map of N tags per machine that Lineside and its peers read alike, the Lineside config for it,
// a fleet of simulated devices, /proc sampling of a child's CPU time and RSS, a broker-side
// counter of what really arrived, and a /metrics scrape of the agent.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const BIN = fileURLToPath(new URL('../bin/lineside.js', import.meta.url));

// --- the register map ---------------------------------------------------------------------------

export interface BenchTag { name: string; area: 'holding' | 'coil'; address: number; type: 'bool' | 'uint16' | 'uint32' | 'float32' }

/**
 * `count` tags of one machine: the simulator's own block (running coil, counters, fault, mode,
 * speed, status at holding 0..8, see MODBUS_SIM_MAP) so the OEE pipeline has real signals, then
 * one uint16 holding register each from address 10 on.
 */
export function machineTags(count: number): BenchTag[] {
  const tags: BenchTag[] = [
    { name: 'running', area: 'coil', address: 0, type: 'bool' },
    { name: 'partCount', area: 'holding', address: 0, type: 'uint32' },
    { name: 'rejectCount', area: 'holding', address: 2, type: 'uint32' },
    { name: 'faultCode', area: 'holding', address: 4, type: 'uint16' },
    { name: 'mode', area: 'holding', address: 5, type: 'uint16' },
    { name: 'speed', area: 'holding', address: 6, type: 'float32' },
    { name: 'status', area: 'holding', address: 8, type: 'uint16' },
  ].slice(0, count) as BenchTag[];
  for (let a = 10; tags.length < count; a++) tags.push({ name: `r${String(a).padStart(4, '0')}`, area: 'holding', address: a, type: 'uint16' });
  if (tags.at(-1)!.address >= 10_000) throw new Error(`${count} tags do not fit the simulator's 10,000 registers`);
  return tags;
}

export const machineId = (i: number) => `m${String(i + 1).padStart(2, '0')}`;

export interface LinesideConfigOptions {
  file: string;
  agentId: string;
  dataDir: string;
  mqttUrl: string;
  httpPort: number;
  ports: number[];
  tagsPerMachine: number;
  poll: string;
  /** Telemetry interval; below `poll` every poll publishes every tag (the worst case). */
  telemetry: string;
  logLevel?: string;
}

/** One Modbus machine per simulator port, `tagsPerMachine` tags each, every tag in telemetry. */
/**
 * The V8 flags the systemd unit and the Docker image run the agent with (their NODE_OPTIONS), so a
 * bench measures the agent as it is deployed. Under a heap cap, V8's default young generation makes
 * it collect the old space continuously (180 % of a core at 10,000 tags without, 6-7 % with).
 */
export function deployedNodeFlags(root: string): string[] {
  const unit = readFileSync(`${root}/packaging/systemd/lineside.service`, 'utf8');
  // Environment=NODE_OPTIONS=--a or, with several flags, Environment="NODE_OPTIONS=--a --b".
  const flags = /^Environment="?NODE_OPTIONS=([^"\n]*)"?$/m.exec(unit)?.[1]?.trim();
  if (!flags) throw new Error('packaging/systemd/lineside.service sets no NODE_OPTIONS: update deployedNodeFlags()');
  return flags.split(/\s+/);
}

/**
 * Fills a Node compile cache for the agent run with `flags` (the cache is per V8 flags), as the unit's
 * first start and the Docker image's build do: an agent started on a cold cache loads the TypeScript
 * stripper and keeps ~20 MiB more RSS for its lifetime, which no deployed agent does past its first start.
 * Returns the environment that points the agent at it.
 */
export function warmCompileCache(root: string, dir: string, flags: string[]): Record<string, string> {
  const env = { NODE_COMPILE_CACHE: dir };
  const r = spawnSync(process.execPath, [...flags, `${root}/scripts/compile-cache.js`], { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`scripts/compile-cache.js: ${r.stderr}`);
  return env;
}

/** The arguments after `node` that start bench/peers/floor.ts, the raw durable loop, on these devices. */
export function floorArgs(o: { ports: number[]; tagsPerMachine: number; pollMs: number; mqttUrl: string; dataDir: string }): string[] {
  return [fileURLToPath(new URL('./peers/floor.ts', import.meta.url)), '--ports', o.ports.join(','), '--tags', String(o.tagsPerMachine), '--poll-ms', String(o.pollMs), '--mqtt', o.mqttUrl, '--data', o.dataDir];
}

/** The other environment the unit gives the agent's process (MALLOC_ARENA_MAX), secrets file aside. */
export function deployedEnv(root: string): Record<string, string> {
  const unit = readFileSync(`${root}/packaging/systemd/lineside.service`, 'utf8');
  const env: Record<string, string> = {};
  for (const m of unit.matchAll(/^Environment="?(MALLOC_[A-Z_]+)=([^"\n]*)"?$/gm)) env[m[1]!] = m[2]!;
  return env;
}

export function writeLinesideConfig(o: LinesideConfigOptions): void {
  const tags = machineTags(o.tagsPerMachine)
    .map((t) => `      - { name: ${t.name}, area: ${t.area}, address: ${t.address}, type: ${t.type} }`)
    .join('\n');
  const machines = o.ports.map(
    (port, i) => `  - id: ${machineId(i)}
    driver: modbus
    pollInterval: ${o.poll}
    idealCycleTime: 1s
    connection: { host: 127.0.0.1, port: ${port}, unitId: 1, timeout: 1s }
    signals:
      running: { tag: running }
      partCount: { tag: partCount }
      rejectCount: { tag: rejectCount }
      faultCode: { tag: faultCode }
      changeover: { tag: mode, equals: 2 }
    telemetry: { interval: ${o.telemetry} }
    tags:
${tags}`,
  );
  writeFileSync(
    o.file,
    `agent: { id: ${o.agentId}, dataDir: ${JSON.stringify(o.dataDir)}, logLevel: ${o.logLevel ?? 'info'} }
location: { enterprise: bench, site: s, area: a, line: l }
mqtt: { url: "${o.mqttUrl}" }
http: { port: ${o.httpPort} }
machines:
${machines.join('\n')}
`,
  );
}

// --- the simulated devices ----------------------------------------------------------------------

export interface SimFleet { ports: number[]; pid: number; stop(): Promise<void> }

/** bench/sim-fleet.ts as a child: `machines` simulators, one port each. */
export async function startSimFleet(machines: number): Promise<SimFleet> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./sim-fleet.ts', import.meta.url)), String(machines)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const { ports } = JSON.parse(line) as { ports: number[] };
  return { ports, pid: child.pid!, stop: async () => void (await stopChild(child)) };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (null: killed by a signal). */
export async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, 'exit') as Promise<[number | null]>;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const [code] = await exited;
  clearTimeout(timer);
  return code;
}

// --- /proc --------------------------------------------------------------------------------------

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const PAGE = Number(spawnSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).stdout.trim()) || 4096;

export interface ProcSample { t: number; cpuMs: number; rss: number }

/** CPU time (utime + stime of every thread, plus waited-for children) and RSS of a process. */
export function procSample(pid: number): ProcSample | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name, which may itself hold spaces and parentheses.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  return { t: performance.now(), cpuMs: (ticks * 1000) / CLK_TCK, rss: Number(f[21]) * PAGE };
}

/** CPU share (100 = one core) between two samples. */
export const cpuPercent = (a: ProcSample, b: ProcSample) => ((b.cpuMs - a.cpuMs) / (b.t - a.t)) * 100;

// --- the broker side ----------------------------------------------------------------------------

export interface SideCount { messages: number; telemetry: number; values: number; badValues: number; bytes: number; badPayloads: number }

/**
 * Subscribes to each side's topic filter and counts what arrives: messages, telemetry messages,
 * tag values in them and values not of good quality — a peer that errors silently shows here.
 * Telemetry payloads are Lineside envelopes, `{ ..., data: { values: { tag: { value, quality, ts } } } }`,
 * on topics ending in /telemetry.
 */
export class BrokerCounter {
  readonly counts: Record<string, SideCount> = {};
  #client: MqttClient;
  #sides: Array<[string, string]>;

  private constructor(client: MqttClient, sides: Record<string, string>) {
    this.#client = client;
    this.#sides = Object.entries(sides).map(([name, filter]) => [name, filter.replace(/#$/, '')]);
    for (const name of Object.keys(sides)) this.counts[name] = { messages: 0, telemetry: 0, values: 0, badValues: 0, bytes: 0, badPayloads: 0 };
    client.on('message', (topic, payload) => {
      const side = this.#sides.find(([, prefix]) => topic.startsWith(prefix));
      if (!side) return;
      const c = this.counts[side[0]]!;
      c.messages++;
      c.bytes += payload.length;
      if (!topic.endsWith('/telemetry')) return;
      c.telemetry++;
      try {
        const values = (JSON.parse(payload.toString()) as { data: { values: Record<string, { quality?: string }> } }).data.values;
        for (const k in values) {
          c.values++;
          if (values[k]!.quality !== 'good') c.badValues++;
        }
      } catch {
        c.badPayloads++;
      }
    });
  }

  /** `sides`: name → topic filter ending in `#`. */
  static async connect(url: string, sides: Record<string, string>): Promise<BrokerCounter> {
    const client = await mqtt.connectAsync(url, { clientId: `bench-counter-${process.pid}`, reconnectPeriod: 1000 });
    await client.subscribeAsync(Object.values(sides), { qos: 0 });
    return new BrokerCounter(client, sides);
  }

  snapshot(): Record<string, SideCount> {
    return Object.fromEntries(Object.entries(this.counts).map(([k, v]) => [k, { ...v }]));
  }

  async close(): Promise<void> {
    await this.#client.endAsync(true);
  }
}

/** Per-second rates of the difference between two snapshots of one side. */
export function rates(a: SideCount, b: SideCount, seconds: number): SideCount {
  const out = {} as SideCount;
  for (const k of Object.keys(a) as Array<keyof SideCount>) out[k] = (b[k] - a[k]) / seconds;
  return out;
}

// --- the agent ----------------------------------------------------------------------------------

/** Sums of the agent's Prometheus series by metric name (labels folded). */
export async function scrapeMetrics(port: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('lineside_')) continue;
    const m = /^([a-z_]+)(?:\{[^}]*\})? ([-+0-9.eE]+|NaN)$/.exec(line);
    if (m) out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[2]);
  }
  return out;
}

// --- small things -------------------------------------------------------------------------------

/** "90s", "5m", "1h", "1500ms" or plain seconds → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`expected a duration like 90s, 5m or 1h, got "${text}"`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function summary(xs: number[]): { min: number; median: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return { min: NaN, median: NaN, max: NaN };
  const mid = s.length >> 1;
  return { min: s[0]!, median: s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2, max: s.at(-1)! };
}

export const mib = (bytes: number) => bytes / 2 ** 20;
export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : String(n));

/** Waits until `check` holds, polling every 250 ms; throws after `ms` with `what`. */
export async function waitUntil(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(250);
  }
}
