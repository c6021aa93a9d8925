// Footprint of the `lineside` command: `node bench/footprint.ts [--runs 5] [--seconds 60]`
// (not part of `npm test`, nor of `npm run bench`: it measures memory, not throughput, in ~1.5 min).
//
// 1. `lineside --help`: peak RSS and wall time, min and median of --runs, twice: cold (no compile
//    cache, as the very first start on a machine) and warm (Node's compile cache filled by an earlier
//    start; bin/lineside.js enables it). Peak RSS is the child's own getrusage maxRSS, written by a
//    preload at exit; wall time is spawn to exit, seen from here. As the floor of the cold start, a
//    one-line TypeScript file started cold (Node's type stripper and nothing else).
// 2. `lineside run` with 10 Modbus TCP machines polled every 250 ms against the built-in simulator and
//    publishing to an MQTT broker (aedes), both in this process: RSS of the agent sampled every second
//    for --seconds, steady = median of the last 10 s; once with Node's defaults and once as
//    packaging/systemd/lineside.service runs it (its NODE_OPTIONS and MALLOC_ARENA_MAX, as the
//    Dockerfile). As a reference, the same line with an eleventh machine on OPC UA (the built-in OPC UA
//    simulator), which loads node-opcua; as the floor, bench/footprint-floor.ts (the same packages
//    doing the least of the job, no Lineside code). All run side by side, their compile cache warm
//    (scripts/compile-cache.js), as every start of an installed agent but the first (and the first
//    too in the Docker image).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startDemoBroker } from '../agent/demo/broker.ts';
import { startModbusSimulator } from '../drivers/sim/modbus-server.ts';
import { BIN, deployedEnv, deployedNodeFlags, ROOT, warmCompileCache } from './fleet.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, seconds: { type: 'string', default: '60' } } });
const RUNS = Number(values.runs);
const SECONDS = Number(values.seconds);
const work = mkdtempSync(join(tmpdir(), 'lineside-footprint-'));

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (n: number, digits = 1) => n.toFixed(digits);

// --- 1. lineside --help ------------------------------------------------------------------------
/** Prints the process's own peak RSS (getrusage, KiB) to stderr when it exits. */
const PEAK_PRELOAD = `data:text/javascript,process.on('exit',()=>process.stderr.write('\\nlineside-footprint-maxrss '+process.resourceUsage().maxRSS+'\\n'))`;

function helpOnce(env: NodeJS.ProcessEnv, args = [BIN, '--help']): Promise<{ rssMiB: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', PEAK_PRELOAD, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      const m = /lineside-footprint-maxrss (\d+)/.exec(stderr);
      if (code !== 0 || !m) return reject(new Error(`${args.join(' ')} exited with ${code}: ${stderr}`));
      resolve({ rssMiB: Number(m[1]) / 1024, seconds });
    });
  });
}

async function helpFigures(label: string, env: NodeJS.ProcessEnv, args?: string[], what = 'lineside --help'): Promise<void> {
  const runs: Array<{ rssMiB: number; seconds: number }> = [];
  for (let i = 0; i < RUNS; i++) runs.push(await helpOnce(env, args));
  const rss = runs.map((r) => r.rssMiB);
  const secs = runs.map((r) => r.seconds);
  console.log(`${what}, ${label.padEnd(38)} peak RSS min ${fmt(Math.min(...rss))} / median ${fmt(median(rss))} MiB   wall min ${fmt(Math.min(...secs), 3)} / median ${fmt(median(secs), 3)} s`);
}

const cache = join(work, 'compile-cache');
await helpFigures(`cold (no compile cache), ${RUNS} runs:`, { NODE_DISABLE_COMPILE_CACHE: '1' });
// The floor of a cold start: Node's type stripper loading for a one-line TypeScript file.
const oneLine = join(work, 'one-line.ts');
writeFileSync(oneLine, 'const n: number = 1;\nexport default n;\n');
await helpFigures(`cold, ${RUNS} runs (floor):`, { NODE_DISABLE_COMPILE_CACHE: '1' }, [oneLine], 'node one-line.ts');
await helpOnce({ NODE_COMPILE_CACHE: cache }); // fills the cache
await helpFigures(`warm (compile cache), ${RUNS} runs:`, { NODE_COMPILE_CACHE: cache });

// --- 2. an agent with 10 Modbus machines (and one OPC UA machine, as a reference) --------------
const UNITS = Array.from({ length: 10 }, (_, i) => i + 1);
const sim = await startModbusSimulator({ transport: 'tcp', host: '127.0.0.1', port: 0, units: UNITS, byteOrder: 'ABCD', speed: 1, seed: 1 });
const broker = await startDemoBroker();

const signals = `    signals: { running: { tag: running }, partCount: { tag: parts }, rejectCount: { tag: rejects }, faultCode: { tag: fault }, changeover: { tag: mode, equals: 2 } }
    telemetry: { tags: [speed], interval: 5s }`;
const modbusMachine = (unit: number) => `  - id: press-${unit}
    driver: modbus
    idealCycleTime: 950ms
    pollInterval: 250ms
    connection: { transport: tcp, host: 127.0.0.1, port: ${sim.port}, unitId: ${unit}, timeout: 1s }
    tags:
      - { name: running, area: coil, address: 0, type: bool }
      - { name: parts, area: holding, address: 0, type: uint32 }
      - { name: rejects, area: holding, address: 2, type: uint32 }
      - { name: fault, area: holding, address: 4, type: uint16 }
      - { name: mode, area: holding, address: 5, type: uint16 }
      - { name: speed, area: holding, address: 6, type: float32 }
${signals}`;
const opcuaMachine = (endpoint: string) => `  - id: cnc-1
    driver: opcua
    idealCycleTime: 1900ms
    pollInterval: 250ms
    connection: { endpoint: "${endpoint}", securityMode: None, mode: poll, timeout: 5s }
    tags:
${['Running:running', 'PartCount:parts', 'RejectCount:rejects', 'FaultCode:fault', 'Mode:mode', 'Speed:speed'].map((p) => `      - { name: ${p.split(':')[1]}, nodeId: "ns=2;s=Machine.${p.split(':')[0]}" }`).join('\n')}
${signals}`;

function writeConfig(name: string, machines: string[]): string {
  const dir = join(work, name);
  const file = join(work, `${name}.yaml`);
  writeFileSync(
    file,
    `agent: { id: ${name}, dataDir: ${JSON.stringify(dir)}, logLevel: warn }
location: { enterprise: e, site: s, area: a, line: l }
mqtt: { url: "${broker.url}", protocolVersion: 4 }
http: { host: 127.0.0.1, port: 0 }
shifts:
  timezone: UTC
  shifts:
    - { name: day, days: [mon, tue, wed, thu, fri, sat, sun], start: "00:00", end: "00:00" }
machines:
${machines.join('\n')}
`,
  );
  return file;
}

function rssOf(pid: number): { rss: number; hwm: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024, anon: kib('RssAnon') / 1024 };
}

/** Steady RSS of a child over SECONDS (median of the last 10 s), stopped with SIGTERM after. */
async function steadyFigures(label: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn(process.execPath, args, { env: { ...process.env, NODE_COMPILE_CACHE: cache, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const samples: Array<{ rss: number; anon: number }> = [];
  let hwm = 0;
  for (let s = 0; s < SECONDS; s++) {
    await new Promise((r) => setTimeout(r, 1000));
    if (child.exitCode !== null) throw new Error(`${label}: exited with ${child.exitCode}: ${stderr}`);
    const m = rssOf(child.pid!);
    samples.push(m);
    hwm = m.hwm;
  }
  const last = samples.slice(-10);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return `${label.padEnd(67)} steady RSS ${fmt(median(last.map((x) => x.rss)))} MiB (anonymous ${fmt(median(last.map((x) => x.anon)))}), peak ${fmt(hwm)} MiB`;
}

const agentFigures = (label: string, config: string, env: NodeJS.ProcessEnv) => steadyFigures(`lineside run, ${label}`, [BIN, 'run', '--config', config], env);

// Compiled once up front, as an installed agent finds it on every start but the first.
warmCompileCache(ROOT, cache, []);
const FLOOR = fileURLToPath(new URL('./footprint-floor.ts', import.meta.url));
const warmFloor = spawnSync(process.execPath, [FLOOR, '--load-only'], { env: { ...process.env, NODE_COMPILE_CACHE: cache }, encoding: 'utf8' });
if (warmFloor.status !== 0) throw new Error(`bench/footprint-floor.ts --load-only: ${warmFloor.stderr}`);
// Loaded only now: node-opcua in this process is no concern of the agents measured.
const { startOpcuaSimulator } = await import('../drivers/sim/opcua-server.ts');
const opcua = await startOpcuaSimulator({ host: '127.0.0.1', port: 0, pkiDir: join(work, 'sim-pki') });
try {
  // As the unit runs it: its NODE_OPTIONS and its malloc settings.
  const deployed = { NODE_OPTIONS: deployedNodeFlags(ROOT).join(' '), ...deployedEnv(ROOT) };
  const modbus = UNITS.map(modbusMachine);
  console.log(`(steady RSS after ${SECONDS} s, median of the last 10 s; deployed: ${Object.entries(deployed).map(([k, v]) => `${k}=${v}`).join(' ')})`);
  const lines = await Promise.all([
    agentFigures('10 Modbus machines, Node defaults:', writeConfig('modbus10', modbus), { NODE_OPTIONS: '' }),
    agentFigures('10 Modbus machines, deployed:', writeConfig('modbus10-deployed', modbus), deployed),
    agentFigures('10 Modbus + 1 OPC UA (reference), deployed:', writeConfig('modbus10-opcua1', [...modbus, opcuaMachine(opcua.endpoint)]), deployed),
    // What the same packages cost loaded and doing the least of the job, with no Lineside code.
    steadyFigures('floor: its packages alone (footprint-floor.ts), deployed:', [FLOOR, '--port', String(sim.port), '--units', UNITS.join(','), '--mqtt', broker.url, '--data', join(work, 'floor')], deployed),
  ]);
  for (const line of lines) console.log(line);
} finally {
  await opcua.stop();
  await sim.stop();
  await broker.stop();
  rmSync(work, { recursive: true, force: true });
}
// Handles of third-party servers (node-opcua) may linger.
process.exit(0);
