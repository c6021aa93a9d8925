import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { envelopeSchema } from '../../../agent/contract/envelope.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { Collector, analyse, missing } from './collector.ts';
import { LoadAgent } from './load-process.ts';
import { mesTestBed } from './test-bed.ts';

const inOrder = (seqs: number[]) => seqs.every((s, i) => i === 0 || s > seqs[i - 1]!);

for (const [ordering, OUTAGE_MS] of [['lanes', 30_000], ['strict', 12_000]] as const) describe(`broker outage under load (ordering: ${ordering})`, () => {
  it(`delivers every seq after a ${OUTAGE_MS / 1000} s outage, in order ${ordering === 'strict' ? 'overall' : 'within each lane'}; duplicates repeat their msgId`, async (t) => {
    const { broker, contract, mes } = await mesTestBed();
    const agent = new LoadAgent({ dataDir: tempDir(), url: broker.url, rate: 300, replayRate: 2000, stopAfterMs: OUTAGE_MS + 8000, machines: ['m1', 'm2', 'm3'], mqtt: { ordering } });
    after(() => agent.stop('SIGKILL'));
    await mes.until(() => mes.data().length >= 300, 30_000, 'live data before the outage');

    await broker.stop();
    await agent.msg('broker connection lost; buffering in the outbox');
    // The outage itself is the scenario (not a synchronisation): the agent keeps producing.
    await sleep(OUTAGE_MS);
    await broker.restart();
    const replay = await agent.waitFor((l) => l.msg === 'replaying backlog', 30_000);
    assert.ok((replay.depth as number) > (300 * OUTAGE_MS) / 2000, `backlog of ${String(replay.depth)} after the outage`);
    const { lastSeq } = await agent.msg('drained', 90_000);
    await mes.until(() => analyse(mes.data()).firstSeqs.length >= (lastSeq as number), 30_000, 'every seq');

    const data = mes.data();
    const { firstSeqs, duplicates, dupIdsMatch, maxSeq } = analyse(data);
    t.diagnostic(`seqs ${firstSeqs.length}, duplicates ${duplicates}, backlog ${String(replay.depth)}`);
    assert.deepEqual(missing(firstSeqs, 1, lastSeq as number), [], 'no seq missing');
    assert.equal(maxSeq, lastSeq);
    const upTo = replay.upToSeq as number;
    const backlog = firstSeqs.filter((q) => q <= upTo);
    const live = firstSeqs.filter((q) => q > upTo);
    assert.ok(inOrder(backlog), 'the backlog first arrives in seq order');
    assert.ok(inOrder(live), 'live messages first arrive in seq order');
    if (ordering === 'strict') assert.ok(inOrder(firstSeqs), 'strict: every seq first arrives in order');
    else {
      // Live went out beside the backlog: some live message arrived before the backlog's last one.
      const lastBacklogAt = firstSeqs.indexOf(backlog.at(-1)!);
      assert.ok(firstSeqs.indexOf(live[0]!) < lastBacklogAt, 'live messages did not wait for the backlog');
    }
    assert.ok(dupIdsMatch, 'each duplicate carries the msgId of its first copy');
    for (const m of data) envelopeSchema.parse(m.json);
    assert.ok(data.filter((m) => (m.json.seq as number) > upTo + 1000).every((m) => m.json.replay === false), 'live messages after the backlog are not replay');
    assert.ok(data.filter((m) => { const s = m.json.seq as number; return s <= upTo && s > upTo - 1000; }).every((m) => m.json.replay === true), 'messages buffered during the outage carry replay: true');
    assert.ok(agent.lines.some((l) => l.msg === 'backlog replayed'));
    // The checker reconnects after the outage on its own schedule: wait until it caught up.
    await contract.flush(30_000);
    assert.ok(contract.total > 0, 'the contract checker saw messages');
    assert.deepEqual(contract.violations, [], contract.report());
  });
});

