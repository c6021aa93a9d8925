import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { commandReplySchema } from '../../../agent/contract/commands.ts';
import { commandBed, MiB, ROOT } from './agent.ts';
import { LoadAgent } from '../mqtt/load-process.ts';
import { mesTestBed } from '../mqtt/test-bed.ts';
import { tempDir } from '../../helpers/tmp.ts';

describe('the MQTT maximum packet size', () => {
  it('keeps a 10 MB command out of the agent: its peak resident memory rises by far less than 20 MiB, and commands behind it are answered', async (t) => {
    const bed = await commandBed();
    // Settle first: the first scrape and the first commands allocate what they keep for good.
    await bed.metrics();
    await bed.sender.publishAsync(`${ROOT}/press-1/cmd/job`, JSON.stringify({ commandId: 'warm-up', action: 'end', orderId: 'none' }), { qos: 1 });
    await bed.replies.until(() => bed.replies.messages.length >= 1, 20_000, 'the warm-up reply');
    bed.resetPeak();
    const before = bed.rss();

    const huge = Buffer.alloc(10 * 1000 * 1000, 0x20);
    huge.write('{"commandId":"huge","action":"end","orderId":"x","pad":"');
    huge.write('"}', huge.length - 2);
    await bed.sender.publishAsync(`${ROOT}/press-1/cmd/job`, huge, { qos: 1 });
    // A command sent after the huge one is answered: the agent went past it (or never saw it).
    await bed.sender.publishAsync(`${ROOT}/press-1/cmd/job`, JSON.stringify({ commandId: 'after', action: 'end', orderId: 'none' }), { qos: 1 });
    await bed.replies.until(() => bed.replies.messages.some((m) => m.json.commandId === 'after'), 30_000, 'the reply to the command after the huge one');

    const peak = bed.rss('VmHWM');
    const settled = bed.rss();
    t.diagnostic(`agent RSS: ${(before / MiB).toFixed(1)} MiB before, peak ${(peak / MiB).toFixed(1)} MiB, ${(settled / MiB).toFixed(1)} MiB after a 10 MB command`);
    // The bar is 20 MiB. Reading the packet in costs about 19 MiB (mqtt-packet buffers all of it,
    // then copies out the payload), so under half of that shows it was never read at all.
    assert.ok(peak - before < 10 * MiB, `peak RSS rose by ${((peak - before) / MiB).toFixed(1)} MiB`);
    // Over mqtt.maxPacketSize the broker never delivers it (MQTT 5), so there is nothing to answer.
    const r = bed.replies.messages.map((m) => commandReplySchema.parse(m.json));
    assert.deepEqual(r.map((x) => [x.commandId, x.code]), [['warm-up', 'LS_CMD_NO_SUCH_JOB'], ['after', 'LS_CMD_NO_SUCH_JOB']], 'no reply to the huge command: the broker withheld it');
    assert.ok(bed.agent.alive);
    assert.equal((await bed.metrics()).value('lineside_mqtt_connects_total'), 1, 'the connection was never dropped');
  });

  it('answers a command between 16 KiB and mqtt.maxPacketSize with LS_CMD_TOO_LARGE', async () => {
    const bed = await commandBed({ mqtt: 'maxPacketSize: 64KiB' });
    await bed.sender.publishAsync(`${ROOT}/press-1/cmd/job`, JSON.stringify({ commandId: 'big', pad: 'x'.repeat(40_000) }), { qos: 1 });
    await bed.sender.publishAsync(`${ROOT}/press-1/cmd/job`, JSON.stringify({ commandId: 'bigger', pad: 'x'.repeat(80_000) }), { qos: 1 });
    await bed.sender.publishAsync(`${ROOT}/press-1/cmd/job`, JSON.stringify({ commandId: 'after', action: 'end', orderId: 'none' }), { qos: 1 });
    await bed.replies.until(() => bed.replies.messages.some((m) => m.json.commandId === 'after'), 20_000, 'the last reply');
    const r = bed.replies.messages.map((m) => commandReplySchema.parse(m.json));
    assert.deepEqual(r.map((x) => [x.commandId, x.code]), [['big', 'LS_CMD_TOO_LARGE'], ['after', 'LS_CMD_NO_SUCH_JOB']]);
  });

  it('does not limit what the agent publishes: a 200 KiB message goes out with maxPacketSize 20KiB', async () => {
    const { broker, mes, contract } = await mesTestBed();
    const agent = new LoadAgent({ dataDir: tempDir(), url: broker.url, rate: 5, padBytes: 200 * 1024, mqtt: { maxPacketSize: '20KiB' } });
    after(() => agent.stop('SIGKILL'));
    await mes.until(() => mes.data().length >= 3, 20_000, 'three large messages');
    for (const m of mes.data()) assert.ok(JSON.stringify(m.json).length > 200 * 1024);
    assert.deepEqual(contract.violations, [], contract.report());
  });
});
