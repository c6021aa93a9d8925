// Variants of the agent side by side on one simulated fleet and one broker: which flag or change is
// cheaper, measured in the same windows so the shared machine's noise hits all alike.
//   node bench/side-by-side.ts [--machines 1] [--tags 1000] [--warmup 20s] [--window 30s] [--reps 3]
//        --variant 'as-deployed' --variant 'stgc --single-threaded-gc' --variant 'floor' ...
// A variant is a name, then any ENV=value (for the agent's environment) and --node-flags, all
// space-separated; every Lineside variant also gets the deployed flags and environment first, and a
// warm compile cache. The name `floor` runs bench/peers/floor.ts (the durable minimum) instead.
// Per window: CPU of the main thread and of all other threads (GC helpers, libuv) from
// /proc/PID/task, in ms of CPU per second, and RSS. Not part of `npm test` or `npm run bench`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, Mosquitto } from '../test/helpers/mosquitto.ts';
import { BIN, deployedEnv, deployedNodeFlags, floorArgs, fmt, mib, parseDuration, ROOT, sleep, startSimFleet, stopChild, summary, warmCompileCache, writeLinesideConfig } from './fleet.ts';

const { values: o } = parseArgs({
  options: {
    machines: { type: 'string', default: '1' },
    tags: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '20s' },
    window: { type: 'string', default: '30s' },
    reps: { type: 'string', default: '3' },
    variant: { type: 'string', multiple: true, default: ['as-deployed', 'floor'] },
  },
});
const machines = Number(o.machines);
const tags = String(Number(o.tags));

/** CPU (ms, main thread and the others) and RSS (bytes) of a process, from /proc. */
function sample(pid: number): { main: number; other: number; rss: number } {
  let main = 0;
  let other = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
    } catch {
      continue; // the thread ended between the listing and the read
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ms = ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
    if (task === String(pid)) main += ms;
    else other += ms;
  }
  const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;
  return { main, other, rss };
}

const scratch = mkdtempSync(join(tmpdir(), 'lineside-side-by-side-'));
mkdirSync(join(scratch, 'mosq'));
const broker = await Mosquitto.start({ dir: join(scratch, 'mosq') });
const fleet = await startSimFleet(machines);
const cache = warmCompileCache(ROOT, join(scratch, 'compile-cache'), deployedNodeFlags(ROOT));
const sides: Array<{ name: string; child: ChildProcess; cpu: number[] }> = [];
try {
  for (const [i, spec] of o.variant.entries()) {
    const [name = `v${i}`, ...rest] = spec.trim().split(/\s+/);
    const flags = rest.filter((t) => t.startsWith('--'));
    const env = Object.fromEntries(rest.filter((t) => !t.startsWith('--') && t.includes('=')).map((t) => [t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1)]));
    const log = openSync(join(scratch, `${i}.log`), 'w');
    const args =
      name === 'floor'
        ? [...flags, ...floorArgs({ ports: fleet.ports, tagsPerMachine: Number(tags), pollMs: 1000, mqttUrl: broker.url, dataDir: join(scratch, `floor${i}`) })]
        : await (async () => {
            const file = join(scratch, `${i}.yaml`);
            writeLinesideConfig({ file, agentId: `side${i}`, dataDir: join(scratch, `data${i}`), mqttUrl: broker.url, httpPort: await freePort(), ports: fleet.ports, tagsPerMachine: Number(tags), poll: '1s', telemetry: '500ms' });
            return [...deployedNodeFlags(ROOT), ...flags, BIN, 'run', '--config', file];
          })();
    const childEnv = name === 'floor' ? { ...process.env, ...env } : { ...process.env, ...deployedEnv(ROOT), ...cache, ...env };
    sides.push({ name, child: spawn(process.execPath, args, { cwd: ROOT, env: childEnv, stdio: ['ignore', log, log] }), cpu: [] });
  }
  console.log(`${machines} machine(s) × ${tags} tags, polled every 1 s; warm-up ${o.warmup}, ${o.reps} windows of ${o.window}; CPU in ms per second (100 % of a core = 1,000)`);
  await sleep(parseDuration(o.warmup));
  for (let r = 0; r < Number(o.reps); r++) {
    const a = sides.map((s) => sample(s.child.pid!));
    const t0 = performance.now();
    await sleep(parseDuration(o.window));
    const b = sides.map((s) => sample(s.child.pid!));
    const secs = (performance.now() - t0) / 1000;
    const cells = sides.map((s, i) => {
      const main = (b[i]!.main - a[i]!.main) / secs;
      const other = (b[i]!.other - a[i]!.other) / secs;
      s.cpu.push(main + other);
      return `${s.name} ${fmt(main + other)} (main ${fmt(main)}, other ${fmt(other)}) ${fmt(mib(b[i]!.rss), 0)} MiB`;
    });
    console.log(`window ${r + 1}: ${cells.join(' | ')}`);
  }
  for (const s of sides) {
    const c = summary(s.cpu);
    console.log(`${s.name.padEnd(16)} CPU min ${fmt(c.min)} / median ${fmt(c.median)} ms/s`);
  }
} finally {
  for (const s of sides) await stopChild(s.child);
  await fleet.stop();
  await broker.stop();
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(0);
