// Subscribe and poll against the same simulator over TCP give the same values; a poll of more
// nodes than the server's MaxNodesPerRead is split; a subscription the server silently dropped
// is rebuilt by the watchdog.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AttributeIds, OPCUAClient } from 'node-opcua';
import { opcuaConnectionSchema } from '../../../config/schema/opcua.ts';
import { OpcuaDriver } from '../../../drivers/opcua/driver.ts';
import { startOpcuaSimulator, type OpcuaSimulator } from '../../../drivers/sim/opcua-server.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { MACHINE_TAGS, Recorder, snapshotValues } from './fixtures.ts';

const MAX_NODES_PER_READ = 4;

describe('OPC UA subscribe and poll against the simulator', () => {
  let sim: OpcuaSimulator;
  let t = Date.UTC(2026, 0, 5, 6, 0, 0);
  const dir = tempDir('lineside-opcua-modes-');

  before(async () => {
    // A manual clock: the machine only moves when the test says so, so both modes can be compared exactly.
    sim = await startOpcuaSimulator({ pkiDir: `${dir}/server-pki`, now: () => t, tickMs: 0, maxNodesPerRead: MAX_NODES_PER_READ, sim: { seed: 3, cycleTime: 2000, rejectRate: 0.2 } });
  });
  after(async () => {
    await sim?.stop();
  });

  it('gives the same values in subscribe and poll mode, with source timestamps and quality', async () => {
    const conn = (mode: 'poll' | 'subscribe') => opcuaConnectionSchema.parse({ endpoint: sim.endpoint, mode, publishingInterval: '100ms', samplingInterval: '50ms' });
    const pollRec = new Recorder();
    const subRec = new Recorder();
    const poll = new OpcuaDriver(conn('poll'), MACHINE_TAGS);
    const sub = new OpcuaDriver(conn('subscribe'), MACHINE_TAGS);
    try {
      await poll.connect(pollRec.context(`${dir}/client-a`));
      await sub.connect(subRec.context(`${dir}/client-b`));
      await sub.subscribe();
      let previous: Record<string, unknown> | undefined;
      for (const step of [0, 9_000, 61_000, 600_000]) {
        t += step;
        sim.update();
        const polled = await poll.read();
        assert.equal(polled.length, MACHINE_TAGS.length);
        assert.ok(polled.every((r) => r.quality === 'good' && typeof r.sourceTs === 'number'), JSON.stringify(polled));
        const pv = Object.fromEntries(polled.map((r) => [r.tag, r.value]));
        assert.deepEqual(pv, snapshotValues(sim.snapshot()));
        if (previous) assert.notDeepEqual(pv, previous, 'the machine moved between steps');
        previous = pv;
        await subRec.until(() => MACHINE_TAGS.every((tag) => subRec.latest.get(tag.name)?.value === pv[tag.name]), `subscription values ${JSON.stringify(pv)}`);
        assert.deepEqual(subRec.values(), pv);
        for (const tag of MACHINE_TAGS) {
          const s = subRec.latest.get(tag.name)!;
          const p = polled.find((r) => r.tag === tag.name)!;
          assert.equal(s.quality, 'good');
          assert.equal(s.sourceTs, p.sourceTs, `${tag.name}: the same source sample in both modes`);
        }
      }
    } finally {
      await poll.close();
      await sub.close();
    }
  });

  it('splits a poll larger than MaxNodesPerRead and reports unknown nodes as bad', async () => {
    // The limit is real: one Read of more nodes is refused by the server.
    const raw = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0 } });
    await raw.connect(sim.endpoint);
    const session = await raw.createSession();
    const nodes = MACHINE_TAGS.map((tg) => ({ nodeId: tg.nodeId, attributeId: AttributeIds.Value }));
    await assert.rejects(session.read(nodes), /BadTooManyOperations/);
    await session.close();
    await raw.disconnect();

    const tags = [...MACHINE_TAGS, { name: 'missing', nodeId: 'ns=2;s=Machine.DoesNotExist' }, ...MACHINE_TAGS.map((tg) => ({ name: `${tg.name}2`, nodeId: tg.nodeId }))];
    const rec = new Recorder();
    const poll = new OpcuaDriver(opcuaConnectionSchema.parse({ endpoint: sim.endpoint, mode: 'poll' }), tags);
    try {
      await poll.connect(rec.context(`${dir}/client-c`));
      const readings = await poll.read();
      assert.equal(poll.pollReader!.batchSize, MAX_NODES_PER_READ);
      assert.equal(poll.pollReader!.requests, Math.ceil(tags.length / MAX_NODES_PER_READ));
      assert.deepEqual(readings.map((r) => r.tag), tags.map((tg) => tg.name));
      const expected = snapshotValues(sim.snapshot());
      for (const r of readings) {
        if (r.tag === 'missing') assert.deepEqual([r.value, r.quality], [null, 'bad']);
        else assert.deepEqual([r.value, r.quality], [expected[r.tag.replace(/2$/, '')], 'good']);
      }
    } finally {
      await poll.close();
    }
  });

  it('reports a node that does not exist as bad and picks it up once it appears', async () => {
    const rec = new Recorder();
    const tags = [...MACHINE_TAGS, { name: 'late', nodeId: 'ns=2;s=Late.Tag' }];
    const sub = new OpcuaDriver(opcuaConnectionSchema.parse({ endpoint: sim.endpoint, publishingInterval: '100ms' }), tags, { retryFailedMs: 500 });
    try {
      await sub.connect(rec.context(`${dir}/client-e`));
      await sub.subscribe();
      await rec.until(() => rec.latest.size === tags.length, 'initial values');
      assert.deepEqual([rec.latest.get('late')!.quality, rec.latest.get('late')!.value], ['bad', null]);
      assert.ok(MACHINE_TAGS.every((tg) => rec.latest.get(tg.name)!.quality === 'good'), 'the other tags are unaffected');
      sim.addVariable('Late.Tag', 42.5);
      await rec.until(() => rec.latest.get('late')?.value === 42.5 && rec.latest.get('late')?.quality === 'good', 'the late node read good');
    } finally {
      await sub.close();
    }
  });

  it('rebuilds a subscription the server dropped without telling the client', async () => {
    const rec = new Recorder();
    const conn = opcuaConnectionSchema.parse({ endpoint: sim.endpoint, publishingInterval: '100ms', keepAliveCount: 3 });
    const sub = new OpcuaDriver(conn, MACHINE_TAGS);
    try {
      await sub.connect(rec.context(`${dir}/client-d`));
      await sub.subscribe();
      await rec.until(() => rec.latest.size === MACHINE_TAGS.length, 'initial values');
      assert.ok(sim.dropSubscriptions() >= 1);
      const before = rec.readings.length;
      t += 30_000;
      sim.update();
      const expected = snapshotValues(sim.snapshot());
      // The watchdog marks the silent items bad, rebuilds, and the new subscription delivers the new values.
      await rec.until(() => rec.readings.slice(before).some((r) => r.quality === 'bad'), 'silent subscription marked bad');
      await rec.until(() => Object.entries(expected).every(([k, v]) => rec.latest.get(k)?.value === v && rec.latest.get(k)?.quality === 'good'), 'values after the rebuild');
      assert.ok(sub.subscriptions!.rebuilds >= 1);
      assert.equal(rec.lostErrors.length, 0, 'a rebuilt subscription does not drop the session');
    } finally {
      await sub.close();
    }
  });
});
