import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseDuration, parseSize } from '../../../config/schema/units.ts';

describe('units', () => {
  it('parses durations, compound ones too', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('15m'), 900_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('7d'), 604_800_000);
    assert.equal(parseDuration('15'), undefined);
    assert.equal(parseDuration('m15'), undefined);
    assert.equal(parseDuration('1 h'), undefined);
  });
  it('parses sizes in SI and IEC units', () => {
    assert.equal(parseSize('1GiB'), 1024 ** 3);
    assert.equal(parseSize('64MiB'), 64 * 1024 ** 2);
    assert.equal(parseSize('500MB'), 500e6);
    assert.equal(parseSize(4096), 4096);
    assert.equal(parseSize('12 kb'), 12_000);
    assert.equal(parseSize('lots'), undefined);
    assert.equal(parseSize(-1), undefined);
  });
  it('formats durations back to their shortest unit', () => {
    for (const t of ['250ms', '15s', '2m', '3h', '7d']) assert.equal(formatDuration(parseDuration(t)!), t);
  });
});
