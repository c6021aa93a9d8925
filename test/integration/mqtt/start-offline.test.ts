import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { envelopeSchema } from '../../../agent/contract/envelope.ts';
import { agentStatusSchema } from '../../../agent/contract/status.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { Collector, analyse, missing } from './collector.ts';
import { LoadAgent } from './load-process.ts';
import { mesTestBed } from './test-bed.ts';

describe('start offline', () => {
  it('buffers with no broker and delivers everything, in order and marked replay, once the broker appears', async () => {
    // The MES's persistent session exists before the outage, as it would in a plant.
    const { broker, contract, mes } = await mesTestBed();
    const port = broker.port;
    await broker.stop();
    const agent = new LoadAgent({ dataDir: tempDir(), url: `mqtt://127.0.0.1:${port}`, rate: 300, stopAfterMs: 3000 });
    after(() => agent.stop('SIGKILL'));
    await agent.msg('broker unreachable; buffering in the outbox and retrying with back-off');
    const stopped = await agent.msg('load stopped');
    const lastSeq = stopped.lastSeq as number;
    assert.ok(lastSeq > 300, `buffered ${lastSeq} messages while offline`);

    await broker.restart();
    await agent.msg('drained', 60_000);
    await mes.until(() => analyse(mes.data()).firstSeqs.length >= lastSeq, 30_000, 'every seq');

    const data = mes.data();
    const { firstSeqs, maxSeq } = analyse(data);
    assert.deepEqual(missing(firstSeqs, 1, lastSeq), []);
    assert.equal(maxSeq, lastSeq);
    assert.deepEqual(firstSeqs, [...firstSeqs].sort((a, b) => a - b), 'first arrivals in seq order');
    for (const m of data) {
      envelopeSchema.parse(m.json);
      assert.equal(m.json.replay, true, 'buffered while offline: replay');
      assert.equal(m.topic, `lineside/v1/acme/plant1/hall/line1/${m.json.machine as string}/telemetry`);
      assert.equal(m.json.msgId, `load:${m.json.seq as number}`);
    }
    const status = mes.messages.filter((m) => m.topic === 'lineside/v1/acme/plant1/hall/line1/_agent/load/status');
    assert.ok(status.length >= 1);
    const birth = agentStatusSchema.parse(status[status.length - 1]!.json);
    assert.equal(birth.status, 'online');
    assert.equal(birth.configHash, 'fixture');
    assert.match(birth.version ?? '', /^\d+\.\d+\.\d+/);
    assert.ok(agent.lines.some((l) => l.msg === 'replaying backlog' && (l.depth as number) >= lastSeq - 5));

    await agent.stop('SIGTERM');
    assert.equal(agent.child.exitCode, 0, agent.stderr);
    await mes.until(() => mes.messages.some((m) => m.topic.endsWith('/_agent/load/status') && m.json.status === 'offline'), 10_000, 'offline status');
    const last = mes.messages.filter((m) => m.topic.endsWith('/_agent/load/status')).at(-1)!;
    assert.equal(last.json.reason, 'stopped', 'a clean stop says so; the last will would say connection-lost');
    // The checker reconnects after the outage on its own schedule: wait until it caught up.
    await contract.flush(30_000);
    assert.ok(contract.total > 0, 'the contract checker saw messages');
    assert.deepEqual(contract.violations, [], contract.report());
  });
});
