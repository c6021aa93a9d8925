// The real agent (`lineside run`, a simulated machine) as a Sparkplug edge node, killed with -9
// during a broker outage: on return the new session's Will carries the bdSeq of its NBIRTH (never
// one of a session before the crash), and what was buffered during the outage arrives as DDATA
// with is_historical.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { writeAgentConfig } from '../../helpers/agent-config.ts';
import { AgentProcess } from '../../helpers/agent-process.ts';
import { Mosquitto } from '../../helpers/mosquitto.ts';
import { Capture, type Captured } from './capture.ts';
import { metric, valueOf } from './decoder.ts';

const bdSeqOf = (m: Captured) => valueOf(metric(m.d, 'bdSeq')!) as number;

describe('Sparkplug edge node in the running agent', () => {
  it('tck-id-topics-nbirth-bdseq-matching tck-id-payloads-ndeath-bdseq is_historical: kill -9 during an outage; on return the Will matches the NBIRTH and the buffered data is historical', async () => {
    const broker = await Mosquitto.start();
    after(() => broker.stop());
    const capture = await Capture.start(broker.url);
    after(() => capture.close());
    const file = writeAgentConfig({
      id: 'spb-agent',
      body: `sparkplug:
  url: ${broker.url}
  groupId: plant1
  reconnectMin: 100ms
  reconnectMax: 1s
  replayRate: 2000
machines:
  - { id: press-1, driver: sim, idealCycleTime: 1s, pollInterval: 50ms, telemetry: { interval: 100ms }, connection: { speed: 100, cycleTime: 100ms } }
`,
    });
    const first = new AgentProcess(['run', '--config', file]);
    after(() => first.stop('SIGKILL'));
    const nbirth1 = await capture.next((m) => m.verb === 'NBIRTH', 'first NBIRTH', 0, 20_000);
    await capture.next((m) => m.verb === 'DDATA' && m.device === 'press-1', 'live DDATA', 0, 20_000);

    await broker.stop();
    const outageFrom = Date.now();
    await first.waitFor((l) => l.code === 'LS_MQTT_SPARKPLUG_UNREACHABLE', 20_000);
    // The simulated machine keeps producing; give it a moment's worth of data to buffer.
    await new Promise((r) => setTimeout(r, 1000));
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    const outageTo = Date.now();

    await broker.restart();
    await new Promise<void>((resolve) => (capture.client.connected ? resolve() : capture.client.once('connect', () => resolve())));
    await capture.client.subscribeAsync('spBv1.0/#', { qos: 1 });
    const from = capture.all.length;
    const second = new AgentProcess(['run', '--config', file]);
    after(() => second.stop('SIGKILL'));
    const nbirth2 = await capture.next((m) => m.verb === 'NBIRTH', 'NBIRTH after the restart', from, 20_000);
    assert.notEqual(bdSeqOf(nbirth2), bdSeqOf(nbirth1), 'a new session never reuses the bdSeq of one before the crash');
    assert.ok(bdSeqOf(nbirth2) > bdSeqOf(nbirth1), `bdSeq ${bdSeqOf(nbirth2)} follows ${bdSeqOf(nbirth1)} (and the failed CONNECTs of the outage)`);
    const dbirth = await capture.next((m) => m.verb === 'DBIRTH' && m.device === 'press-1', 'DBIRTH after the restart', from, 20_000);
    // The picture of the device lives in memory, but the machine's state outlives the restart in the pipeline.
    assert.ok(['running', 'stopped', 'fault', 'changeover', 'unknown', 'plannedStop'].includes(valueOf(metric(dbirth.d, 'State')!) as string), 'the DBIRTH after the restart carries the machine state');
    const hist = await capture.next((m) => m.verb === 'DDATA' && (m.d.metrics ?? []).some((x) => x.isHistorical && (x.timestamp ?? 0) >= outageFrom && (x.timestamp ?? 0) <= outageTo), 'historical DDATA from the outage', from, 20_000);
    assert.ok(capture.all.indexOf(dbirth) < capture.all.indexOf(hist), 'DBIRTH before the DDATA');
    for (const x of hist.d.metrics ?? []) assert.equal(x.isHistorical, true, x.name);

    // Historical telemetry comes in the order it was read (outbox order; other kinds carry their fact's time).
    const stamps = capture.all.slice(from).filter((m) => m.verb === 'DDATA' && m.d.metrics?.[0]?.isHistorical && m.d.metrics[0].name?.startsWith('Telemetry/')).map((m) => m.d.metrics![0]!.timestamp!);
    assert.ok(stamps.length >= 3, `${stamps.length} historical telemetry messages`);
    assert.deepEqual(stamps, [...stamps].sort((a, b) => a - b));

    const before = capture.all.length;
    second.child.kill('SIGKILL');
    const will = await capture.next((m) => m.verb === 'NDEATH', 'the Will of the second session', before, 20_000);
    assert.equal(bdSeqOf(will), bdSeqOf(nbirth2), "the Will's bdSeq matches the last NBIRTH's");
  });
});
