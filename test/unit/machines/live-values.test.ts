import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Reading } from '../../../drivers/driver.ts';
import { LiveValues } from '../../../agent/machines/live-values.ts';

const r = (tag: string, value: number, ts = value): Reading => ({ tag, value, quality: 'good', ts });

describe('live values', () => {
  it('holds the latest reading of every tag, in the order tags first came, whatever order polls bring them in', () => {
    const live = new LiveValues();
    const want: Record<string, Reading> = {};
    const polls = [
      [r('b', 1), r('a', 1), r('10', 1)],
      [r('b', 2), r('a', 2), r('10', 2)],
      [r('a', 3), r('c', 3)],
      [r('c', 4), r('b', 4), r('a', 4), r('10', 4), r('2', 4)],
      [r('b', 5), r('b', 6)],
    ];
    let n = 0;
    for (const poll of polls) {
      live.readings('m1', poll);
      for (const x of poll) want[x.tag] = x;
      n += poll.length;
      const got = live.get('m1')!;
      assert.deepEqual(got.tags, want);
      assert.deepEqual(Object.keys(got.tags), Object.keys(want));
      assert.equal(got.readings, n);
    }
    assert.equal(live.get('m1')!.tags.b, polls[4]![1]);
    assert.equal(live.get('m2'), undefined);
  });
});
