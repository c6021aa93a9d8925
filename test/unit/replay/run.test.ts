import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseJsonLines } from '../../../agent/replay/jsonl.ts';
import { replay } from '../../../agent/replay/run.ts';
import { replayConfig } from './setup.ts';

const config = replayConfig();

/** Replay JSON lines; the events as objects. */
function run(lines: object[], until?: string) {
  const input = parseJsonLines(lines.map((l) => JSON.stringify(l)).join('\n'), config);
  assert.deepEqual(input.problems, []);
  const out: string[] = [];
  replay(config, input.lines, (l) => out.push(l), until === undefined ? {} : { until: Date.parse(until) });
  return out.map((l) => JSON.parse(l));
}

/** Readings every 10 s from `from` to `to` (local Berlin wall time on 2026-11-23, a Monday). */
function polls(from: string, to: string): object[] {
  const out: object[] = [];
  let parts = 0;
  for (let t = Date.parse(`2026-11-23T${from}+01:00`); t <= Date.parse(`2026-11-23T${to}+01:00`); t += 10_000) {
    out.push({ ts: t, machine: 'm1', tag: 'Press.Running', value: true }, { ts: t, machine: 'm1', tag: 'Press.Count', value: (parts += 10) });
  }
  return out;
}

const closedShifts = (events: any[]) => events.filter((e) => e.kind === 'oee' && e.body.kind === 'shift' && e.body.status === 'closed').map((e) => e.body);

describe('replay clock', () => {
  it('leaves a shift open when the input ends before the shift does', () => {
    const events = run(polls('13:50:00', '13:59:00'));
    assert.deepEqual(closedShifts(events), []);
    assert.equal(events.at(-1).ts, '2026-11-23T12:59:00.000Z');
  });

  it('with until, runs the clock on to where the input ends, so the periods up to then close', () => {
    const events = run(polls('13:50:00', '13:59:00'), '2026-11-23T14:00:00+01:00');
    const [shift] = closedShifts(events);
    assert.equal(shift?.periodId, 'shift:early:2026-11-23');
    assert.equal(shift.end, '2026-11-23T13:00:00.000Z');
    assert.equal(shift.times.elapsed, 8 * 3_600_000, 'the states add up to the whole shift');
    // The last minute had no readings (staleAfter = 3 × pollInterval = 30 s): part of it is unknown.
    assert.ok(shift.times.states.unknown > 8 * 3_600_000 - 10 * 60_000, 'the shift before the input began is unknown too');
    assert.equal(events.at(-1).ts, '2026-11-23T13:00:00.000Z');
  });

  it('answers a repeated command id without applying it again, as the MQTT handler does', () => {
    const start = { ts: Date.parse('2026-11-23T06:00:00+01:00'), machine: 'm1', cmd: 'job', payload: { commandId: 'c1', action: 'start', orderId: 'PO-1', product: 'A', idealCycleTime: 900 } };
    const events = run([...polls('06:00:00', '06:00:00'), start, { ...start, ts: start.ts + 60_000 }, ...polls('06:01:10', '06:01:10')]);
    const replies = events.filter((e) => e.kind === 'reply').map((e) => e.body);
    assert.equal(replies.length, 2);
    assert.equal(replies[0].ok, true);
    assert.deepEqual(replies[1], { ...replies[0], duplicate: true });
    // Applied twice, the second start would have ended the first job and published its result.
    assert.deepEqual(events.filter((e) => e.kind === 'job'), []);
  });
});
