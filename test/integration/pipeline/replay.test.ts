import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BODY_SCHEMAS } from '../../../agent/contract/payloads.ts';
import { ShiftCalendar } from '../../../agent/pipeline/calendar.ts';
import { shiftsSchema } from '../../../config/schema/shifts.ts';
import { runCli } from '../../helpers/cli.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { CONFIG_FILE, EXPECTED_FILE, READINGS_FILE, recordReadings } from '../../cases/replay/record.ts';

describe('lineside replay', () => {
  it('reproduces the expected output of the recorded sim day, byte for byte, every time', async () => {
    const expected = readFileSync(EXPECTED_FILE, 'utf8');
    const [a, b] = await Promise.all([1, 2].map(() => runCli(['replay', '--config', CONFIG_FILE, '--input', READINGS_FILE], { timeoutMs: 60_000 })));
    assert.equal(a!.code, 0, a!.stderr);
    assert.equal(a!.stdout, b!.stdout, 'two replays differ');
    assert.equal(a!.stdout, expected, 'replay output differs from test/cases/replay/expected.jsonl');
  });

  it('is fed by the sim model: the checked-in readings are what the model records', () => {
    assert.equal(recordReadings(), readFileSync(READINGS_FILE, 'utf8'));
  });

  it('covers what the day was recorded for, with valid bodies', () => {
    const events = readFileSync(EXPECTED_FILE, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    for (const e of events.filter((x) => x.schema)) {
      const r = BODY_SCHEMAS[e.schema as keyof typeof BODY_SCHEMAS].safeParse(e.body);
      assert.ok(r.success, `${e.schema}: ${r.error?.message}`);
    }
    const shifts = events.filter((e) => e.kind === 'oee' && e.body.kind === 'shift' && e.body.status === 'closed').map((e) => e.body);
    assert.deepEqual(shifts.map((s) => s.periodId), ['shift:night:2026-11-22', 'shift:early:2026-11-23', 'shift:late:2026-11-23']);
    for (const s of shifts) {
      assert.equal(s.times.elapsed, Date.parse(s.end) - Date.parse(s.start), `${s.periodId} states sum to its length`);
      assert.equal(s.counts.implausibleJumps, 0, 'the 16-bit wrap and the PLC reset are no jumps');
    }
    const late = shifts[2]!;
    // The 15-minute outage, from the last good reading before it (one poll, 10 s, earlier).
    assert.equal(late.times.unknown, 15 * 60_000 + 10_000, 'the outage');
    assert.ok(late.counts.excluded > 0);
    assert.equal(events.filter((e) => e.kind === 'job').length, 1);
    assert.ok(events.some((e) => e.kind === 'downtime' && e.body.microStop === true));
    assert.ok(events.some((e) => e.kind === 'downtime' && e.body.reason.code === 'jam'));
  });

  it('rejects bad input with line numbers and replays nothing', async () => {
    const dir = tempDir();
    const input = join(dir, 'bad.jsonl');
    writeFileSync(input, [
      '{"ts":1000,"machine":"sim-1","tag":"running","value":true}',
      'not json',
      '{"ts":2000,"machine":"nope","tag":"x","value":1}',
      '{"ts":500,"machine":"sim-1","signal":"partCount","value":3}',
      '{"ts":3000,"machine":"sim-1","cmd":"job","payload":{"commandId":"c1","action":"start","orderId":"PO-1","product":"A","idealCycleTime":900,"targetQuantity":5}}',
    ].join('\n'));
    const r = await runCli(['replay', '--config', CONFIG_FILE, '--input', input]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /line 2: expected a JSON object/);
    assert.match(r.stderr, /line 3: machine: expected one of sim-1, got "nope"/);
    assert.match(r.stderr, /line 4: ts: goes back in time/);
    assert.match(r.stderr, /line 5: payload.targetQuantity: unknown field; did you mean "target"\?/);
    assert.match(r.stderr, /4 problems; nothing replayed/);
  });
});

// A night of a press as a historian exports it: local wall times without an offset in the
// calendar's zone, through the night the clocks fall back (2026-10-25, Europe/Berlin), ending
// before the shift does (by more than staleAfter, so the end of the data is final whichever way
// the pipeline dates a silence).
describe('lineside replay of a historian export', () => {
  const dir = tempDir();
  const config = join(dir, 'replay.yaml');
  // Only what replay reads: no agent, no mqtt, a machine without a driver, named by the historian's tags.
  writeFileSync(config, `shifts:
  timezone: Europe/Berlin
  shifts: [{ name: night, days: [sat], start: "22:00", end: "06:00" }]
oee: { liveInterval: 1h }
machines:
  - id: press-2
    idealCycleTime: 1s
    pollInterval: 1m
    signals: { running: { tag: Press2.Running }, partCount: { tag: Press2.Count } }
`);
  const calendar = new ShiftCalendar(shiftsSchema.parse({ timezone: 'Europe/Berlin' }));
  const wall = (t: number) => new Date(t + calendar.offsetAt(t)).toISOString().slice(0, 19).replace('T', ' ');
  const rows: Array<{ t: number; tag: string; value: number | boolean | null }> = [];
  const STOP = [Date.parse('2026-10-24T21:10:00Z'), Date.parse('2026-10-24T21:20:00Z')];
  let count = 0;
  for (let t = Date.parse('2026-10-24T19:00:00Z'); t <= Date.parse('2026-10-25T04:56:00Z'); t += 60_000) {
    const running = t < STOP[0]! || t >= STOP[1]!;
    if (running && t > Date.parse('2026-10-24T19:00:00Z')) count += 50;
    rows.push({ t, tag: 'Press2.Running', value: running }, { t, tag: 'Press2.Count', value: count }, { t, tag: 'Press2.Temp', value: t % 600_000 === 0 ? null : 41.5 });
  }
  // Quoting as exports do it: some fields quoted, some not.
  const csv = ['timestamp,machine,tag,value', ...rows.map((r, i) => `${i % 3 ? wall(r.t) : `"${wall(r.t)}"`},press-2,${i % 2 ? `"${r.tag}"` : r.tag},${r.value ?? ''}`)].join('\r\n');
  const line = (ts: unknown, r: (typeof rows)[number]) => JSON.stringify({ ts, machine: 'press-2', tag: r.tag, value: r.value, ...(r.value === null ? { quality: 'bad' } : {}) });
  const inputs = {
    'export.csv': csv,
    'local.jsonl': rows.map((r) => line(wall(r.t), r)).join('\n'),
    'utc.jsonl': rows.map((r) => line(new Date(r.t).toISOString(), r)).join('\n'),
  };
  for (const [name, text] of Object.entries(inputs)) writeFileSync(join(dir, name), text);

  it('closes the same periods from CSV as from JSON lines, byte for byte, in any host time zone', async () => {
    const runs = Object.keys(inputs).flatMap((name) => ['UTC', 'Europe/Berlin', 'America/New_York'].map((TZ) => ({ name, TZ })));
    const results = await Promise.all(runs.map(({ name, TZ }) => runCli(['replay', '--config', config, '--input', join(dir, name), '--until', '2026-10-25 06:00'], { env: { TZ }, timeoutMs: 60_000 })));
    results.forEach((r, i) => {
      assert.equal(r.code, 0, `${runs[i]!.name} TZ=${runs[i]!.TZ}: ${r.stderr}`);
      assert.equal(r.stdout, results[0]!.stdout, `${runs[i]!.name} under TZ=${runs[i]!.TZ} differs from ${runs[0]!.name} under TZ=${runs[0]!.TZ}`);
    });
    const closed = results[0]!.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.kind === 'oee' && e.body.status === 'closed').map((e) => e.body);
    const [shift, ...more] = closed.filter((b) => b.kind === 'shift');
    assert.equal(more.length, 0);
    assert.deepEqual([shift.periodId, shift.start, shift.end], ['shift:night:2026-10-24', '2026-10-24T20:00:00.000Z', '2026-10-25T05:00:00.000Z']);
    assert.equal(shift.times.elapsed, 9 * 3_600_000, 'the night the clocks fall back lasts 9 h');
    assert.equal(shift.counts.total, (9 * 60 - 3) * 50 - 10 * 50, 'every minute of the shift but the stop and the last three made 50 parts, the repeated hour twice');
    assert.equal(shift.times.states.stopped, 10 * 60_000);
    // The hours from 21:00 to 06:00 local, 02:00 twice.
    assert.deepEqual(closed.filter((b) => b.kind === 'hour').map((b) => b.start.slice(11, 16)), ['19:00', '20:00', '21:00', '22:00', '23:00', '00:00', '01:00', '02:00', '03:00', '04:00']);
  });

  it('refuses an end before the last line', async () => {
    const r = await runCli(['replay', '--config', config, '--input', join(dir, 'export.csv'), '--until', '2026-10-25T05:00:00']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /--until: 2026-10-25T05:00:00 is before the last line \(2026-10-25T04:56:00.000Z\)/);
  });
});
