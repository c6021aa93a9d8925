import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { tempDir } from '../../helpers/tmp.ts';
import { Collector, analyse, missing } from './collector.ts';
import { LoadAgent } from './load-process.ts';
import { mesTestBed } from './test-bed.ts';

describe('in-flight window', () => {
  it('stays within the broker\'s Receive Maximum (MQTT 5) and still delivers everything in order', async () => {
    // mosquitto announces max_inflight_messages as its Receive Maximum; exceeding it is a protocol error.
    const { broker, contract, mes } = await mesTestBed({ extra: ['max_inflight_messages 5'] });
    const agent = new LoadAgent({ dataDir: tempDir(), url: broker.url, rate: 2000, inflight: 64, stopAfterMs: 1500 });
    after(() => agent.stop('SIGKILL'));
    const connected = await agent.msg('connected to broker');
    assert.equal(connected.window, 5);
    // Command replies share the window with the data: a burst of them must not overrun it either.
    await agent.msg('subscribed to commands');
    const replies = new Collector(broker.url, 'lineside/v1/acme/plant1/hall/line1/+/cmd/+/reply');
    after(() => replies.close());
    await replies.ready();
    const sender = await mqtt.connectAsync(broker.url, { clientId: 'mes-window' });
    after(() => sender.endAsync(true));
    for (let i = 0; i < 300; i++) sender.publish('lineside/v1/acme/plant1/hall/line1/m1/cmd/job', '{"bad":', { qos: 1 });
    await replies.until(() => replies.messages.length >= 300, 30_000, 'every reply');
    const { lastSeq, peakOnWire } = await agent.msg('drained', 60_000);
    assert.ok((peakOnWire as number) <= 5 && (peakOnWire as number) >= 2, `at most 5 publishes awaiting PUBACK on the wire, saw ${String(peakOnWire)}`);
    await mes.until(() => analyse(mes.data()).firstSeqs.length >= (lastSeq as number), 30_000, 'every seq');
    const { firstSeqs } = analyse(mes.data());
    assert.deepEqual(missing(firstSeqs, 1, lastSeq as number), []);
    assert.deepEqual(firstSeqs, [...firstSeqs].sort((a, b) => a - b));
    assert.equal(agent.lines.filter((l) => l.msg === 'connected to broker').length, 1, 'never disconnected for exceeding the window');
    assert.ok(contract.total > 0, 'the contract checker saw messages');
    assert.deepEqual(contract.violations, [], contract.report());
  });
});
