import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '../../helpers/tmp.ts';
import { Collector, analyse, missing } from './collector.ts';
import { LoadAgent } from './load-process.ts';
import { mesTestBed } from './test-bed.ts';

describe('agent crash under load', () => {
  it('kill -9 at random moments, five times: after restarts no seq is missing', async (t) => {
    const { broker, contract, mes } = await mesTestBed();
    const dataDir = tempDir();
    const settings = { dataDir, url: broker.url, rate: 1000, mixed: true };
    const lastSeen: number[] = [];
    for (let round = 0; round < 5; round++) {
      const agent = new LoadAgent(settings);
      after(() => agent.stop('SIGKILL'));
      await agent.msg('connected to broker');
      // The random moment is the point of the test: anywhere in a commit, a lease, a publish.
      await sleep(200 + Math.floor(Math.random() * 1300));
      agent.child.kill('SIGKILL');
      await new Promise((r) => agent.child.once('exit', r));
      lastSeen.push(analyse(mes.data()).maxSeq);
      if (round === 0) {
        // The broker notices the dead connection and publishes the last will.
        await mes.until(() => mes.messages.some((m) => m.topic.endsWith('/_agent/load/status') && m.json.status === 'offline' && m.json.reason === 'connection-lost'), 20_000, 'last will');
      }
    }
    const final = new LoadAgent({ ...settings, stopAfterMs: 1000 });
    after(() => final.stop('SIGKILL'));
    const { lastSeq } = await final.msg('drained', 60_000);
    await mes.until(() => analyse(mes.data()).firstSeqs.length >= (lastSeq as number), 30_000, 'every seq');
    const { firstSeqs, duplicates, dupIdsMatch } = analyse(mes.data());
    t.diagnostic(`last seq ${String(lastSeq)}, seen at each kill ${lastSeen.join(', ')}, duplicates ${duplicates}`);
    assert.ok((lastSeq as number) > lastSeen[4]!, 'the agent kept producing after the restarts');
    assert.deepEqual(missing(firstSeqs, 1, lastSeq as number), [], 'no seq missing');
    assert.deepEqual(firstSeqs, [...firstSeqs].sort((a, b) => a - b), 'first arrivals in seq order');
    assert.ok(dupIdsMatch);
    await final.stop();
    assert.ok(contract.total > 0, 'the contract checker saw messages');
    assert.deepEqual(contract.violations, [], contract.report());
  });
});
