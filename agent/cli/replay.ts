// `lineside replay`: run the pipeline over recorded readings on a virtual clock and print the
// events as JSON lines. No timers, no wall clock, no files written: the same input and config
// give the same bytes, so a configuration can be tried against recorded data, and the
// pipeline tested against an expected output.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { LinesideConfig } from '../../config/schema/index.ts';
import type { Reading } from '../../drivers/driver.ts';
import type { MachineEvent } from '../events.ts';
import { Pipeline } from '../pipeline/pipeline.ts';
import type { SignalName } from '../pipeline/signals.ts';
import { loadConfigOrExit } from './config-arg.ts';
import { EXIT } from './exit-codes.ts';
import { VERB_HELP } from './verbs.ts';

/** One input line, after validation. */
export type ReplayLine =
  | { ts: number; machine: string; reading: Reading }
  | { ts: number; machine: string; link: 'connected' | 'disconnected' }
  | { ts: number; machine: string; startJob: { orderId: string; product: string; idealCycleTime: number; targetQuantity?: number } }
  | { ts: number; machine: string; endJob: string }
  | { ts: number; machine: string; assignReason: { eventId: string; reason: string; text?: string; by?: string } };

const QUALITIES = new Set(['good', 'bad', 'uncertain']);

function parseTs(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string') {
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return t;
  }
  return undefined;
}

/** Parse and check every line; problems come back with their line numbers, nothing is run. */
export function parseReplayInput(text: string, config: LinesideConfig): { lines: ReplayLine[]; problems: string[] } {
  const machines = new Map(config.machines.map((m) => [m.id, m]));
  const lines: ReplayLine[] = [];
  const problems: string[] = [];
  let lastTs = Number.NEGATIVE_INFINITY;
  text.split('\n').forEach((raw, i) => {
    const n = i + 1;
    if (raw.trim() === '') return;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(raw) as Record<string, unknown>;
      if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new Error('not an object');
    } catch {
      problems.push(`line ${n}: expected a JSON object`);
      return;
    }
    const ts = parseTs(o.ts);
    if (ts === undefined) return void problems.push(`line ${n}: ts: expected ms since epoch or an ISO 8601 time`);
    if (ts < lastTs) return void problems.push(`line ${n}: ts goes back in time (lines must be in time order)`);
    lastTs = ts;
    const m = typeof o.machine === 'string' ? machines.get(o.machine) : undefined;
    if (!m) return void problems.push(`line ${n}: machine: expected one of ${[...machines.keys()].join(', ')}, got ${JSON.stringify(o.machine)}`);
    const machine = m.id;
    if (o.link !== undefined) {
      if (o.link !== 'connected' && o.link !== 'disconnected') return void problems.push(`line ${n}: link: expected "connected" or "disconnected"`);
      return void lines.push({ ts, machine, link: o.link });
    }
    if (o.startJob !== undefined) {
      const j = o.startJob as Record<string, unknown>;
      if (typeof j !== 'object' || j === null) return void problems.push(`line ${n}: startJob: expected an object`);
      return void lines.push({ ts, machine, startJob: j as never });
    }
    if (o.endJob !== undefined) {
      if (typeof o.endJob !== 'string') return void problems.push(`line ${n}: endJob: expected an order id`);
      return void lines.push({ ts, machine, endJob: o.endJob });
    }
    if (o.assignReason !== undefined) {
      const a = o.assignReason as Record<string, unknown>;
      if (typeof a?.eventId !== 'string' || typeof a?.reason !== 'string') return void problems.push(`line ${n}: assignReason: expected { eventId, reason }`);
      return void lines.push({ ts, machine, assignReason: a as never });
    }
    let tag = o.tag;
    if (tag === undefined && typeof o.signal === 'string') {
      tag = m.signals[o.signal as SignalName]?.tag;
      if (tag === undefined) return void problems.push(`line ${n}: signal: ${o.signal} is not configured for ${machine}`);
    }
    if (typeof tag !== 'string') return void problems.push(`line ${n}: expected tag, signal, link, startJob, endJob or assignReason`);
    const v = o.value;
    if (!(v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string')) return void problems.push(`line ${n}: value: expected a number, boolean, string or null`);
    const quality = o.quality ?? 'good';
    if (typeof quality !== 'string' || !QUALITIES.has(quality)) return void problems.push(`line ${n}: quality: expected good | bad | uncertain`);
    lines.push({ ts, machine, reading: { tag, value: v, quality: quality as Reading['quality'], ts } });
  });
  return { lines, problems };
}

/** Run the lines through a fresh pipeline; `write` gets each event as one JSON line. */
export function replay(config: LinesideConfig, lines: ReplayLine[], write: (line: string) => void): number {
  if (!lines.length) return 0;
  let count = 0;
  const out = (events: MachineEvent[]) => {
    for (const e of events) {
      count++;
      write(JSON.stringify({ ts: new Date(e.ts).toISOString(), machine: e.machine, kind: e.kind, schema: e.schema, body: e.body }));
    }
  };
  const pipeline = new Pipeline({ config, sink: { publish: out }, now: lines[0]!.ts });
  let clock = lines[0]!.ts;
  for (let i = 0; i < lines.length; ) {
    const first = lines[i]!;
    // The agent's clock ticks every second; the virtual one ticks whenever time moves on.
    if (first.ts > clock) {
      clock = first.ts;
      pipeline.tick(clock);
    }
    if ('reading' in first) {
      // Readings of one machine at one instant form one poll.
      const batch: Reading[] = [];
      while (i < lines.length) {
        const l = lines[i]!;
        if (!('reading' in l) || l.ts !== first.ts || l.machine !== first.machine) break;
        batch.push(l.reading);
        i++;
      }
      pipeline.readings(first.machine, batch);
      continue;
    }
    i++;
    const l = first;
    let result;
    if ('link' in l) pipeline.link(l.machine, { state: l.link, since: l.ts, reconnects: 0, polls: 0, pollErrors: 0, overruns: 0 });
    else if ('startJob' in l) result = pipeline.startJob(l.machine, l.startJob, l.ts);
    else if ('endJob' in l) result = pipeline.endJob(l.machine, l.endJob, l.ts);
    else if ('assignReason' in l) {
      const note = { ...(l.assignReason.text !== undefined ? { text: l.assignReason.text } : {}), ...(l.assignReason.by !== undefined ? { by: l.assignReason.by } : {}) };
      result = pipeline.assignDowntimeReason(l.machine, l.assignReason.eventId, l.assignReason.reason, l.ts, note);
    }
    if (result) write(JSON.stringify({ ts: new Date(l.ts).toISOString(), machine: l.machine, kind: 'reply', body: result }));
  }
  // The last figures of the periods still open, so every replay ends with a full picture.
  pipeline.tick(clock);
  pipeline.publishLive(clock);
  return count;
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description(VERB_HELP.replay)
    .requiredOption('-c, --config <file>', 'configuration file')
    .requiredOption('-i, --input <file>', 'readings, one JSON object a line: {ts, machine, tag|signal, value, quality?} or {ts, machine, link}')
    .action((opts: { config: string; input: string }) => {
      const { config } = loadConfigOrExit(opts.config);
      let text: string;
      try {
        text = readFileSync(opts.input, 'utf8');
      } catch (err) {
        process.stderr.write(`cannot read ${opts.input}: ${(err as Error).message}\n`);
        process.exit(EXIT.invalidConfig);
      }
      const { lines, problems } = parseReplayInput(text, config);
      if (problems.length) {
        for (const p of problems.slice(0, 20)) process.stderr.write(`${opts.input}: ${p}\n`);
        if (problems.length > 20) process.stderr.write(`... and ${problems.length - 20} more\n`);
        process.stderr.write(`${problems.length} problem${problems.length === 1 ? '' : 's'} in ${opts.input}; nothing replayed\n`);
        process.exit(EXIT.invalidConfig);
      }
      const chunks: string[] = [];
      replay(config, lines, (l) => {
        chunks.push(l);
        if (chunks.length >= 1000) process.stdout.write(chunks.splice(0).join('\n') + '\n');
      });
      if (chunks.length) process.stdout.write(chunks.join('\n') + '\n');
    });
}
