import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { commandReplySchema } from '../../../agent/contract/commands.ts';
import { agentStatusSchema } from '../../../agent/contract/status.ts';
import { envelopeSchema } from '../../../agent/contract/envelope.ts';
import { BODY_SCHEMAS } from '../../../agent/contract/payloads.ts';
import { AgentProcess } from '../../helpers/agent-process.ts';
import { Mosquitto } from '../../helpers/mosquitto.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { Collector } from './collector.ts';
import { ContractChecker } from '../../helpers/contract-checker.ts';

describe('lineside run with a broker', () => {
  it('announces itself, publishes the pipeline through the outbox, applies commands, and says "stopped" on SIGTERM', async () => {
    const broker = await Mosquitto.start();
    after(() => broker.stop());
    const contract = await ContractChecker.attach(broker.url);
    after(() => contract.close());
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
http: { port: 0 }
machines:
  - { id: press-1, driver: sim, idealCycleTime: 1s, pollInterval: 200ms }
`,
    );
    const agent = new AgentProcess(['run', '--config', file]);
    after(() => agent.stop('SIGKILL'));
    const running = await agent.waitFor((l) => l.msg === 'lineside running');
    await agent.waitFor((l) => l.msg === 'subscribed to commands');
    const { port } = await agent.waitFor((l) => l.msg === 'HTTP API listening');
    const statusTopic = 'lineside/v1/acme/p1/hall/l1/_agent/edge-1/status';
    await mes.until(() => mes.messages.some((m) => m.topic === statusTopic), 20_000, 'birth');
    const birth = agentStatusSchema.parse(mes.messages.find((m) => m.topic === statusTopic)!.json);
    assert.equal(birth.status, 'online');
    assert.equal(birth.configHash, running.configHash);

    const sender = await mqtt.connectAsync(broker.url, { clientId: 'mes-run' });
    after(() => sender.endAsync(true));
    const cmd = (machine: string, name: string, body: unknown) => sender.publishAsync(`lineside/v1/acme/p1/hall/l1/${machine}/cmd/${name}`, JSON.stringify(body), { qos: 1 });
    await cmd('press-1', 'job', { commandId: 'r1', action: 'start', orderId: 'PO-1', product: 'bolt', idealCycleTime: 1000, target: 50 });
    await cmd('lathe-2', 'job', { commandId: 'r2', action: 'end', orderId: 'PO-1' });
    await cmd('press-1', 'downtime-reason', { commandId: 'r3', eventId: 'no-such-event', reasonCode: 'jam' });
    await cmd('press-1', 'job', { commandId: 'r4', action: 'end', orderId: 'PO-1' });
    await mes.until(() => mes.messages.filter((m) => m.topic.endsWith('/reply')).length >= 4, 20_000, 'four replies');
    const replies = mes.messages.filter((m) => m.topic.endsWith('/reply')).map((m) => commandReplySchema.parse(m.json));
    assert.deepEqual(replies.map((r) => [r.commandId, r.status]), [['r1', 'accepted'], ['r2', 'rejected'], ['r3', 'rejected'], ['r4', 'accepted']]);
    assert.equal(replies[1]!.code, 'LS_CMD_UNKNOWN_MACHINE');
    assert.equal(replies[2]!.code, 'LS_CMD_UNKNOWN_EVENT');

    // The ended job's result comes from the pipeline, through the outbox, as an enveloped message.
    await mes.until(() => mes.data().some((m) => m.topic === 'lineside/v1/acme/p1/hall/l1/press-1/job' && (m.json.data as { orderId?: string }).orderId === 'PO-1'), 20_000, 'the job result');
    const data = mes.data();
    for (const m of data) {
      const env = envelopeSchema.parse(m.json);
      const body = BODY_SCHEMAS[env.schema as keyof typeof BODY_SCHEMAS];
      assert.ok(body, `known schema ${env.schema}`);
      body.parse(env.data);
      assert.equal(m.topic, `lineside/v1/acme/p1/hall/l1/${env.machine}/${env.schema.slice('lineside.'.length, env.schema.indexOf('/'))}`);
      assert.equal(env.msgId, `edge-1:${env.seq}`);
    }
    const seqs = data.map((m) => m.json.seq as number);
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1), 'seqs from 1 without gaps, in order');
    assert.ok(data.some((m) => m.topic.endsWith('/press-1/state')), 'state published');

    const metrics = await (await fetch(`http://127.0.0.1:${String(port)}/metrics`)).text();
    assert.match(metrics, /^lineside_mqtt_connected\{[^}]*\} 1$/m);
    assert.match(metrics, /^lineside_commands_total\{[^}]*result="accepted"[^}]*\} 2$/m);
    const lastSeq = Number(/^lineside_outbox_last_seq\{[^}]*\} (\d+)$/m.exec(metrics)?.[1]);
    assert.ok(lastSeq >= seqs.length, `last seq ${lastSeq} in /metrics`);
    const ready = (await (await fetch(`http://127.0.0.1:${String(port)}/readyz`)).text());
    assert.doesNotMatch(ready, /broker not connected/);
    await broker.stop();
    await agent.waitFor((l) => l.code === 'LS_MQTT_DISCONNECTED');
    const notReady = await fetch(`http://127.0.0.1:${String(port)}/readyz`);
    assert.equal(notReady.status, 503);
    assert.match(await notReady.text(), /broker not connected; \d+ messages buffered/);
    await broker.restart();
    await agent.waitFor((l) => l.msg === 'connected to broker' && l !== agent.lines.find((x) => x.msg === 'connected to broker'));

    assert.equal(await agent.stop('SIGTERM'), 0, agent.stderr);
    await mes.until(() => mes.messages.some((m) => m.topic === statusTopic && m.json.status === 'offline'), 10_000, 'offline');
    assert.equal(mes.messages.filter((m) => m.topic === statusTopic).at(-1)!.json.reason, 'stopped');
    assert.ok(contract.total > 0, 'the contract checker saw messages');
    assert.deepEqual(contract.violations, [], contract.report());
  });
});
