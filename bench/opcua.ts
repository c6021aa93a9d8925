// OPC UA subscribe throughput: Lineside's driver vs a plain node-opcua client with the same
// settings, each in its own process against the same simulator process, in the same run.
//   node bench/opcua.ts [items=10000] [seconds=15]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const items = Number(process.argv[2] ?? 10_000);
const seconds = Number(process.argv[3] ?? 15);
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

const server = spawn(process.execPath, [here('./opcua-server.ts'), String(items)], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise<number>((resolve, reject) => {
  server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  createInterface({ input: server.stdout! }).on('line', (l) => {
    const m = /^ready (\d+)/.exec(l);
    if (m) resolve(Number(m[1]));
  });
});
const endpoint = `opc.tcp://127.0.0.1:${port}`;

interface Result { kind: string; setupMs: number; notificationsPerSec: number; cpuPercent: number; rssMB: number }
async function measure(kind: 'lineside' | 'raw'): Promise<Result> {
  const child = spawn(process.execPath, [here('./opcua-client.ts'), kind, endpoint, String(items), String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`${kind} client exited with ${code}`);
  return JSON.parse(out.trim().split('\n').at(-1)!) as Result;
}

/** One figure next to its baseline from the same run; bench/run.ts collects the final JSON line. */
interface Figure { name: string; value: number; unit: string; baseline?: { name: string; value: number }; ratio?: number; note?: string }
const figures: Figure[] = [];

try {
  // Alternate so neither side always runs on a warmer server.
  const runs = [await measure('raw'), await measure('lineside'), await measure('raw'), await measure('lineside')];
  const avg = (kind: string, k: keyof Result) => {
    const xs = runs.filter((r) => r.kind === kind).map((r) => Number(r[k]));
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  console.log(`OPC UA subscribe, ${items} monitored items, ${seconds}s per run, 2 runs each (publishing 500ms, sampling 250ms, 1000 items/subscription)`);
  console.log('kind       setup ms  notifications/s  CPU %   RSS MB');
  for (const kind of ['raw', 'lineside']) {
    console.log(`${kind.padEnd(9)}  ${avg(kind, 'setupMs').toFixed(0).padStart(8)}  ${avg(kind, 'notificationsPerSec').toFixed(0).padStart(15)}  ${avg(kind, 'cpuPercent').toFixed(1).padStart(5)}  ${avg(kind, 'rssMB').toFixed(0).padStart(7)}`);
  }
  const ratio = (k: keyof Result) => (avg('lineside', k) / avg('raw', k)).toFixed(2);
  console.log(`ratio lineside/raw: notifications/s ${ratio('notificationsPerSec')}, CPU ${ratio('cpuPercent')}, RSS ${ratio('rssMB')}`);
  for (const k of ['notificationsPerSec', 'cpuPercent', 'rssMB', 'setupMs'] as const) {
    const unit = { notificationsPerSec: 'notifications/s', cpuPercent: '% CPU', rssMB: 'MB RSS', setupMs: 'ms setup' }[k];
    figures.push({ name: `Subscribe, ${items} monitored items: ${unit}`, value: avg('lineside', k), unit, baseline: { name: 'plain node-opcua client, same settings', value: avg('raw', k) }, ratio: avg('lineside', k) / avg('raw', k) });
  }
  console.log(JSON.stringify({ bench: 'opcua', params: { items, seconds }, figures }));
  console.log(`CPU per 1000 notifications/s: raw ${((avg('raw', 'cpuPercent') / avg('raw', 'notificationsPerSec')) * 1000).toFixed(2)} %, lineside ${((avg('lineside', 'cpuPercent') / avg('lineside', 'notificationsPerSec')) * 1000).toFixed(2)} %`);
} finally {
  server.kill('SIGTERM');
}
