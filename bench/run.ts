// `npm run bench`: runs every benchmark in bench/ as its own process, collects the final JSON
// line each prints ({bench, params, figures}), and writes docs/BENCHMARKS.md with every figure
// next to its baseline from the same run, the ratio, and the machine it ran on.
//   node bench/run.ts [--quick] [--only modbus,pipeline] [--out docs/BENCHMARKS.md] [--saved soak=FILE]
// With --only, the other sections of the file are kept as they were (each says when it was measured).
// --saved NAME=FILE takes a benchmark's figures from the saved stdout of an earlier run of it (a long
// soak) instead of running it again.
// Long benchmarks (soak, peers) are opt-in: they run only when named, e.g. `--only soak,peers`.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface Figure { name: string; value: number; unit: string; baseline?: { name: string; value: number }; ratio?: number; note?: string }
interface BenchResult { bench: string; params: Record<string, unknown>; figures: Figure[] }
interface Spec { name: string; file: string; what: string; args: string[]; quick: string[]; /** Long: runs only when named in --only. */ optIn?: boolean }

const SPECS: Spec[] = [
  { name: 'pipeline', file: 'pipeline.ts', what: 'Readings through the machine pipeline (signals, states, downtime, counters, OEE).', args: [], quick: ['100', '600'] },
  { name: 'modbus', file: 'modbus.ts', what: 'Modbus TCP: simulator answer rate and the driver polling a 48-tag machine.', args: [], quick: ['2'] },
  { name: 'opcua', file: 'opcua.ts', what: 'OPC UA subscriptions: the Lineside driver against a plain node-opcua client, each in its own process.', args: [], quick: ['2000', '8'] },
  { name: 'outbox', file: 'outbox.ts', what: 'Store-and-forward: SQLite append, backlog drain to a real mosquitto, live latency.', args: [], quick: ['--messages', '200000', '--append', '100000'] },
  { name: 'live-backlog', file: 'live-backlog.ts', what: 'Live data while a 100,000-message backlog drains: live latency next to the no-backlog baseline (lanes), the drain rate next to mqtt.replayRate, and strict ordering for contrast.', args: [], quick: ['--backlog', '20000', '--strict-backlog', '5000'] },
  { name: 'webhook-outage', file: 'webhook-outage.ts', what: 'A webhook receiver down for 10 minutes while the agent is killed 5 times and MQTT stays up: missing and unverifiable deliveries at a verifying receiver, MQTT live latency before and during.', args: ['--outage', '10m', '--kills', '5', '--before', '60s'], quick: ['--outage', '60s', '--kills', '2', '--before', '20s'], optIn: true },
  { name: 'drop-accounting', file: 'drop-accounting.ts', what: 'A 10-minute broker outage under a bound tight enough to drop most messages: the drop reports against the seqs that never arrived.', args: ['--duration', '10m'], quick: ['--duration', '30s'], optIn: true },
  { name: 'sparkplug-drain', file: 'sparkplug-drain.ts', what: 'Sparkplug B: an outbox backlog drained as historical DDATA into a real mosquitto, against a raw mqtt.js loop publishing pre-built payloads with the same confirmation round trips.', args: ['--rows', '20000', '--runs', '5'], quick: ['--rows', '5000', '--runs', '2'] },
  { name: 'ingest', file: 'ingest.ts', what: '`lineside ingest`: contract-valid messages queued at a real mosquitto drained into a real PostgreSQL by one instance and by two on one shared subscription, against a plain multi-row INSERT of the same rows.', args: ['--messages', '100000', '--reps', '3'], quick: ['--messages', '30000', '--reps', '1'], optIn: true },
  { name: 'soak', file: 'soak.ts', what: 'Soak: 10,000 Modbus tags polled every second for 30 minutes under --max-old-space-size=128, RSS and post-GC heap after a 5-minute warm-up.', args: [], quick: ['--duration', '3m', '--warmup', '1m'], optIn: true },
  { name: 'peers', file: 'peers/peers.ts', what: 'Peers: Lineside and Node-RED 5 + node-red-contrib-modbus polling the same devices side by side, CPU and RSS at 1,000 and 10,000 tags, with a raw durable store-and-forward loop (the floor: modbus-serial, a SQLite outbox, mqtt.js) beside them.', args: [], quick: ['--warmup', '20s', '--window', '30s', '--reps', '2'], optIn: true },
];

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, out: { type: 'string', default: 'docs/BENCHMARKS.md' }, saved: { type: 'string', multiple: true, default: [] } } });
const saved = new Map(values.saved.map((kv) => kv.split('=') as [string, string]));
const only = values.only ? new Set(values.only.split(',')) : undefined;
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

/** The result line and the rest of a benchmark's stdout. */
function parseOutput(spec: Spec, text: string): { result: BenchResult; output: string } {
  const lines = text.trim().split('\n');
  const last = lines.findLast((l) => l.startsWith('{"bench"'));
  if (!last) throw new Error(`bench/${spec.file} printed no result line`);
  return { result: JSON.parse(last) as BenchResult, output: lines.filter((l) => l !== last).join('\n') };
}

function run(spec: Spec): Promise<{ result: BenchResult; output: string; seconds: number; args: string[] }> {
  const args = values.quick ? spec.quick : spec.args;
  const file = saved.get(spec.name);
  if (file) return Promise.resolve({ ...parseOutput(spec, readFileSync(file, 'utf8')), seconds: NaN, args });
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [here(`./${spec.file}`), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      process.stdout.write(d);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`bench/${spec.file} exited with ${code}`));
      try {
        resolve({ ...parseOutput(spec, output), seconds: (performance.now() - started) / 1000, args });
      } catch (err) {
        reject(err);
      }
    });
  });
}

/** Units where a smaller figure is the better one (the ratio then reads "below 1 is good"). */
const LOWER_IS_BETTER = new Set(['% CPU', 'MB RSS', 'MiB', 'ms setup', 'ms', 'µs', 'requests']);

function num(v: number): string {
  const a = Math.abs(v);
  const digits = a >= 1000 ? 0 : a >= 100 ? 0 : a >= 10 ? 1 : 2;
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

function machine(): string[] {
  const c = cpus();
  const [l1, l5] = loadavg();
  return [
    `- CPU: ${c[0]?.model ?? 'unknown'} — ${availableParallelism()} logical cores available to Node`,
    `- RAM: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- OS: ${process.platform} ${release()} (${process.arch})`,
    `- Node.js: ${process.version}`,
    `- Date: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    `- Load average when the run started: ${l1!.toFixed(2)} (1 min), ${l5!.toFixed(2)} (5 min) — other work on the machine shifts the absolute figures; ratios against the same-run baselines are the steadier read.`,
  ];
}

const header = machine();
const results: Array<{ spec: Spec; result: BenchResult; output: string; seconds: number; args: string[] }> = [];
for (const spec of SPECS) {
  if (only ? !only.has(spec.name) : spec.optIn) continue;
  process.stdout.write(`\n=== bench/${spec.file} ${(values.quick ? spec.quick : spec.args).join(' ')}\n`);
  results.push({ spec, ...(await run(spec)) });
}

const md: string[] = [
  '# Benchmarks',
  '',
  'Generated by `npm run bench` (`node bench/run.ts`); do not edit by hand. Every figure stands next to a raw baseline',
  'measured in the same run on the same machine — the plain library doing the same work without Lineside — and the',
  'ratio between them (figure ÷ baseline). How each benchmark works is described at the top of its file in `bench/`.',
  '',
  values.quick
    ? '**This run used the reduced sizes of `--quick`** (smaller backlogs and item counts, shorter runs); the arguments are listed per benchmark. A full run (`npm run bench`) takes longer and gives steadier figures.'
    : 'This run used every benchmark\'s default sizes.',
  '',
  '## Machine',
  '',
  ...header,
  '',
];
const when = `Measured ${header.find((l) => l.startsWith('- Date'))!.slice(8)}, on the machine below "Machine" as it was then.`;
// With --only, the sections of the benchmarks not run now stay as they were.
const kept = new Map<string, string>();
if (only && existsSync(values.out)) {
  const old = readFileSync(values.out, 'utf8');
  const oldDate = /^- Date: (.*)$/m.exec(old)?.[1] ?? 'at an earlier run';
  for (const part of old.split(/\n(?=## )/).slice(1)) {
    const name = /^## (\S+)/.exec(part)?.[1];
    if (!name || name === 'Machine' || results.some((r) => r.spec.name === name)) continue;
    // A section from a full run before sections carried their own date: say when it was.
    const dated = part.includes('Measured ') ? part : part.replace(/^(## \S+\n\n[^\n]*)/, `$1 Measured ${oldDate} (an earlier run).`);
    kept.set(name, dated.trimEnd() + '\n');
  }
}
for (const spec of SPECS) {
  const part = kept.get(spec.name);
  if (part === undefined) continue;
  md.push(part);
}
for (const { spec, result, output, seconds, args } of results) {
  const took = Number.isFinite(seconds) ? `${Math.round(seconds)} s` : 'figures from a saved run of it';
  md.push(`## ${spec.name}`, '', `${spec.what} Command: \`node bench/${spec.file}${args.length ? ` ${args.join(' ')}` : ''}\` (${took}). ${when}`, '');
  md.push('| Figure | Lineside | Baseline (same run) | Ratio | Better |', '|---|---:|---|---:|---|');
  for (const f of result.figures) {
    const base = f.baseline ? `${num(f.baseline.value)} ${f.unit} — ${f.baseline.name}` : '—';
    const ratio = f.ratio === undefined ? '—' : `${f.ratio.toFixed(f.ratio < 0.1 ? 3 : 2)}×`;
    md.push(`| ${f.name}${f.note ? ` (${f.note})` : ''} | ${num(f.value)} ${f.unit} | ${base} | ${ratio} | ${LOWER_IS_BETTER.has(f.unit) ? 'lower' : 'higher'} |`);
  }
  md.push('', '<details><summary>Raw output</summary>', '', '```', output.trim(), '```', '', '</details>', '');
}
writeFileSync(values.out, md.join('\n'));
process.stdout.write(`\nwrote ${values.out}\n`);
