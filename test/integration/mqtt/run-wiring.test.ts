import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { commandReplySchema } from '../../../agent/contract/commands.ts';
import { agentStatusSchema } from '../../../agent/contract/status.ts';
import { AgentProcess } from '../../helpers/agent-process.ts';
import { Mosquitto } from '../../helpers/mosquitto.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { Collector } from './collector.ts';

describe('lineside run with a broker', () => {
  it('announces itself, answers commands, and says "stopped" on SIGTERM', async () => {
    const broker = await Mosquitto.start();
    after(() => broker.stop());
    const mes = new Collector(broker.url);
    after(() => mes.close());
    await mes.ready();
    const dir = tempDir();
    const file = join(dir, 'lineside.yaml');
    writeFileSync(
      file,
      `agent: { id: edge-1, dataDir: ./data }
location: { enterprise: acme, site: p1, area: hall, line: l1 }
mqtt: { url: "${broker.url}", protocolVersion: 5 }
http: { enabled: false }
machines:
  - { id: press-1, driver: sim, idealCycleTime: 1s, pollInterval: 200ms }
`,
    );
    const agent = new AgentProcess(['run', '--config', file]);
    after(() => agent.stop('SIGKILL'));
    const running = await agent.waitFor((l) => l.msg === 'lineside running');
    await agent.waitFor((l) => l.msg === 'subscribed to commands');
    const statusTopic = 'lineside/v1/acme/p1/hall/l1/_agent/edge-1/status';
    await mes.until(() => mes.messages.some((m) => m.topic === statusTopic), 20_000, 'birth');
    const birth = agentStatusSchema.parse(mes.messages.find((m) => m.topic === statusTopic)!.json);
    assert.equal(birth.status, 'online');
    assert.equal(birth.configHash, running.configHash);

    const sender = await mqtt.connectAsync(broker.url, { clientId: 'mes-run' });
    after(() => sender.endAsync(true));
    await sender.publishAsync('lineside/v1/acme/p1/hall/l1/press-1/cmd/job', JSON.stringify({ commandId: 'r1', action: 'start', orderId: 'PO-1', product: 'p', idealCycleTime: 1000 }), { qos: 1 });
    await sender.publishAsync('lineside/v1/acme/p1/hall/l1/lathe-2/cmd/job', JSON.stringify({ commandId: 'r2', action: 'end', orderId: 'PO-1' }), { qos: 1 });
    await mes.until(() => mes.messages.filter((m) => m.topic.endsWith('/reply')).length >= 2, 20_000, 'two replies');
    const replies = mes.messages.filter((m) => m.topic.endsWith('/reply')).map((m) => commandReplySchema.parse(m.json));
    assert.deepEqual(replies.map((r) => [r.commandId, r.code]), [['r1', 'LS_CMD_UNAVAILABLE'], ['r2', 'LS_CMD_UNKNOWN_MACHINE']]);

    assert.equal(await agent.stop('SIGTERM'), 0, agent.stderr);
    await mes.until(() => mes.messages.some((m) => m.topic === statusTopic && m.json.status === 'offline'), 10_000, 'offline');
    assert.equal(mes.messages.filter((m) => m.topic === statusTopic).at(-1)!.json.reason, 'stopped');
  });
});
