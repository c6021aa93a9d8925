import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BODY_SCHEMAS } from '../../../agent/contract/payloads.ts';
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
    assert.equal(late.times.unknown, 15 * 60_000, 'the outage');
    assert.ok(late.counts.excluded > 0);
    assert.equal(events.filter((e) => e.kind === 'job').length, 1);
    assert.ok(events.some((e) => e.kind === 'downtime' && e.body.microStop === true));
    assert.ok(events.some((e) => e.kind === 'downtime' && e.body.reason.code === 'jam'));
  });

  it('rejects bad input with line numbers and replays nothing', async () => {
    const dir = tempDir();
    const input = join(dir, 'bad.jsonl');
    writeFileSync(input, ['{"ts":1000,"machine":"sim-1","tag":"running","value":true}', 'not json', '{"ts":2000,"machine":"nope","tag":"x","value":1}', '{"ts":500,"machine":"sim-1","signal":"partCount","value":3}'].join('\n'));
    const r = await runCli(['replay', '--config', CONFIG_FILE, '--input', input]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /line 2: expected a JSON object/);
    assert.match(r.stderr, /line 3: machine: expected one of sim-1, got "nope"/);
    assert.match(r.stderr, /line 4: ts goes back in time/);
    assert.match(r.stderr, /3 problems/);
  });
});
