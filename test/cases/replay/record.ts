// Records a day of the simulated machine as replay input, and the pipeline's output for it.
//   node test/cases/replay/record.ts          rewrite readings.jsonl and expected.jsonl
//   node test/cases/replay/record.ts --check  exit 1 when either file differs from what it would write
// The day (Monday 2026-11-23, Europe/Berlin) holds a 16-bit counter wrap, a PLC counter reset at
// 18:00, a 15-minute communication outage in the late shift, and one job order.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig, loadConfigAs } from '../../../config/loader.ts';
import { replayConfigSchema, unreadByReplay } from '../../../config/schema/replay.ts';
import { SimMachine } from '../../../drivers/sim/model.ts';
import { simSettings } from '../../../drivers/sim/driver.ts';
import { parseJsonLines } from '../../../agent/replay/jsonl.ts';
import { replay } from '../../../agent/replay/run.ts';

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
export const CONFIG_FILE = here('./lineside.yaml');
export const READINGS_FILE = here('./readings.jsonl');
export const EXPECTED_FILE = here('./expected.jsonl');

const START = Date.parse('2026-11-22T23:00:00Z'); // 00:00 local
const END = START + 24 * 3_600_000;
const OUTAGE = [Date.parse('2026-11-23T13:20:00Z'), Date.parse('2026-11-23T13:35:00Z')] as const;
const RESET_AT = Date.parse('2026-11-23T17:00:00Z');

export function recordReadings(): string {
  const { config } = loadConfig(CONFIG_FILE);
  const m = config.machines[0]!;
  if (m.driver !== 'sim') throw new Error('the recorded machine must be a sim machine');
  const sim = new SimMachine(simSettings(m.connection), START);
  const mask = 0xffff;
  const out: string[] = [];
  const line = (o: Record<string, unknown>) => out.push(JSON.stringify({ ts: o.ts, machine: m.id, ...o }));
  const last = new Map<string, unknown>();
  let offset: { parts: number; rejects: number } | undefined;
  let down = false;
  for (let t = START; t < END; t += m.pollInterval) {
    const s = sim.advance(t);
    if (t >= OUTAGE[0] && t < OUTAGE[1]) {
      if (!down) line({ ts: t, link: 'disconnected' });
      down = true;
      continue;
    }
    if (down) line({ ts: t, link: 'connected' });
    down = false;
    if (t === Date.parse('2026-11-23T05:00:00Z')) line({ ts: t, cmd: 'job', payload: { commandId: 'PO-4711-start', action: 'start', orderId: 'PO-4711', product: 'bracket-a', idealCycleTime: 900, target: 20000 } });
    if (t === Date.parse('2026-11-23T13:00:00Z')) line({ ts: t, cmd: 'job', payload: { commandId: 'PO-4711-end', action: 'end', orderId: 'PO-4711' } });
    // The PLC's counters are reset to zero at 18:00 local.
    if (t >= RESET_AT && !offset) offset = { parts: s.partCount, rejects: s.rejectCount };
    const values: Record<string, unknown> = {
      running: s.running,
      partCount: (s.partCount - (offset?.parts ?? 0)) & mask,
      rejectCount: (s.rejectCount - (offset?.rejects ?? 0)) & mask,
      faultCode: s.faultCode,
      mode: s.mode,
    };
    // The part counter on every poll (it keeps the data fresh), the rest when it changes.
    for (const [tag, value] of Object.entries(values)) {
      if (tag !== 'partCount' && last.get(tag) === value) continue;
      last.set(tag, value);
      line({ ts: t, tag, value });
    }
  }
  return out.join('\n') + '\n';
}

export function expectedOutput(readings: string): string {
  const { config } = loadConfigAs(CONFIG_FILE, replayConfigSchema, unreadByReplay);
  const { lines, problems } = parseJsonLines(readings, config);
  if (problems.length) throw new Error(problems.join('\n'));
  const out: string[] = [];
  replay(config, lines, (l) => out.push(l));
  return out.join('\n') + '\n';
}

if (import.meta.main) {
  const readings = recordReadings();
  const expected = expectedOutput(readings);
  if (process.argv.includes('--check')) {
    const same = readFileSync(READINGS_FILE, 'utf8') === readings && readFileSync(EXPECTED_FILE, 'utf8') === expected;
    process.stdout.write(same ? 'recorded day is up to date\n' : 'recorded day differs; run node test/cases/replay/record.ts\n');
    process.exit(same ? 0 : 1);
  }
  writeFileSync(READINGS_FILE, readings);
  writeFileSync(EXPECTED_FILE, expected);
  process.stdout.write(`${readings.split('\n').length - 1} input lines, ${expected.split('\n').length - 1} events\n`);
}
