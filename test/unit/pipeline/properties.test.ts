import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BODY_SCHEMAS } from '../../../agent/contract/payloads.ts';
import type { ReplayLine } from '../../../agent/replay/input.ts';
import { replay } from '../../../agent/replay/run.ts';
import { HOUR, Harness, makeConfig } from './harness.ts';

const T0 = Date.UTC(2026, 10, 23, 5, 30); // 06:30 Berlin, Monday

const config = makeConfig({
  shifts: `{ timezone: Europe/Berlin, shifts: [{ name: early, days: [mon], start: "06:00", end: "08:00", breaks: [{ start: "07:00", duration: 10m }] }, { name: late, days: [mon], start: "08:00", end: "09:30" }] }`,
  oee: '{ liveInterval: 5m, excludeCommunicationLoss: true }',
  machine: `{ id: m1, driver: sim, idealCycleTime: 1s, pollInterval: 5s, states: { debounce: 3s, microStop: 1m }, signals: { running: { tag: running }, partCount: { tag: partCount, width: 16 }, rejectCount: { tag: rejectCount, width: 16 }, faultCode: { tag: faultCode }, changeover: { tag: mode, equals: 2 } } }`,
});

const step = fc.record({
  dt: fc.integer({ min: 1, max: 90_000 }),
  running: fc.boolean(),
  fault: fc.constantFrom(0, 0, 0, 101, 7),
  mode: fc.constantFrom(1, 1, 2),
  parts: fc.integer({ min: 0, max: 40 }),
  rejects: fc.integer({ min: 0, max: 3 }),
  quality: fc.constantFrom('good', 'good', 'good', 'bad'),
  link: fc.constantFrom('none', 'none', 'none', 'none', 'none', 'none', 'disconnected', 'connected'),
  reset: fc.constantFrom(false, false, false, false, false, false, false, false, false, true),
});

type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

/** A reading sequence as replay lines: counters wrap at 16 bits and are sometimes reset. */
function toLines(steps: Step[]): ReplayLine[] {
  const lines: ReplayLine[] = [];
  let t = T0;
  let parts = 65_000;
  let rejects = 0;
  for (const s of steps) {
    t += s.dt;
    if (s.link !== 'none') lines.push({ ts: t, machine: 'm1', link: s.link as 'connected' | 'disconnected' });
    parts = s.reset ? s.parts : (parts + s.parts) % 65_536;
    rejects = s.reset ? 0 : (rejects + Math.min(s.rejects, s.parts)) % 65_536;
    const q = s.quality as 'good' | 'bad';
    for (const [tag, value] of [['running', s.running], ['faultCode', s.fault], ['mode', s.mode], ['partCount', parts], ['rejectCount', rejects]] as const) {
      lines.push({ ts: t, machine: 'm1', reading: { tag, value, quality: q, ts: t } });
    }
  }
  return lines;
}

function run(lines: ReplayLine[]): string[] {
  const out: string[] = [];
  replay(config, lines, (l) => out.push(l));
  return out;
}

describe('pipeline properties', () => {
  it('closed periods: state durations sum to the length; A and Q in [0,1]; counts never negative; bodies valid', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 150 }), (steps) => {
        const h = new Harness(config, T0);
        const lines = toLines(steps);
        for (const l of lines) {
          if ('reading' in l) h.pipeline.readings('m1', [l.reading]);
          else if ('link' in l) h.pipeline.link('m1', { state: l.link, since: l.ts, reconnects: 0, polls: 0, pollErrors: 0, overruns: 0 });
        }
        // Far past the last shift, so every period closes.
        h.pipeline.tick(Math.max(lines.at(-1)!.ts, T0) + 6 * HOUR);
        let prevEnd: string | undefined;
        for (const e of h.events) {
          const b = e.body as Record<string, any>;
          assert.ok(BODY_SCHEMAS[e.schema as keyof typeof BODY_SCHEMAS].safeParse(b).success, `${e.schema} ${JSON.stringify(b)}`);
          if (e.kind === 'state') {
            if (prevEnd !== undefined) assert.equal(b.previous.start, prevEnd, 'states are contiguous');
            prevEnd = b.since;
            assert.ok(b.previous.durationMs >= 0);
          }
          if (e.kind !== 'oee') continue;
          for (const k of ['availability', 'quality'] as const) if (b[k] !== null) assert.ok(b[k] >= 0 && b[k] <= 1, `${k} ${b[k]}`);
          for (const v of Object.values(b.counts as Record<string, number>)) assert.ok(v >= 0);
          for (const v of Object.values(b.times.states as Record<string, number>)) assert.ok(v >= 0);
          if (b.status === 'closed') {
            const states = Object.values(b.times.states as Record<string, number>).reduce((x, y) => x + y, 0);
            assert.equal(states, Date.parse(b.end) - Date.parse(b.start), `${b.periodId}: states sum to the period length`);
          }
        }
        assert.ok(h.closed('shift').length >= 1);
      }),
      { numRuns: 120 },
    );
  });

  it('replaying the same input twice gives identical output', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 80 }), (steps) => {
        const lines = toLines(steps);
        assert.deepEqual(run(lines), run(lines));
      }),
      { numRuns: 40 },
    );
  });
});
