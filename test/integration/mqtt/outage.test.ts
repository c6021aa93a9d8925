import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { envelopeSchema } from '../../../agent/contract/envelope.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { Collector, analyse, missing } from './collector.ts';
import { LoadAgent } from './load-process.ts';
import { mesTestBed } from './test-bed.ts';

const OUTAGE_MS = 30_000;

describe('broker outage under load', () => {
  it('delivers every seq in order after a 30 s outage; duplicates repeat their msgId', async (t) => {
    const { broker, contract, mes } = await mesTestBed();
    const agent = new LoadAgent({ dataDir: tempDir(), url: broker.url, rate: 300, replayRate: 2000, stopAfterMs: OUTAGE_MS + 8000, machines: ['m1', 'm2', 'm3'] });
    after(() => agent.stop('SIGKILL'));
    await mes.until(() => mes.data().length >= 300, 30_000, 'live data before the outage');

    await broker.stop();
    await agent.msg('broker connection lost; buffering in the outbox');
    // The outage itself is the scenario (not a synchronisation): the agent keeps producing.
    await sleep(OUTAGE_MS);
    await broker.restart();
    const replay = await agent.waitFor((l) => l.msg === 'replaying backlog', 30_000);
    assert.ok((replay.depth as number) > 5000, `backlog of ${String(replay.depth)} after the outage`);
    const { lastSeq } = await agent.msg('drained', 90_000);
    await mes.until(() => analyse(mes.data()).firstSeqs.length >= (lastSeq as number), 30_000, 'every seq');

    const data = mes.data();
    const { firstSeqs, duplicates, dupIdsMatch, maxSeq } = analyse(data);
    t.diagnostic(`seqs ${firstSeqs.length}, duplicates ${duplicates}, backlog ${String(replay.depth)}`);
    assert.deepEqual(missing(firstSeqs, 1, lastSeq as number), [], 'no seq missing');
    assert.equal(maxSeq, lastSeq);
    assert.deepEqual(firstSeqs, [...firstSeqs].sort((a, b) => a - b), 'every seq first arrives in order');
    assert.ok(dupIdsMatch, 'each duplicate carries the msgId of its first copy');
    for (const machine of ['m1', 'm2', 'm3']) {
      const mine = data.filter((m) => m.json.machine === machine).map((m) => m.json.seq as number);
      const firsts = mine.filter((s, i) => mine.indexOf(s) === i);
      assert.deepEqual(firsts, [...firsts].sort((a, b) => a - b), `in order for ${machine}`);
    }
    const upTo = replay.upToSeq as number;
    for (const m of data) envelopeSchema.parse(m.json);
    assert.ok(data.filter((m) => (m.json.seq as number) > upTo + 1000).every((m) => m.json.replay === false), 'live messages after the backlog are not replay');
    assert.ok(data.filter((m) => { const s = m.json.seq as number; return s <= upTo && s > upTo - 1000; }).every((m) => m.json.replay === true), 'messages buffered during the outage carry replay: true');
    assert.ok(agent.lines.some((l) => l.msg === 'backlog replayed'));
    assert.ok(contract.total > 0, 'the contract checker saw messages');
    assert.deepEqual(contract.violations, [], contract.report());
  });
});
