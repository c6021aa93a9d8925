import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explain, merge } from '../../../ingest/gap-ranges.ts';

describe('gap ranges', () => {
  it('merges overlapping and adjacent ranges', () => {
    assert.deepEqual(merge([[5, 7], [1, 2], [3, 4], [6, 9], [12, 12]]), [[1, 9], [12, 12]]);
  });

  it('splits a hole into what drop reports explain and what stays open', () => {
    assert.deepEqual(explain([10, 20], [[10, 20]]), { explained: [[10, 20]], open: [] });
    assert.deepEqual(explain([10, 20], []), { explained: [], open: [[10, 20]] });
    assert.deepEqual(explain([10, 20], [[5, 12], [15, 16], [19, 30]]), { explained: [[10, 12], [15, 16], [19, 20]], open: [[13, 14], [17, 18]] });
    assert.deepEqual(explain([10, 20], [[1, 3], [30, 40]]), { explained: [], open: [[10, 20]] });
  });
});
