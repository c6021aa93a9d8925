// Summarise a V8 .cpuprofile (from `node --cpu-prof`, e.g. `node bench/soak.ts --cpu-prof DIR`):
// self time by function and by file (dependencies folded into their package), and inclusive time
// of the hottest functions — where the CPU goes, without opening DevTools.
//   node bench/cpu-profile-top.ts <file.cpuprofile> [--top 25] [--skip-first 60s]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { parseDuration } from './fleet.ts';

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, 'skip-first': { type: 'string', default: '0s' } } });
const file = positionals[0];
if (!file) throw new Error('usage: node bench/cpu-profile-top.ts <file.cpuprofile> [--top 25] [--skip-first 60s]');
const top = Number(values.top);
const skipUs = parseDuration(values['skip-first']) * 1000;
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const root = fileURLToPath(new URL('../', import.meta.url));

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

function where(url: string): string {
  if (!url) return '(native/V8)';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + 14).split('/');
    return `npm:${rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (path.startsWith(root)) return path.slice(root.length);
  return path.startsWith('node:') ? path : `node:${path}`;
}
const fnKey = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'}  ${where(n.callFrame.url)}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;

const selfFn = new Map<string, number>();
const selfFile = new Map<string, number>();
const inclFn = new Map<string, number>();
let total = 0;
let idle = 0;
let t = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  t += dt;
  if (t < skipUs) continue;
  const node = byId.get(profile.samples[i]!)!;
  total += dt;
  const name = node.callFrame.functionName;
  if (name === '(idle)') {
    idle += dt;
    continue;
  }
  selfFn.set(fnKey(node), (selfFn.get(fnKey(node)) ?? 0) + dt);
  const f = name === '(garbage collector)' || name === '(program)' ? name : where(node.callFrame.url);
  selfFile.set(f, (selfFile.get(f) ?? 0) + dt);
  const seen = new Set<string>();
  for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
    const k = fnKey(byId.get(id)!);
    if (seen.has(k)) continue;
    seen.add(k);
    inclFn.set(k, (inclFn.get(k) ?? 0) + dt);
  }
}
const busy = total - idle;
const pct = (us: number) => `${((us / busy) * 100).toFixed(1).padStart(5)} %`;
const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(8)} ms`;
const list = (title: string, m: Map<string, number>, n: number, skip?: (k: string) => boolean) => {
  console.log(`\n${title}`);
  for (const [k, v] of [...m].filter(([k]) => !skip?.(k)).sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${pct(v)} ${ms(v)}  ${k}`);
};
console.log(`${file}: ${(total / 1e6).toFixed(1)} s profiled${skipUs ? ` (first ${values['skip-first']} skipped)` : ''}, busy ${(busy / 1e6).toFixed(1)} s (${((busy / total) * 100).toFixed(1)} % of the wall time); percentages are of busy time`);
list('Self time by file / package', selfFile, top);
list('Self time by function', selfFn, top);
list('Inclusive time by function (our code and hot dependencies)', inclFn, top, (k) => /^\((root|program|anonymous)\)/.test(k) || / node:internal\/(timers|process\/task_queues|modules)/.test(k));
