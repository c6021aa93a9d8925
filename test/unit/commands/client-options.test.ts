import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientOptions } from '../../../agent/publish/client-options.ts';
import { configSchema } from '../../../config/schema/index.ts';

const config = (mqtt: Record<string, unknown> = {}) =>
  configSchema.safeParse({
    agent: { id: 'a1' },
    location: { enterprise: 'e', site: 's', area: 'a', line: 'l' },
    mqtt: { url: 'mqtt://127.0.0.1:1883', ...mqtt },
    machines: [{ id: 'm1', driver: 'sim', idealCycleTime: '1s' }],
  });

describe('the packet size the agent accepts', () => {
  it('is announced as the MQTT 5 Maximum Packet Size, 256 KiB unless configured', () => {
    const def = config();
    assert.ok(def.success);
    assert.equal(def.data.mqtt.maxPacketSize, 256 * 1024);
    assert.equal(clientOptions(def.data.mqtt, 'a1', 'status', 0).properties?.maximumPacketSize, 256 * 1024);
    const set = config({ maxPacketSize: '1MiB' });
    assert.ok(set.success);
    assert.equal(clientOptions(set.data.mqtt, 'a1', 'status', 0).properties?.maximumPacketSize, 1024 * 1024);
  });

  it('has no MQTT 3.1.1 equivalent: no CONNECT properties there', () => {
    const v4 = config({ protocolVersion: 4 });
    assert.ok(v4.success);
    assert.equal(clientOptions(v4.data.mqtt, 'a1', 'status', 0).properties, undefined);
  });

  it('must leave room for a 16 KiB command and stay within what MQTT can express', () => {
    for (const bad of ['16KiB', '512MiB', 'lots']) {
      const r = config({ maxPacketSize: bad });
      assert.equal(r.success, false, bad);
      assert.deepEqual(r.error!.issues[0]!.path, ['mqtt', 'maxPacketSize'], bad);
    }
    for (const [key, bad] of [['commandRate', 0], ['commandBurst', 0], ['commandBurst', 1.5]] as const) assert.equal(config({ [key]: bad }).success, false, `${key} ${bad}`);
    const ok = config({ commandRate: 0.5, commandBurst: 3 });
    assert.ok(ok.success);
    assert.deepEqual([ok.data.mqtt.commandRate, ok.data.mqtt.commandBurst], [0.5, 3]);
  });
});
