import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { Aedes } from 'aedes';
import { parseConfig } from '../../../config/loader.ts';
import { Outbox } from '../../../agent/outbox/outbox.ts';
import { Publisher } from '../../../agent/publish/publisher.ts';
import { captureLog } from '../../helpers/capture-log.ts';
import { tempDir } from '../../helpers/tmp.ts';

describe('publisher stop', () => {
  it('finishes when the broker acknowledges the offline status but never the data in flight', async () => {
    // A broker that stalls on data (never answers those PUBLISHes) but still handles the status
    // topic: the clean disconnect then waits for PUBACKs that will not come.
    const broker = await Aedes.createBroker({
      authorizePublish: (_client, packet, cb) => {
        if (packet.topic.includes('/_agent/')) cb(null);
      },
    });
    const sockets = new Set<Socket>();
    const server = createServer((s) => {
      sockets.add(s);
      broker.handle(s);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    after(() => {
      for (const s of sockets) s.destroy();
      server.close();
      broker.close();
    });
    const dir = tempDir();
    const { config } = parseConfig(
      `agent: { id: t, dataDir: ${dir} }
location: { enterprise: e, site: s, area: a, line: l }
mqtt: { url: 'mqtt://127.0.0.1:${(server.address() as AddressInfo).port}', protocolVersion: 4 }
machines: [{ id: m1, driver: sim, idealCycleTime: 1s }]
`,
      't.yaml',
      { env: {} },
    );
    const cap = captureLog();
    const outbox = new Outbox({ dataDir: dir, synchronous: 'normal', commitInterval: 10, maxBytes: 1 << 30, maxAge: 86_400_000, log: cap.log });
    await outbox.start();
    const publisher = new Publisher({ config: config.mqtt, agentId: 't', root: config.location, outbox, log: cap.log, version: '0', configHash: 'h' });
    const connected = new Promise<void>((resolve) => publisher.onConnect(() => resolve()));
    await publisher.start();
    await connected;
    outbox.append([{ kind: 'telemetry', machine: 'm1', schema: 'lineside.telemetry/1', ts: Date.now(), body: { tag: 'x', value: 1 } }]);
    outbox.flush();
    // The pump runs on the next turn (setImmediate, queued by the commit before ours).
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(publisher.mqttStats().inflight > 0, 'a publish awaits its PUBACK');
    let timer: NodeJS.Timeout | undefined;
    const t0 = performance.now();
    await Promise.race([
      publisher.stop(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('publisher.stop() did not finish within 10 s')), 10_000);
      }),
    ]).finally(() => clearTimeout(timer));
    assert.ok(performance.now() - t0 < 10_000);
    assert.equal(publisher.connected, false);
    assert.ok(cap.find((l) => l.msg === 'clean disconnect failed'), 'the stalled disconnect was noticed');
    assert.equal(outbox.stats().depth, 1, 'the unacknowledged row stays in the outbox');
    await outbox.stop();
  });
});
