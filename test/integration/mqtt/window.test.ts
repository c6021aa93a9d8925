import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Mosquitto } from '../../helpers/mosquitto.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { Collector, analyse, missing } from './collector.ts';
import { LoadAgent } from './load-process.ts';

describe('in-flight window', () => {
  it('stays within the broker\'s Receive Maximum (MQTT 5) and still delivers everything in order', async () => {
    // mosquitto announces max_inflight_messages as its Receive Maximum; exceeding it is a protocol error.
    const broker = await Mosquitto.start({ extra: ['max_inflight_messages 5'] });
    after(() => broker.stop());
    const mes = new Collector(broker.url);
    after(() => mes.close());
    await mes.ready();
    const agent = new LoadAgent({ dataDir: tempDir(), url: broker.url, rate: 2000, inflight: 64, stopAfterMs: 1500 });
    after(() => agent.stop('SIGKILL'));
    const connected = await agent.msg('connected to broker');
    assert.equal(connected.window, 5);
    const { lastSeq } = await agent.msg('drained', 60_000);
    await mes.until(() => analyse(mes.data()).firstSeqs.length >= (lastSeq as number), 30_000, 'every seq');
    const { firstSeqs } = analyse(mes.data());
    assert.deepEqual(missing(firstSeqs, 1, lastSeq as number), []);
    assert.deepEqual(firstSeqs, [...firstSeqs].sort((a, b) => a - b));
    assert.equal(agent.lines.filter((l) => l.msg === 'connected to broker').length, 1, 'never disconnected for exceeding the window');
  });
});
