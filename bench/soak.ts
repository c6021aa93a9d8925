// Soak: does the agent hold its memory over a long run at 10,000 tags? Not part of `npm test`.
//   node bench/soak.ts [--duration 30m] [--warmup 5m] [--machines 10] [--tags 1000] [--max-old-space 128]
//                      [--sample 10s] [--gc-every 60s] [--window 60s] [--poll 1s] [--telemetry 500ms]
//                      [--cpu-prof DIR] [--node-arg=--trace-gc ...] [--keep]
// (also `npm run bench:soak -- ...`, or `npm run bench -- --only soak` for docs/BENCHMARKS.md)
//
// `--machines` simulated Modbus TCP devices (bench/sim-fleet.ts: the built-in simulator, one port
// each) with `--tags` holding-register tags per machine, polled every `--poll` by the real agent
// (`lineside run`) as a child process under `--max-old-space-size`, every tag published as
// telemetry on every poll (`--telemetry` below the poll interval) through the SQLite outbox to a
// real mosquitto. The agent is started with --expose-gc and bench/gc-probe.ts preloaded: on
// SIGUSR2 it forces a full GC and writes process.memoryUsage() to a file, so the agent's own code
// is untouched. RSS comes from /proc every `--sample`; the post-GC heap every `--gc-every`, at
// warm-up end and at the end. `--duration` includes the warm-up.
//
// Figures: RSS and post-GC heap at warm-up end and at the end (each the median of the samples in
// the first / last `--window` after warm-up), growth in %, min/median/max, a least-squares trend,
// messages and tag values per second counted at the broker, the agent's CPU, and whether it
// survived. Bars (issue 11): RSS grows < 5 % after warm-up, and the run holds under 128 MB of heap.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, Mosquitto } from '../test/helpers/mosquitto.ts';
import { BIN, BrokerCounter, deployedEnv, deployedNodeFlags, fmt, mib, parseDuration, procSample, ROOT, scrapeMetrics, sleep, startSimFleet, stopChild, summary, waitUntil, writeLinesideConfig, type ProcSample, type SideCount } from './fleet.ts';

const { values: o } = parseArgs({
  options: {
    duration: { type: 'string', default: '30m' },
    warmup: { type: 'string', default: '5m' },
    machines: { type: 'string', default: '10' },
    tags: { type: 'string', default: '1000' },
    'max-old-space': { type: 'string', default: '128' },
    sample: { type: 'string', default: '10s' },
    'gc-every': { type: 'string', default: '60s' },
    window: { type: 'string', default: '60s' },
    poll: { type: 'string', default: '1s' },
    telemetry: { type: 'string', default: '500ms' },
    'cpu-prof': { type: 'string' },
    'node-arg': { type: 'string', multiple: true, default: [] },
    keep: { type: 'boolean', default: false },
  },
});
const durationMs = parseDuration(o.duration);
const warmupMs = parseDuration(o.warmup);
const sampleMs = parseDuration(o.sample);
const gcEveryMs = parseDuration(o['gc-every']);
const windowMs = Math.min(parseDuration(o.window), (durationMs - warmupMs) / 2);
const machines = Number(o.machines);
const tagsPerMachine = Number(o.tags);
const maxOld = Number(o['max-old-space']);
if (!(warmupMs < durationMs)) throw new Error('--warmup must be shorter than --duration (which includes it)');
const totalTags = machines * tagsPerMachine;

const scratch = mkdtempSync(join(tmpdir(), 'lineside-soak-'));
const cleanups: Array<() => Promise<unknown>> = [];
const cleanup = async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  cleanups.length = 0;
  if (!o.keep) rmSync(scratch, { recursive: true, force: true });
};
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

mkdirSync(join(scratch, 'mosq'));
const broker = await Mosquitto.start({ dir: join(scratch, 'mosq') });
cleanups.push(() => broker.stop());
const fleet = await startSimFleet(machines);
cleanups.push(() => fleet.stop());
const httpPort = await freePort();
const configFile = join(scratch, 'lineside.yaml');
writeLinesideConfig({ file: configFile, agentId: 'soak', dataDir: join(scratch, 'data'), mqttUrl: broker.url, httpPort, ports: fleet.ports, tagsPerMachine, poll: o.poll, telemetry: o.telemetry });

const probeFile = join(scratch, 'gc-probe.jsonl');
const logFile = join(scratch, 'agent.log');
// As deployed (deployedNodeFlags); --node-arg adds to or overrides them.
const nodeArgs = [
  ...deployedNodeFlags(ROOT),
  '--expose-gc',
  '--import',
  pathToFileURL(join(ROOT, 'bench/gc-probe.ts')).href,
  ...(maxOld > 0 ? [`--max-old-space-size=${maxOld}`] : []),
  ...(o['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', o['cpu-prof']] : []),
  ...o['node-arg'],
];
const logFd = openSync(logFile, 'w');
const agent = spawn(process.execPath, [...nodeArgs, BIN, 'run', '--config', configFile], { cwd: ROOT, env: { ...process.env, ...deployedEnv(ROOT), LINESIDE_GC_PROBE_FILE: probeFile }, stdio: ['ignore', logFd, logFd] });
let exited: { code: number | null; signal: string | null; atMs: number } | undefined;
const spawnedAt = performance.now();
agent.on('exit', (code, signal) => (exited = { code, signal, atMs: performance.now() - spawnedAt }));
cleanups.push(() => stopChild(agent));
const counter = await BrokerCounter.connect(broker.url, { lineside: 'lineside/v1/#' });
cleanups.push(() => counter.close());

console.log(`Soak: ${machines} machines × ${fmt(tagsPerMachine, 0)} tags = ${fmt(totalTags, 0)} Modbus tags polled every ${o.poll}, every tag in telemetry each poll (interval ${o.telemetry}), mosquitto QoS 1`);
console.log(`agent: node ${nodeArgs.map((a) => (a.startsWith('file:') ? 'bench/gc-probe.ts' : a)).join(' ')} bin/lineside.js run; ${o.duration} in all, warm-up ${o.warmup}, RSS every ${o.sample}, forced GC every ${o['gc-every']}`);
console.log(`scratch: ${scratch}${o.keep ? ' (kept)' : ''}`);

// Exit status 1 only when the bench itself could not run; a failed bar is a figure, not an error.
let result: 'ok' | 'failed' = 'ok';
try {
  await waitUntil(() => counter.counts.lineside!.telemetry > 0 || exited !== undefined, 120_000, 'the first telemetry message at the broker');
  if (exited) throw new Error(`the agent exited before publishing (${JSON.stringify(exited)}): ${readFileSync(logFile, 'utf8').slice(-2000)}`);

  // --- the run ----------------------------------------------------------------------------------
  const t0 = performance.now();
  const t0Wall = Date.now();
  const at = () => performance.now() - t0;
  const samples: Array<ProcSample & { at: number; counts: SideCount }> = [];
  let nextGc = gcEveryMs;
  let warmedUp = false;
  const probe = () => agent.kill('SIGUSR2');
  let lastReport = 0;
  while (!exited) {
    const s = procSample(agent.pid!);
    if (!s) break;
    const elapsed = at();
    samples.push({ ...s, at: elapsed, counts: counter.snapshot().lineside! });
    if (!warmedUp && elapsed >= warmupMs) {
      warmedUp = true;
      probe();
    } else if (elapsed >= nextGc) probe();
    while (nextGc <= elapsed) nextGc += gcEveryMs;
    if (elapsed - lastReport >= 60_000 || elapsed >= durationMs) {
      lastReport = elapsed;
      process.stderr.write(`  ${(elapsed / 60_000).toFixed(1)} min: RSS ${fmt(mib(s.rss))} MiB, telemetry ${counter.counts.lineside!.telemetry}\n`);
    }
    if (elapsed >= durationMs) break;
    await sleep(Math.min(sampleMs, durationMs - elapsed + 1));
  }
  const survived = !exited;
  if (survived) {
    probe();
    await sleep(1500);
  }
  const metrics = survived ? await scrapeMetrics(httpPort).catch(() => undefined) : undefined;
  const stopCode = survived ? await stopChild(agent) : null;

  // --- figures ----------------------------------------------------------------------------------
  const after = samples.filter((s) => s.at >= warmupMs);
  const endAt = samples.at(-1)?.at ?? 0;
  const firstWin = after.filter((s) => s.at < warmupMs + windowMs);
  const lastWin = after.filter((s) => s.at > endAt - windowMs);
  const rssWarm = summary(firstWin.map((s) => s.rss)).median;
  const rssEnd = summary(lastWin.map((s) => s.rss)).median;
  const rssAll = summary(after.map((s) => s.rss));
  const rssGrowth = (rssEnd / rssWarm - 1) * 100;
  const trend = slope(after.map((s) => [s.at / 3_600_000, mib(s.rss)]));

  // The probe at warm-up end is the first one from then on (its line lands a moment later).
  const heapAfter = readProbes(probeFile).filter((p) => p.t - t0Wall >= warmupMs - 1000);
  const heapWarm = heapAfter[0]?.heapUsed ?? NaN;
  const heapEnd = heapAfter.at(-1)?.heapUsed ?? NaN;
  const heapAll = summary(heapAfter.map((p) => p.heapUsed));
  const heapGrowth = (heapEnd / heapWarm - 1) * 100;

  const a = after[0];
  const b = after.at(-1);
  const secs = a && b ? (b.at - a.at) / 1000 : NaN;
  const perSec = (k: keyof SideCount) => (a && b ? (b.counts[k] - a.counts[k]) / secs : NaN);
  const intervalRates = after.slice(1).map((s, i) => (s.counts.telemetry - after[i]!.counts.telemetry) / ((s.at - after[i]!.at) / 1000));
  const telRates = summary(intervalRates);
  const cpu = a && b ? ((b.cpuMs - a.cpuMs) / (b.t - a.t)) * 100 : NaN;
  const expectedTel = machines / (parseDuration(o.poll) / 1000);

  const row = (name: string, warm: number, end: number, all: { min: number; median: number; max: number }) =>
    console.log(`${name.padEnd(22)}${fmt(mib(warm)).padStart(10)}${fmt(mib(end)).padStart(10)}${`${rssSign((end / warm - 1) * 100)} %`.padStart(10)}${fmt(mib(all.min)).padStart(10)}${fmt(mib(all.median)).padStart(10)}${fmt(mib(all.max)).padStart(10)}`);
  console.log(`\n${''.padEnd(22)}${'warm-up'.padStart(10)}${'end'.padStart(10)}${'growth'.padStart(10)}${'min'.padStart(10)}${'median'.padStart(10)}${'max'.padStart(10)}   (MiB; after warm-up)`);
  row('RSS (/proc)', rssWarm, rssEnd, rssAll);
  row('heap used after GC', heapWarm, heapEnd, heapAll);
  console.log(`RSS trend after warm-up: ${rssSign(trend)} MiB/h (least squares over ${after.length} samples); warm-up/end values are medians of the first/last ${fmt(windowMs / 1000, 0)} s`);
  console.log(`RSS single samples: at warm-up end ${fmt(mib(firstWin[0]?.rss ?? NaN))} MiB, at the end ${fmt(mib(b?.rss ?? NaN))} MiB; heap probes: ${heapAfter.length}`);
  console.log(`at the broker after warm-up: ${fmt(perSec('messages'))} msg/s in all, telemetry ${fmt(perSec('telemetry'))} msg/s (min ${fmt(telRates.min)}, median ${fmt(telRates.median)}, max ${fmt(telRates.max)} per ${o.sample}; expected ${fmt(expectedTel)}), ${fmt(perSec('values'), 0)} tag values/s (of ${fmt(totalTags, 0)} tags), ${fmt(perSec('bytes') / 1024, 0)} KiB/s; values not good: ${b ? b.counts.badValues - a!.counts.badValues : 'n/a'}`);
  console.log(`agent CPU after warm-up: ${fmt(cpu)} % of one core`);
  if (metrics) {
    const m = (k: string) => fmt(metrics[k] ?? NaN, 0);
    console.log(`agent metrics at the end: polls ${m('lineside_driver_polls_total')}, poll errors ${m('lineside_driver_poll_errors_total')}, overruns ${m('lineside_driver_poll_overruns_total')}, reconnects ${m('lineside_driver_reconnects_total')}, published ${m('lineside_mqtt_published_total')}, acked ${m('lineside_mqtt_acked_total')}, outbox depth ${m('lineside_outbox_depth')}, dropped ${m('lineside_outbox_dropped_total')}`);
  }
  const warnings = readFileSync(logFile, 'utf8').split('\n').filter((l) => /"level":(40|50|60)/.test(l));
  console.log(`agent log: ${warnings.length} warn/error/fatal lines${warnings.length ? `; first: ${warnings[0]!.slice(0, 300)}` : ''}`);
  console.log(
    survived
      ? `survived: yes — running after ${fmt(endAt / 60_000)} min, exit code ${stopCode} on SIGTERM`
      : `survived: NO — exited ${fmt(exited!.atMs / 60_000)} min after start (code ${exited!.code}, signal ${exited!.signal}); log tail:\n${readFileSync(logFile, 'utf8').slice(-1500)}`,
  );
  const rssOk = survived && rssGrowth < 5;
  const heapCapOk = survived && maxOld > 0 && maxOld <= 128;
  console.log(`bar: RSS after warm-up grows < 5 %: ${rssOk ? 'PASS' : 'FAIL'} (${rssSign(rssGrowth)} %)`);
  console.log(`bar: holds under --max-old-space-size=128: ${heapCapOk ? 'PASS' : maxOld > 128 || maxOld <= 0 ? 'not tested (run with --max-old-space 128)' : 'FAIL'}`);

  const figures = [
    { name: `RSS after ${o.duration} (${fmt(totalTags, 0)} tags, heap cap ${maxOld > 0 ? `${maxOld} MB` : 'none'})`, value: mib(rssEnd), unit: 'MiB', baseline: { name: `RSS at the end of the ${o.warmup} warm-up`, value: mib(rssWarm) }, ratio: rssEnd / rssWarm, note: survived ? 'survived' : 'DID NOT SURVIVE' },
    { name: 'Heap used after a forced GC, at the end', value: mib(heapEnd), unit: 'MiB', baseline: { name: 'at the end of the warm-up', value: mib(heapWarm) }, ratio: heapEnd / heapWarm },
    { name: 'RSS trend after warm-up, per hour (least squares)', value: trend, unit: 'MiB' },
    { name: 'Telemetry at the broker', value: perSec('telemetry'), unit: 'msg/s', baseline: { name: 'one per machine and poll', value: expectedTel }, ratio: perSec('telemetry') / expectedTel },
    { name: 'Tag values at the broker', value: perSec('values'), unit: 'values/s', baseline: { name: 'tags × polls/s', value: expectedTel * tagsPerMachine }, ratio: perSec('values') / (expectedTel * tagsPerMachine) },
    { name: 'Agent CPU after warm-up', value: cpu, unit: '% CPU' },
  ];
  console.log(JSON.stringify({ bench: 'soak', params: { duration: o.duration, warmup: o.warmup, machines, tagsPerMachine, maxOldSpaceSize: maxOld, poll: o.poll, telemetry: o.telemetry, survived, rssGrowthPct: rssGrowth, heapGrowthPct: heapGrowth }, figures }));
} catch (err) {
  result = 'failed';
  console.error(err);
} finally {
  await cleanup();
}
process.exit(result === 'ok' ? 0 : 1);

function rssSign(n: number): string {
  return `${n >= 0 ? '+' : ''}${fmt(n)}`;
}

function readProbes(file: string): Array<{ t: number; rss: number; heapUsed: number; heapTotal: number }> {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { t: number; rss: number; heapUsed: number; heapTotal: number });
  } catch {
    return [];
  }
}

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den ? num / den : NaN;
}
