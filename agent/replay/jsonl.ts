// Replay input as JSON lines: one object a line, in time order. Each line is a reading
// `{ts, machine, tag | signal, value, quality?}`, a link change `{ts, machine, link}` or a command
// `{ts, machine, cmd, payload}`. Every field outside these is a problem: a misspelt `qualty` would
// otherwise quietly read as good.
import type { ReplayConfig } from '../../config/schema/replay.ts';
import type { SignalName } from '../pipeline/signals.ts';
import { parseCommand } from './commands.ts';
import { InputBuilder } from './input.ts';

const READING = ['ts', 'machine', 'tag', 'signal', 'value', 'quality'];
const LINK = ['ts', 'machine', 'link'];
const COMMAND = ['ts', 'machine', 'cmd', 'payload'];

/** Keys of replay's former command lines, and what they are now. */
const FORMER: Record<string, string> = {
  startJob: '{"cmd":"job","payload":{"commandId":…,"action":"start",…}}',
  endJob: '{"cmd":"job","payload":{"commandId":…,"action":"end","orderId":…}}',
  assignReason: '{"cmd":"downtime-reason","payload":{"commandId":…,"eventId":…,"reasonCode":…}}',
};

export function parseJsonLines(text: string, config: ReplayConfig): InputBuilder {
  const input = new InputBuilder(config);
  text.split('\n').forEach((raw, i) => {
    const n = i + 1;
    if (raw.trim() === '') return;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(raw) as Record<string, unknown>;
      if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new Error('not an object');
    } catch {
      return void input.problem(n, undefined, 'expected a JSON object');
    }
    const former = Object.keys(o).find((k) => k in FORMER);
    if (former) return void input.problem(n, former, `commands are written as the MQTT contract has them: ${FORMER[former]}`);
    const allowed = 'link' in o ? LINK : 'cmd' in o ? COMMAND : READING;
    if (input.unknownFields(n, Object.keys(o), allowed)) return;
    const ts = input.time(n, 'ts', o.ts);
    const m = input.machine(n, o.machine);
    if (ts === undefined || !m) return;
    const machine = m.id;
    if (allowed === LINK) {
      if (o.link !== 'connected' && o.link !== 'disconnected') return void input.problem(n, 'link', 'expected "connected" or "disconnected"');
      return void input.push({ ts, machine, link: o.link });
    }
    if (allowed === COMMAND) {
      const r = parseCommand(o.cmd, o.payload);
      if ('problems' in r) return void r.problems.forEach((p) => input.problem(n, undefined, p));
      return void input.push({ ts, machine, command: r.command });
    }
    if (o.tag !== undefined && o.signal !== undefined) return void input.problem(n, 'signal', 'give tag or signal, not both');
    let tag = o.tag;
    if (tag === undefined && typeof o.signal === 'string') {
      tag = m.signals[o.signal as SignalName]?.tag;
      if (tag === undefined) return void input.problem(n, 'signal', `${o.signal} is not configured for ${machine}`);
    }
    if (typeof tag !== 'string') return void input.problem(n, undefined, 'expected tag, signal, link or cmd');
    input.reading(n, ts, machine, tag, o.value, o.quality ?? 'good');
  });
  return input;
}
