// Pipeline throughput: readings/s through signals, states, downtime, counters and OEE for 100
// machines, against a raw baseline that only stores each reading by tag (what LiveValues does).
//   node bench/pipeline.ts [machines=100] [polls=1200]
import { parseConfig } from '../config/loader.ts';
import type { Reading } from '../drivers/driver.ts';
import { SimMachine } from '../drivers/sim/model.ts';
import { snapshotReadings } from '../drivers/sim/driver.ts';
import { Pipeline } from '../agent/pipeline/pipeline.ts';

const MACHINES = Number(process.argv[2] ?? 100);
const POLLS = Number(process.argv[3] ?? 1200);
const T0 = Date.parse('2026-11-23T05:00:00Z');

const yaml = `agent: { id: bench }
location: { enterprise: e, site: s, area: a, line: l }
mqtt: { url: mqtt://127.0.0.1:1 }
shifts:
  timezone: Europe/Berlin
  shifts:
    - { name: early, days: [mon, tue, wed, thu, fri], start: "06:00", end: "14:00", breaks: [{ start: "09:00", duration: 15m }] }
oee: { liveInterval: 60s, periods: [shift, hour, job] }
machines:
${Array.from({ length: MACHINES }, (_, i) => `  - { id: m${i}, driver: sim, idealCycleTime: 950ms, pollInterval: 1s, connection: { seed: ${i + 1} } }`).join('\n')}
`;
const { config } = parseConfig(yaml, 'bench.yaml');

// Readings prepared up front so both loops measure only what they do with them.
const batches: Array<{ machine: string; readings: Reading[] }> = [];
const sims = config.machines.map((m, i) => new SimMachine({ seed: i + 1, cycleTime: 1000, rejectRate: 0.02, faultsPerHour: 4, meanFaultDuration: 120_000, changeoversPerHour: 0.5, microStopsPerHour: 12, counterWidth: 32 }, T0));
for (let p = 0; p < POLLS; p++) {
  const ts = T0 + p * 1000;
  config.machines.forEach((m, i) => batches.push({ machine: m.id, readings: snapshotReadings(sims[i]!.advance(ts), ts) }));
}
const total = batches.reduce((n, b) => n + b.readings.length, 0);

function baseline(): number {
  const live = new Map<string, Record<string, Reading>>();
  const start = process.hrtime.bigint();
  for (const b of batches) {
    let tags = live.get(b.machine);
    if (!tags) live.set(b.machine, (tags = {}));
    for (const r of b.readings) tags[r.tag] = r;
  }
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function pipeline(): { seconds: number; events: number } {
  let events = 0;
  const p = new Pipeline({ config, now: T0, sink: { publish: (e) => (events += e.length) } });
  const start = process.hrtime.bigint();
  let lastTick = T0;
  for (const b of batches) {
    p.readings(b.machine, b.readings);
    const ts = b.readings[0]!.ts;
    // The runtime's one-second clock.
    if (ts - lastTick >= 1000) {
      p.tick(ts);
      lastTick = ts;
    }
  }
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, events };
}

/** One figure next to its baseline from the same run; bench/run.ts collects the final JSON line. */
interface Figure { name: string; value: number; unit: string; baseline?: { name: string; value: number }; ratio?: number; note?: string }
const figures: Figure[] = [];

// Warm up both, then measure.
baseline();
pipeline();
const base = Math.min(baseline(), baseline(), baseline());
const runs = [pipeline(), pipeline(), pipeline()];
const best = runs.reduce((a, b) => (a.seconds < b.seconds ? a : b));
const rate = (s: number) => Math.round(total / s);
console.log(`machines ${MACHINES}, polls ${POLLS} (${POLLS} s of machine time), readings ${total}, events ${best.events}`);
console.log(`baseline (store by tag): ${rate(base).toLocaleString('en')} readings/s`);
console.log(`pipeline (state + OEE):  ${rate(best.seconds).toLocaleString('en')} readings/s (${(best.seconds * 1000).toFixed(0)} ms for ${POLLS} s of ${MACHINES} machines)`);
console.log(`ratio pipeline/baseline: ${(base / best.seconds).toFixed(3)} (pipeline is ${(best.seconds / base).toFixed(1)}× slower)`);
console.log(`headroom at 1 s polls with 6 tags: ${Math.floor(rate(best.seconds) / 6).toLocaleString('en')} machines per core`);
figures.push({ name: `Pipeline (states, downtime, counters, OEE), ${MACHINES} machines × ${POLLS} polls`, value: rate(best.seconds), unit: 'readings/s', baseline: { name: 'store each reading by tag (LiveValues)', value: rate(base) }, ratio: base / best.seconds, note: `${Math.floor(rate(best.seconds) / 6)} machines per core at 1 s polls with 6 tags` });
console.log(JSON.stringify({ bench: 'pipeline', params: { machines: MACHINES, polls: POLLS }, figures }));
