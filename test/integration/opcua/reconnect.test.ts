// A server restart mid-stream (stop, wait, start on the same port): the machine runner marks the
// outage (bad readings, link disconnected) and data resumes in both modes without a new agent.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout } from 'node:timers/promises';
import { MachineRunner } from '../../../agent/machines/machine-runner.ts';
import { machineSchema } from '../../../config/schema/machine.ts';
import { createDriver } from '../../../drivers/registry.ts';
import { startOpcuaSimulator, type OpcuaSimulator } from '../../../drivers/sim/opcua-server.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { MACHINE_TAGS, quietLog, Recorder } from './fixtures.ts';

const OUTAGE_MS = 3000;

function runner(id: string, endpoint: string, mode: 'subscribe' | 'poll', rec: Recorder, dataDir: string): MachineRunner {
  const machine = machineSchema.parse({
    id,
    driver: 'opcua',
    idealCycleTime: '1s',
    pollInterval: '200ms',
    connection: { endpoint, mode, publishingInterval: '100ms', samplingInterval: '50ms', timeout: '2s' },
    tags: MACHINE_TAGS,
    signals: { running: { tag: 'running' }, partCount: { tag: 'partCount' } },
  });
  return new MachineRunner({ machine, createDriver, sink: rec.sink(), log: quietLog, dataDir, backoff: { minMs: 200, maxMs: 1000 } });
}

describe('OPC UA reconnect after a server restart', () => {
  const dir = tempDir('lineside-opcua-restart-');
  let sim: OpcuaSimulator | undefined;
  const runners: MachineRunner[] = [];
  after(async () => {
    await Promise.all(runners.map((r) => r.stop()));
    await sim?.stop();
  });

  it('marks the outage and resumes within seconds in subscribe and poll mode', async () => {
    const opts = { pkiDir: `${dir}/server-pki`, sim: { cycleTime: 200 } };
    sim = await startOpcuaSimulator(opts);
    const port = sim.port;
    const recs = { subscribe: new Recorder(), poll: new Recorder() };
    for (const mode of ['subscribe', 'poll'] as const) {
      const r = runner(`m-${mode}`, sim.endpoint, mode, recs[mode], dir);
      runners.push(r);
      r.start();
    }
    const goodPartsAfter = (rec: Recorder, since: number) => rec.readings.some((r) => r.tag === 'partCount' && r.quality === 'good' && r.ts > since && (r.value as number) > 0);
    for (const rec of Object.values(recs)) await rec.until(() => goodPartsAfter(rec, 0), 'first good readings');

    const stoppedAt = Date.now();
    await sim.stop();
    sim = undefined;
    for (const [mode, rec] of Object.entries(recs)) {
      await rec.until(() => rec.links.some((l) => l.state === 'disconnected' && l.since >= stoppedAt), `${mode}: link marked disconnected`);
    }
    // Subscribe mode learns of the loss from the socket and marks every tag bad before the runner flips the link.
    const subBad = recs.subscribe.readings.filter((r) => r.ts >= stoppedAt && r.quality === 'bad').map((r) => r.tag);
    assert.deepEqual([...new Set(subBad)].sort(), MACHINE_TAGS.map((t) => t.name).sort());

    // The outage itself: a scenario length, not a synchronisation; the runners retry meanwhile.
    await setTimeout(OUTAGE_MS);
    sim = await startOpcuaSimulator({ ...opts, port });
    const restartedAt = Date.now();
    for (const [mode, rec] of Object.entries(recs)) {
      const during = rec.readings.filter((r) => r.ts > stoppedAt + 500 && r.ts < restartedAt);
      assert.ok(during.every((r) => r.quality === 'bad'), `${mode}: nothing reads good while the server is down`);
    }
    for (const [mode, rec] of Object.entries(recs)) {
      await rec.until(() => goodPartsAfter(rec, restartedAt), `${mode}: readings resume`, 30_000);
      const resumed = rec.readings.find((r) => r.tag === 'partCount' && r.quality === 'good' && r.ts > restartedAt)!;
      assert.ok(resumed.ts - restartedAt < 15_000, `${mode} resumed ${resumed.ts - restartedAt} ms after the restart`);
      assert.equal(rec.links.at(-1)!.state, 'connected');
    }
    for (const r of runners) assert.ok(r.status.reconnects >= 1, `${r.id} reconnected`);
  });
});
