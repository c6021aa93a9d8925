// Peer benchmark: Lineside next to Node-RED 5 + node-red-contrib-modbus doing the same job, side by
// side in one run. Not part of `npm test`; the peers are installed on first use into
// bench/peers/node_modules (`npm ci --prefix bench/peers`), never by the project's own `npm ci`.
//   node bench/peers/peers.ts [--sizes 1000,10000] [--tags 1000] [--warmup 30s] [--window 60s] [--reps 3]
//                             [--poll 1s] [--telemetry 500ms] [--keep]
// (also `npm run bench:peers -- ...`, or `npm run bench -- --only peers` for docs/BENCHMARKS.md)
//
// For each size (total tags), `size / --tags` simulated Modbus TCP devices (bench/sim-fleet.ts,
// one port each) are polled every `--poll` by both at once, each with its own connection per
// device, both publishing one telemetry message per machine and poll with every tag in it to the
// same mosquitto at QoS 1 (Lineside through its SQLite outbox; Node-RED through modbus-read → join
// → function → mqtt out, see nodered.ts). After `--warmup`, `--reps` windows of `--window` each
// measure the CPU time (utime + stime from /proc, all threads) and RSS of both processes, and what
// reached the broker from each (messages, tag values, values not of good quality), so a peer that
// fails silently shows. Bars (issue 11): Lineside CPU ≤ 0.5× Node-RED's at 1,000 and 10,000
// tags; RSS at most Node-RED's at 1,000 tags and ≤ 0.5× at 10,000.
// A third side, the floor (floor.ts), does only the minimum durable work of the same job with no
// framework (modbus-serial → JSON → SQLite outbox commit → QoS 1 publish → cursor commit on PUBACK),
// so the CPU Lineside's durability costs by itself is measured in the same run, next to the bar.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, Mosquitto } from '../../test/helpers/mosquitto.ts';
import { BIN, BrokerCounter, cpuPercent, deployedEnv, deployedNodeFlags, floorArgs, warmCompileCache, fmt, mib, parseDuration, procSample, rates, ROOT, sleep, startSimFleet, stopChild, summary, waitUntil, writeLinesideConfig, type SideCount } from '../fleet.ts';
import { writeNodeRedUserDir } from './nodered.ts';


const { values: o } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000' },
    tags: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '30s' },
    window: { type: 'string', default: '60s' },
    reps: { type: 'string', default: '3' },
    poll: { type: 'string', default: '1s' },
    telemetry: { type: 'string', default: '500ms' },
    keep: { type: 'boolean', default: false },
  },
});
const sizes = o.sizes.split(',').map(Number);
const tagsPerMachine = Number(o.tags);
const warmupMs = parseDuration(o.warmup);
const windowMs = parseDuration(o.window);
const reps = Number(o.reps);
const pollMs = parseDuration(o.poll);
if (pollMs % 1000) throw new Error('--poll must be whole seconds (modbus-read takes a rate in s)');
for (const s of sizes) if (!Number.isInteger(s / tagsPerMachine) || s < tagsPerMachine) throw new Error(`size ${s} is not a multiple of --tags ${tagsPerMachine}`);

// --- the peers, installed on demand -------------------------------------------------------------
const PEERS = dirname(fileURLToPath(import.meta.url));
const modulePath = (name: string) => join(PEERS, 'node_modules', name, 'package.json');
const version = (name: string) => (JSON.parse(readFileSync(modulePath(name), 'utf8')) as { version: string }).version;
if (!existsSync(modulePath('node-red')) || !existsSync(modulePath('node-red-contrib-modbus'))) {
  const npm = join(dirname(process.execPath), 'npm');
  const args = [existsSync(join(PEERS, 'package-lock.json')) ? 'ci' : 'install', '--prefix', PEERS, '--no-audit', '--no-fund'];
  process.stderr.write(`installing the peers: npm ${args.join(' ')}\n`);
  const r = spawnSync(existsSync(npm) ? npm : 'npm', args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`npm ${args[0]} --prefix bench/peers failed (${r.status ?? r.signal})`);
}
const RED = join(PEERS, 'node_modules', 'node-red', 'red.js');
const peerVersions = { 'node-red': version('node-red'), 'node-red-contrib-modbus': version('node-red-contrib-modbus'), 'modbus-serial (as @openp4nr/modbus-serial)': version('@openp4nr/modbus-serial') };
// The floor runs on the project's own modules (as Lineside does), not bench/peers/node_modules.
const rootVersion = (name: string) => (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
const floorVersions = { 'modbus-serial': rootVersion('modbus-serial'), 'better-sqlite3': rootVersion('better-sqlite3'), mqtt: rootVersion('mqtt') };

// --- one size -----------------------------------------------------------------------------------
const scratch = mkdtempSync(join(tmpdir(), 'lineside-peers-'));
const compileCache = warmCompileCache(ROOT, join(scratch, 'compile-cache'), deployedNodeFlags(ROOT));
const cleanups: Array<() => Promise<unknown>> = [];
const cleanup = async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
};
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

interface Rep { cpu: Record<Side, number>; rss: Record<Side, number>; rate: Record<Side, SideCount>; mosquittoCpu: number }
type Side = 'lineside' | 'nodered' | 'floor';
const SIDES: Side[] = ['lineside', 'nodered', 'floor'];
const RSS_EVERY_MS = 5000;
const LABEL: Record<Side, string> = { lineside: 'Lineside', nodered: 'Node-RED', floor: 'floor' };

/** The windows measured, and a note per side whose log has warnings or errors (printed after the table). */
async function runSize(broker: Mosquitto, mosquittoPid: number, size: number): Promise<{ reps: Rep[]; notes: string[] }> {
  const machines = size / tagsPerMachine;
  const dir = join(scratch, String(size));
  mkdirSync(join(dir, 'nodered'), { recursive: true });
  const fleet = await startSimFleet(machines);
  cleanups.push(() => fleet.stop());

  const configFile = join(dir, 'lineside.yaml');
  writeLinesideConfig({ file: configFile, agentId: `peers${size}`, dataDir: join(dir, 'data'), mqttUrl: broker.url, httpPort: await freePort(), ports: fleet.ports, tagsPerMachine, poll: o.poll, telemetry: o.telemetry });
  writeNodeRedUserDir({ userDir: join(dir, 'nodered'), ports: fleet.ports, tagsPerMachine, pollSeconds: pollMs / 1000, mqttPort: broker.port, uiPort: await freePort() });

  const logs: Record<Side, string> = { lineside: join(dir, 'lineside.log'), nodered: join(dir, 'nodered.log'), floor: join(dir, 'floor.log') };
  const spawnLogged = (side: Side, args: string[], env: Record<string, string> = {}): ChildProcess => {
    const fd = openSync(logs[side], 'w');
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', fd, fd] });
    cleanups.push(() => stopChild(child));
    return child;
  };
  const procs: Record<Side, ChildProcess> = {
    // Each as its project ships it: Lineside with the V8 flags of its systemd unit and Docker image.
    // Its compile cache warm, as every start of an installed agent but the very first.
    lineside: spawnLogged('lineside', [...deployedNodeFlags(ROOT), BIN, 'run', '--config', configFile], { ...deployedEnv(ROOT), ...compileCache }),
    nodered: spawnLogged('nodered', [RED, '--userDir', join(dir, 'nodered'), '--settings', join(dir, 'nodered', 'settings.js')]),
    // The floor with Node's default flags, like Node-RED.
    floor: spawnLogged('floor', floorArgs({ ports: fleet.ports, tagsPerMachine, pollMs, mqttUrl: broker.url, dataDir: join(dir, 'floor') })),
  };
  const counter = await BrokerCounter.connect(broker.url, { lineside: 'lineside/v1/#', nodered: 'nodered/#', floor: 'floor/#' });
  cleanups.push(() => counter.close());
  const dead = () => SIDES.find((s) => procs[s].exitCode !== null || procs[s].signalCode !== null);
  const tail = (side: Side) => readFileSync(logs[side], 'utf8').slice(-3000);
  try {
    await waitUntil(() => SIDES.every((s) => counter.counts[s]!.telemetry > 0) || dead() !== undefined, 120_000, 'telemetry from all three at the broker');
  } catch (err) {
    throw new Error(`${(err as Error).message}; counts ${JSON.stringify(counter.counts)}${SIDES.map((s) => `\n--- ${LABEL[s]} log:\n${tail(s)}`).join('')}`);
  }
  if (dead()) throw new Error(`${LABEL[dead()!]} exited: ${tail(dead()!)}`);
  process.stderr.write(`  ${size} tags: all three publishing; warm-up ${o.warmup}\n`);
  await sleep(warmupMs);

  const out: Rep[] = [];
  for (let r = 0; r < reps; r++) {
    const sample = () => {
      const [lineside, nodered, floor, mosquitto] = [procSample(procs.lineside.pid!), procSample(procs.nodered.pid!), procSample(procs.floor.pid!), procSample(mosquittoPid)];
      if (!lineside || !nodered || !floor || !mosquitto || dead()) throw new Error(`${LABEL[dead() ?? 'lineside']} (or mosquitto) exited during the measurement: ${tail(dead() ?? 'lineside')}`);
      return { lineside, nodered, floor, mosquitto, counts: counter.snapshot() };
    };
    // RSS swings with every major GC: the median of a sample every RSS_EVERY_MS is the window's figure.
    const a = sample();
    const rss: Record<Side, number[]> = { lineside: [], nodered: [], floor: [] };
    let b = a;
    for (let t = RSS_EVERY_MS; t <= windowMs; t += RSS_EVERY_MS) {
      await sleep(Math.min(RSS_EVERY_MS, windowMs - (t - RSS_EVERY_MS)));
      b = sample();
      rss.lineside.push(b.lineside.rss);
      rss.nodered.push(b.nodered.rss);
      rss.floor.push(b.floor.rss);
    }
    const secs = (b.lineside.t - a.lineside.t) / 1000;
    const rep: Rep = {
      cpu: { lineside: cpuPercent(a.lineside, b.lineside), nodered: cpuPercent(a.nodered, b.nodered), floor: cpuPercent(a.floor, b.floor) },
      rss: { lineside: summary(rss.lineside).median, nodered: summary(rss.nodered).median, floor: summary(rss.floor).median },
      rate: { lineside: rates(a.counts.lineside!, b.counts.lineside!, secs), nodered: rates(a.counts.nodered!, b.counts.nodered!, secs), floor: rates(a.counts.floor!, b.counts.floor!, secs) },
      mosquittoCpu: cpuPercent(a.mosquitto, b.mosquitto),
    };
    out.push(rep);
    process.stderr.write(`  ${size} tags, window ${r + 1}/${reps}: CPU ${fmt(rep.cpu.lineside)} % vs ${fmt(rep.cpu.nodered)} % (floor ${fmt(rep.cpu.floor)} %), values/s ${fmt(rep.rate.lineside.values, 0)} vs ${fmt(rep.rate.nodered.values, 0)} (floor ${fmt(rep.rate.floor.values, 0)})\n`);
  }
  // Node-RED's two start-up notes on a headless userDir are expected, not trouble.
  const benign = /Projects disabled|Using unencrypted credentials/;
  const errorLine: Record<Side, (l: string) => boolean> = {
    lineside: (l) => /"level":(40|50|60)/.test(l),
    nodered: (l) => /\[(warn|error)\]/.test(l) && !benign.test(l),
    floor: (l) => /^error:|Error/.test(l), // floor.ts's own "error: ..." lines, and anything uncaught
  };
  const errors = (side: Side) => readFileSync(logs[side], 'utf8').split('\n').filter(errorLine[side]);
  const notes = SIDES.flatMap((side) => {
    const e = errors(side);
    return e.length ? [`${LABEL[side]} log: ${e.length} warn/error lines; first: ${e[0]!.slice(0, 300)}`] : [];
  });
  await cleanup();
  return { reps: out, notes };
}

// --- the run ------------------------------------------------------------------------------------
const figures: Array<Record<string, unknown>> = [];
let failed = false;
let broker: Mosquitto | undefined;
try {
  mkdirSync(join(scratch, 'mosq'));
  broker = await Mosquitto.start({ dir: join(scratch, 'mosq') });
  const mosquittoPid = Number(spawnSync('pgrep', ['-f', `${join(scratch, 'mosq')}/mosquitto.conf`], { encoding: 'utf8' }).stdout.trim().split('\n')[0]);
  console.log(`Peers: Lineside (node ${deployedNodeFlags(ROOT).join(" ")} bin/lineside.js run, as deployed, its compile cache warm) and ${Object.entries(peerVersions).map(([k, v]) => `${k} ${v}`).join(', ')}, side by side in one run`);
  console.log(`Both poll the same simulated devices (${fmt(tagsPerMachine, 0)} tags per machine, one TCP connection each) every ${o.poll} and publish one telemetry message per machine and poll with every tag to the same mosquitto (QoS 1). Node ${process.version}.`);
  console.log(`Floor: node bench/peers/floor.ts (Node's default flags, as Node-RED): raw durable store-and-forward on the project's own ${Object.entries(floorVersions).map(([k, v]) => `${k} ${v}`).join(', ')} — the same reads and JSON as Node-RED, each message committed to a SQLite outbox (WAL, synchronous=NORMAL) before its QoS 1 publish and the cursor committed on its PUBACK; no state, no OEE.`);
  console.log(`Warm-up ${o.warmup}, then ${reps} windows of ${o.window}; CPU = utime + stime from /proc over the window (100 % = one core); RSS = median of /proc samples every ${RSS_EVERY_MS / 1000} s in the window.`);
  for (const size of sizes) {
    const { reps: r, notes } = await runSize(broker, mosquittoPid, size);
    const machines = size / tagsPerMachine;
    const col = (s: string, w = 12) => s.padStart(w);
    // The floor's columns go after the existing ones, which stay as they were.
    const FLOOR_HEAD = `${col('CPU floor', 11)}${col('RSS floor', 12)}${col('msg/s F', 9)}${col('values/s F', 12)}${col('bad F', 7)}`;
    const SKIP_TO_FLOOR = ' '.repeat(10 + 10 + 12 + 13 + 11 + 11);
    console.log(`\n${fmt(size, 0)} tags (${machines} machine${machines > 1 ? 's' : ''} × ${fmt(tagsPerMachine, 0)})`);
    console.log(`${'window'.padEnd(8)}${col('CPU Lineside')}${col('Node-RED')}${col('ratio', 8)}${col('RSS Lineside', 14)}${col('Node-RED')}${col('ratio', 8)}${col('msg/s L', 10)}${col('msg/s N-R', 10)}${col('values/s L', 12)}${col('values/s N-R', 13)}${col('bad L/N-R', 11)}${col('mosquitto', 11)}${FLOOR_HEAD}`);
    r.forEach((x, i) =>
      console.log(
        `${String(i + 1).padEnd(8)}${col(`${fmt(x.cpu.lineside)} %`)}${col(`${fmt(x.cpu.nodered)} %`)}${col(`${fmt(x.cpu.lineside / x.cpu.nodered, 2)}×`, 8)}${col(`${fmt(mib(x.rss.lineside))} MiB`, 14)}${col(`${fmt(mib(x.rss.nodered))} MiB`)}${col(`${fmt(x.rss.lineside / x.rss.nodered, 2)}×`, 8)}` +
          `${col(fmt(x.rate.lineside.telemetry), 10)}${col(fmt(x.rate.nodered.telemetry), 10)}${col(fmt(x.rate.lineside.values, 0), 12)}${col(fmt(x.rate.nodered.values, 0), 13)}${col(`${fmt(x.rate.lineside.badValues, 0)}/${fmt(x.rate.nodered.badValues, 0)}`, 11)}${col(`${fmt(x.mosquittoCpu)} %`, 11)}` +
          `${col(`${fmt(x.cpu.floor)} %`, 11)}${col(`${fmt(mib(x.rss.floor))} MiB`, 12)}${col(fmt(x.rate.floor.telemetry), 9)}${col(fmt(x.rate.floor.values, 0), 12)}${col(fmt(x.rate.floor.badValues, 0), 7)}`,
      ),
    );
    const cpuRatio = summary(r.map((x) => x.cpu.lineside / x.cpu.nodered));
    const rssRatio = summary(r.map((x) => x.rss.lineside / x.rss.nodered));
    const cpuL = summary(r.map((x) => x.cpu.lineside));
    const cpuN = summary(r.map((x) => x.cpu.nodered));
    const rssL = summary(r.map((x) => x.rss.lineside));
    const rssN = summary(r.map((x) => x.rss.nodered));
    const valL = summary(r.map((x) => x.rate.lineside.values));
    const valN = summary(r.map((x) => x.rate.nodered.values));
    const cpuF = summary(r.map((x) => x.cpu.floor));
    const rssF = summary(r.map((x) => x.rss.floor));
    const valF = summary(r.map((x) => x.rate.floor.values));
    const floorVsN = summary(r.map((x) => x.cpu.floor / x.cpu.nodered));
    const lVsFloor = summary(r.map((x) => x.cpu.lineside / x.cpu.floor));
    console.log(`min     ${col(`${fmt(cpuL.min)} %`)}${col(`${fmt(cpuN.min)} %`)}${col(`${fmt(cpuRatio.min, 2)}×`, 8)}${col(`${fmt(mib(rssL.min))} MiB`, 14)}${col(`${fmt(mib(rssN.min))} MiB`)}${col(`${fmt(rssRatio.min, 2)}×`, 8)}${SKIP_TO_FLOOR}${col(`${fmt(cpuF.min)} %`, 11)}${col(`${fmt(mib(rssF.min))} MiB`, 12)}`);
    console.log(`median  ${col(`${fmt(cpuL.median)} %`)}${col(`${fmt(cpuN.median)} %`)}${col(`${fmt(cpuRatio.median, 2)}×`, 8)}${col(`${fmt(mib(rssL.median))} MiB`, 14)}${col(`${fmt(mib(rssN.median))} MiB`)}${col(`${fmt(rssRatio.median, 2)}×`, 8)}${SKIP_TO_FLOOR}${col(`${fmt(cpuF.median)} %`, 11)}${col(`${fmt(mib(rssF.median))} MiB`, 12)}   (ratios: Lineside / Node-RED, per window)`);
    const expected = (size * 1000) / pollMs;
    const working = (side: Side) => summary(r.map((x) => x.rate[side].values)).min >= 0.95 * expected && r.every((x) => x.rate[side].badValues === 0);
    for (const note of notes) console.log(note);
    for (const side of SIDES) if (!working(side)) console.log(`WARNING: ${LABEL[side]} delivered fewer than 95 % of the ${fmt(expected, 0)} tag values/s expected, or bad ones — the comparison is not like for like`);
    const rssBar = size <= 1000 ? 1 : 0.5;
    console.log(`bar: Lineside CPU ≤ 0.5× Node-RED's: ${cpuRatio.max <= 0.5 ? 'PASS' : cpuRatio.median <= 0.5 ? 'PASS in the median, not in every window' : 'FAIL'} (median of per-window ratios ${fmt(cpuRatio.median, 2)}×, worst ${fmt(cpuRatio.max, 2)}×; ratio of the medians ${fmt(cpuL.median / cpuN.median, 2)}×)`);
    console.log(`bar: Lineside RSS ≤ ${rssBar}× Node-RED's: ${rssRatio.max <= rssBar ? 'PASS' : 'FAIL'} (median of per-window ratios ${fmt(rssRatio.median, 2)}×, worst ${fmt(rssRatio.max, 2)}×; ratio of the medians ${fmt(rssL.median / rssN.median, 2)}×)`);
    // The floor, after the bars (whose lines stay as they were): what the durable minimum costs.
    console.log(
      `floor (raw durable store-and-forward: modbus-serial + better-sqlite3 + mqtt.js, no state, no OEE): CPU ${fmt(cpuF.median)} % = ${fmt(floorVsN.median, 2)}× Node-RED's; Lineside = ${fmt(lVsFloor.median, 2)}× the floor` +
        ` (medians of per-window ratios; per window ${r.map((x) => `${fmt(x.cpu.floor / x.cpu.nodered, 2)}×`).join(', ')} and ${r.map((x) => `${fmt(x.cpu.lineside / x.cpu.floor, 2)}×`).join(', ')}; RSS ${fmt(mib(rssF.median))} MiB = ${fmt(rssF.median / rssN.median, 2)}× Node-RED's)`,
    );
    if (floorVsN.median > 0.5)
      console.log(`floor: the 0.5× CPU bar is below the cost of the minimum durable work measured in the same run: the floor alone takes ${fmt(floorVsN.median, 2)}× Node-RED's CPU (${floorVsN.min > 0.5 ? 'in every window' : `per window ${r.map((x) => `${fmt(x.cpu.floor / x.cpu.nodered, 2)}×`).join(', ')}`})`);
    figures.push(
      { name: `CPU at ${fmt(size, 0)} tags (median of ${reps} × ${o.window})`, value: cpuL.median, unit: '% CPU', baseline: { name: `Node-RED ${peerVersions['node-red']} + node-red-contrib-modbus, same run`, value: cpuN.median }, ratio: cpuL.median / cpuN.median, note: `per-window ratios ${r.map((x) => fmt(x.cpu.lineside / x.cpu.nodered, 2)).join(', ')}` },
      { name: `RSS at ${fmt(size, 0)} tags`, value: mib(rssL.median), unit: 'MiB', baseline: { name: 'Node-RED, same run', value: mib(rssN.median) }, ratio: rssL.median / rssN.median, note: `per-window ratios ${r.map((x) => fmt(x.rss.lineside / x.rss.nodered, 2)).join(', ')}` },
      { name: `Tag values at the broker, ${fmt(size, 0)} tags`, value: valL.median, unit: 'values/s', baseline: { name: 'Node-RED, same run', value: valN.median }, ratio: valL.median / valN.median },
      { name: `Floor CPU at ${fmt(size, 0)} tags (raw durable store-and-forward, median of ${reps} × ${o.window})`, value: cpuF.median, unit: '% CPU', baseline: { name: 'Node-RED, same run', value: cpuN.median }, ratio: cpuF.median / cpuN.median, note: `per-window ratios ${r.map((x) => fmt(x.cpu.floor / x.cpu.nodered, 2)).join(', ')}` },
      { name: `Lineside CPU over the floor at ${fmt(size, 0)} tags`, value: cpuL.median, unit: '% CPU', baseline: { name: 'floor (raw durable store-and-forward), same run', value: cpuF.median }, ratio: cpuL.median / cpuF.median, note: `per-window ratios ${r.map((x) => fmt(x.cpu.lineside / x.cpu.floor, 2)).join(', ')}` },
      { name: `Floor RSS at ${fmt(size, 0)} tags`, value: mib(rssF.median), unit: 'MiB', baseline: { name: 'Node-RED, same run', value: mib(rssN.median) }, ratio: rssF.median / rssN.median, note: `per-window ratios ${r.map((x) => fmt(x.rss.floor / x.rss.nodered, 2)).join(', ')}` },
      { name: `Floor tag values at the broker, ${fmt(size, 0)} tags`, value: valF.median, unit: 'values/s', baseline: { name: 'Node-RED, same run', value: valN.median }, ratio: valF.median / valN.median },
    );
  }
} catch (err) {
  failed = true;
  console.error(err);
} finally {
  await cleanup();
  await broker?.stop();
  if (!o.keep) rmSync(scratch, { recursive: true, force: true });
  else console.log(`scratch kept: ${scratch}`);
}
if (!failed) console.log(JSON.stringify({ bench: 'peers', params: { sizes, tagsPerMachine, warmup: o.warmup, window: o.window, reps, poll: o.poll, telemetry: o.telemetry, peers: peerVersions, floor: floorVersions }, figures }));
process.exit(failed ? 1 : 0);
