import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { Coalesced } from '../../../agent/lifecycle/coalesced.ts';

describe('Coalesced', () => {
  it('runs once on the next turn for every request made before it, and again when asked after', async () => {
    let runs = 0;
    const work = new Coalesced(() => runs++);
    for (let i = 0; i < 5; i++) work.request();
    assert.equal(runs, 0, 'not before the next turn');
    await nextTurn();
    assert.equal(runs, 1);
    work.request();
    await nextTurn();
    assert.equal(runs, 2);
  });
});
