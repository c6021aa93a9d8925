// A server restart mid-stream (stop, wait, start on the same port): the machine runner marks the
// outage (bad readings, link disconnected) and data resumes in both modes without a new agent,
// within seconds of the server's return whatever the back-off had grown to, and without hammering
// a server that is down or one that answers but cannot be used.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout } from 'node:timers/promises';
import { MachineRunner } from '../../../agent/machines/machine-runner.ts';
import { machineSchema } from '../../../config/schema/machine.ts';
import type { MachineConfig } from '../../../config/schema/index.ts';
import type { Driver } from '../../../drivers/driver.ts';
import { createDriver } from '../../../drivers/registry.ts';
import { startOpcuaSimulator, type OpcuaSimulator } from '../../../drivers/sim/opcua-server.ts';
import { captureLog } from '../../helpers/capture-log.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { MACHINE_TAGS, quietLog, Recorder } from './fixtures.ts';

const OUTAGE_MS = 3000;

/** Counts what a runner asks of the driver: full connects and reachability probes, with when. */
class Counting {
  connects: number[] = [];
  probes: number[] = [];
  create = async (m: MachineConfig): Promise<Driver> => {
    const { reachable, ...d } = await createDriver(m);
    return {
      ...d,
      connect: (ctx) => (this.connects.push(Date.now()), d.connect(ctx)),
      ...(reachable ? { reachable: (signal: AbortSignal) => (this.probes.push(Date.now()), reachable(signal)) } : {}),
    };
  };
  between(list: number[], from: number, to: number): number {
    return list.filter((t) => t >= from && t < to).length;
  }
}

function machineConfig(id: string, endpoint: string, mode: 'subscribe' | 'poll') {
  return machineSchema.parse({
    id,
    driver: 'opcua',
    idealCycleTime: '1s',
    pollInterval: '200ms',
    connection: { endpoint, mode, publishingInterval: '100ms', samplingInterval: '50ms', timeout: '2s' },
    tags: MACHINE_TAGS,
    signals: { running: { tag: 'running' }, partCount: { tag: 'partCount' } },
  });
}

function runner(id: string, endpoint: string, mode: 'subscribe' | 'poll', rec: Recorder, dataDir: string): MachineRunner {
  return new MachineRunner({ machine: machineConfig(id, endpoint, mode), createDriver, sink: rec.sink(), log: quietLog, dataDir, backoff: { minMs: 200, maxMs: 1000 } });
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

  it("is back within 5 s of the server's return in at least 9 of 10 restarts, with the agent's default back-off", async (t) => {
    const opts = { pkiDir: `${dir}/server-pki-10`, sim: { cycleTime: 200 } };
    let server: OpcuaSimulator | undefined = await startOpcuaSimulator(opts);
    const port = server.port;
    const modes = ['subscribe', 'poll'] as const;
    const recs = { subscribe: new Recorder(), poll: new Recorder() };
    const counts = { subscribe: new Counting(), poll: new Counting() };
    const local: MachineRunner[] = [];
    try {
      for (const mode of modes) {
        // No backoff option: the agent's own schedule (1 s doubling to 60 s) is the one under test.
        const r = new MachineRunner({ machine: machineConfig(`r10-${mode}`, server.endpoint, mode), createDriver: counts[mode].create, sink: recs[mode].sink(), log: quietLog, dataDir: dir });
        local.push(r);
        r.start();
      }
      for (const mode of modes) await recs[mode].until(() => recs[mode].firstGoodArrivalAfter(0) !== undefined, `${mode}: first good readings`);

      // Outages long enough for the back-off to have grown past the 5 s the bar allows.
      const DOWN_MS = [3000, 5000, 2000, 4500, 6000, 3500, 5000, 2500, 4000, 5500];
      const latency: Record<(typeof modes)[number], number[]> = { subscribe: [], poll: [] };
      const down = { ms: 0, connects: { subscribe: 0, poll: 0 }, probes: { subscribe: 0, poll: 0 } };
      for (const outage of DOWN_MS) {
        const stoppedAt = Date.now();
        await server.stop();
        server = undefined;
        for (const mode of modes) await recs[mode].until(() => recs[mode].links.some((l) => l.state === 'disconnected' && l.since >= stoppedAt), `${mode}: outage noticed`);
        // The outage itself is the scenario's length, not a synchronisation.
        await setTimeout(Math.max(0, outage - (Date.now() - stoppedAt)));
        const startedAt = Date.now();
        server = await startOpcuaSimulator({ ...opts, port });
        const backAt = Date.now();
        for (const mode of modes) {
          down.connects[mode] += counts[mode].between(counts[mode].connects, stoppedAt, startedAt);
          down.probes[mode] += counts[mode].between(counts[mode].probes, stoppedAt, startedAt);
        }
        down.ms += startedAt - stoppedAt;
        for (const mode of modes) {
          await recs[mode].until(() => recs[mode].firstGoodArrivalAfter(backAt) !== undefined, `${mode}: readings after restart`, 30_000);
          latency[mode].push(recs[mode].firstGoodArrivalAfter(backAt)! - backAt);
        }
      }
      const seconds = down.ms / 1000;
      for (const mode of modes) {
        const within = latency[mode].filter((ms) => ms <= 5000).length;
        t.diagnostic(`${mode}: back after ${latency[mode].join(', ')} ms; while down ${down.connects[mode]} connects and ${down.probes[mode]} probes in ${seconds.toFixed(1)} s`);
        assert.ok(within >= 9, `${mode}: back within 5 s in ${within} of 10 restarts: ${latency[mode].join(', ')} ms`);
        // Not hammering: full connects follow the back-off (under one a second); probes, each a
        // refused TCP connect, come twice a second plus one as each back-off wait begins (timers on a
        // loaded CI machine fire late and then close together: an eighth more is still no hammering).
        assert.ok(down.connects[mode] <= seconds, `${mode}: ${down.connects[mode]} connects in ${seconds} s down`);
        assert.ok(down.probes[mode] <= Math.ceil(2.25 * seconds) + down.connects[mode] + DOWN_MS.length, `${mode}: ${down.probes[mode]} probes in ${seconds} s down`);
      }
    } finally {
      await Promise.all(local.map((r) => r.stop()));
      await server?.stop();
    }
  });

  it('keeps to the back-off for a port that accepts connections but is no OPC UA server, and says so once', async () => {
    // A web server where the PLC should be: connecting it always fails, quickly, so retrying at
    // the probe's pace would hammer it.
    const web = createServer((socket) => {
      // The client hangs up as soon as it has read enough: a reset here is expected. Reading what
      // it sent lets its hang-up close the socket, so close() below does not wait for it.
      socket.on('error', () => {});
      socket.resume();
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    const port = (web.address() as { port: number }).port;
    const counting = new Counting();
    const logged = captureLog('debug');
    const rec = new Recorder();
    const r = new MachineRunner({ machine: machineConfig('web', `opc.tcp://127.0.0.1:${port}`, 'subscribe'), createDriver: counting.create, sink: rec.sink(), log: logged.log, dataDir: dir });
    const startedAt = Date.now();
    r.start();
    try {
      // Watch it for a while: on the default schedule (1 s doubling, jittered) attempts come at
      // about 0, 0.75, 2.25 and 5.25 s; at the probe's pace there would be a dozen.
      await setTimeout(6000);
      const attempts = counting.between(counting.connects, startedAt, Date.now());
      assert.ok(attempts >= 2 && attempts <= 4, `${attempts} connect attempts in ${Date.now() - startedAt} ms`);
      assert.ok(counting.probes.length >= 1, 'the runner asked whether the port accepts connections');
      const warns = logged.lines.filter((l) => l.level === 40);
      assert.equal(warns.length, 1, JSON.stringify(warns));
      assert.match(String(warns[0]!.err), new RegExp(`127\\.0\\.0\\.1:${port} answered, but it is not an OPC UA server \\(it sent "HTTP/1\\.1 400 Bad Request"\\)`));
      assert.match(r.status.lastError ?? '', /not an OPC UA server/);
    } finally {
      await r.stop();
      await new Promise((resolve) => web.close(resolve));
    }
  });
});
