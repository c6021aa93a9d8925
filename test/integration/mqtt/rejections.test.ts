// MQTT 5 permanent rejections: a broker that will never take a message (its ACL denies the
// topic: PUBACK 0x87) must not make the agent resend it forever while newer messages pile up.
// The message becomes a dead letter of `mqtt` and the rest flows on. (mosquitto 2.0.11, Debian
// bookworm's, also drops the connection after such a PUBACK; the agent reconnects each time,
// so the test also shows that this costs the other machines nothing but a short delay.)
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Mosquitto } from '../../helpers/mosquitto.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { Collector } from './collector.ts';
import { LoadAgent } from './load-process.ts';

describe('MQTT 5 permanent rejections', () => {
  it('dead-letters what the broker refuses for good (0x87) and keeps the other machines flowing', async () => {
    const acl = join(tempDir(), 'acl');
    writeFileSync(acl, 'topic deny lineside/v1/acme/plant1/hall/line1/m2/#\ntopic readwrite lineside/#\n');
    const broker = await Mosquitto.start({ extra: [`acl_file ${acl}`] });
    after(() => broker.stop());
    const mes = new Collector(broker.url);
    after(() => mes.close());
    await mes.ready();
    const dataDir = tempDir();
    const agent = new LoadAgent({ dataDir, url: broker.url, rate: 40, machines: ['m1', 'm2'], protocolVersion: 5 });
    after(() => agent.stop('SIGKILL'));
    const rejected = await agent.waitFor((l) => l.code === 'LS_MQTT_REJECTED', 60_000);
    assert.equal(rejected.reasonCode, 'mqtt-0x87');
    assert.match(String(rejected.topic), /\/m2\/telemetry$/);
    // m1's messages get through beside the refused ones (slowly when the broker keeps dropping
    // the connection: how fast depends on the broker, not on the agent).
    await mes.until(() => mes.data().some((m) => m.json.machine === 'm1' && (m.json.seq as number) > (rejected.seq as number)), 60_000, 'm1 delivered after the refusal');

    const db = new Database(join(dataDir, 'outbox.db'), { readonly: true });
    after(() => db.close());
    const dead = db.prepare("SELECT d.seq, o.machine, d.code FROM dead_letters d JOIN outbox o USING (seq) WHERE d.dest = 'mqtt'").all() as Array<{ seq: number; machine: string; code: string }>;
    assert.ok(dead.length >= 1, `refused messages are dead letters (${dead.length})`);
    assert.ok(dead.every((d) => d.machine === 'm2' && d.code === 'mqtt-0x87'));
    assert.equal(mes.data().filter((m) => m.json.machine === 'm2').length, 0);
    assert.equal(agent.child.exitCode, null, 'the agent runs on');
  });
});
