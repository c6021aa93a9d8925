// The Sparkplug B 3.0 edge node against a real mosquitto, keyed by the specification's tck-id
// assertions of the edge node profile. Every payload is decoded by the test's own decoder.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Mosquitto } from '../../helpers/mosquitto.ts';
import { startBed, telemetry, type Bed } from './bed.ts';
import type { Captured } from './capture.ts';
import { encode, metric, valueOf } from './decoder.ts';

const G = 'plant1-hall-line1';
const NODE = `spBv1.0/${G}/%s/edge-1`;
const topic = (verb: string, device?: string) => NODE.replace('%s', verb) + (device ? `/${device}` : '');
const bdSeqOf = (m: Captured) => valueOf(metric(m.d, 'bdSeq')!);

let broker: Mosquitto;
before(async () => {
  broker = await Mosquitto.start();
});
after(async () => {
  await broker.stop();
});

async function bed(t: { after: (fn: () => Promise<void>) => void }, sparkplug: Record<string, unknown> = {}): Promise<Bed> {
  const b = await startBed(sparkplug, broker);
  t.after(() => b.close());
  return b;
}

describe('Sparkplug B edge node (mosquitto)', () => {
  it('tck-id-topics-nbirth-seq-num tck-id-topics-nbirth-bdseq-included tck-id-topics-nbirth-rebirth-metric tck-id-topics-nbirth-mqtt: NBIRTH has seq 0, bdSeq, Node Control/Rebirth = false, QoS 0, not retained', async (t) => {
    const b = await bed(t);
    const nbirth = await b.capture.next((m) => m.verb === 'NBIRTH', 'NBIRTH');
    assert.equal(nbirth.topic, topic('NBIRTH'));
    assert.equal(nbirth.d.seq, 0);
    assert.equal(nbirth.qos, 0);
    assert.equal(nbirth.retain, false);
    assert.ok(typeof nbirth.d.timestamp === 'number' && Math.abs(nbirth.d.timestamp - Date.now()) < 10_000, 'tck-id-topics-nbirth-timestamp');
    const bd = metric(nbirth.d, 'bdSeq');
    assert.equal(bd?.datatype, 4, 'bdSeq is Int64');
    assert.equal(typeof valueOf(bd!), 'number');
    const rebirth = metric(nbirth.d, 'Node Control/Rebirth');
    assert.equal(rebirth?.datatype, 11);
    assert.equal(rebirth?.booleanValue, false);
    for (const m of nbirth.d.metrics ?? []) assert.ok(m.name && m.datatype, `tck-id-topics-nbirth-metrics: ${JSON.stringify(m)}`);
  });

  it('tck-id-payloads-ndeath-will-message tck-id-payloads-ndeath-will-message-qos tck-id-payloads-ndeath-will-message-retain tck-id-payloads-ndeath-bdseq tck-id-topics-ndeath-seq tck-id-topics-nbirth-bdseq-matching tck-id-topics-nbirth-bdseq-increment: the Will is NDEATH with the bdSeq of the NBIRTH; every CONNECT takes the next bdSeq', async (t) => {
    const b = await bed(t);
    const first = await b.capture.next((m) => m.verb === 'NBIRTH', 'first NBIRTH');
    assert.equal(bdSeqOf(first), 0, 'bdSeq starts at zero');
    const from = b.capture.all.length;
    b.proxy.cut();
    const will = await b.capture.next((m) => m.verb === 'NDEATH', 'NDEATH (the Will)', from);
    assert.equal(will.topic, topic('NDEATH'));
    assert.equal(will.qos, 1, 'Will QoS 1 (delivered at QoS 1 to a QoS 1 subscriber)');
    assert.equal(will.retain, false);
    assert.equal(will.d.seq, undefined, 'NDEATH has no seq');
    assert.deepEqual(will.d.metrics?.map((m) => m.name), ['bdSeq'], 'NDEATH carries the bdSeq metric only');
    assert.equal(bdSeqOf(will), bdSeqOf(first));
    const second = await b.capture.next((m) => m.verb === 'NBIRTH', 'NBIRTH after the reconnect', from);
    assert.equal(second.d.seq, 0);
    assert.equal(bdSeqOf(second), 1, 'the next CONNECT took the next bdSeq');
    // The session after that will use 2, and that is on disk already.
    const { BdSeqStore } = await import('../../../agent/destinations/sparkplug/bdseq-store.ts');
    assert.equal(new BdSeqStore(b.dir).peek(), 2);
  });

  it('tck-id-topics-dbirth-topic tck-id-topics-dbirth-mqtt tck-id-topics-dbirth-seq tck-id-payloads-dbirth-seq-inc tck-id-topics-dbirth-metrics tck-id-topics-ddata-topic tck-id-topics-ddata-mqtt tck-id-topics-ddata-payload: a DBIRTH per machine with every metric and its datatype, before any DDATA; DDATA carries what changed', async (t) => {
    const b = await bed(t);
    const nbirth = await b.capture.next((m) => m.verb === 'NBIRTH', 'NBIRTH');
    const dbirth = await b.capture.next((m) => m.verb === 'DBIRTH' && m.device === 'press-1', 'DBIRTH press-1');
    assert.equal(dbirth.topic, topic('DBIRTH', 'press-1'));
    assert.equal(dbirth.qos, 0);
    assert.equal(dbirth.retain, false);
    const births = b.capture.all.slice(b.capture.all.indexOf(nbirth));
    assert.deepEqual(births.slice(0, 3).map((m) => [m.verb, m.device, m.d.seq]), [['NBIRTH', undefined, 0], ['DBIRTH', 'press-1', 1], ['DBIRTH', 'press-2', 2]]);
    const types = Object.fromEntries((dbirth.d.metrics ?? []).map((m) => [m.name, m.datatype]));
    assert.equal(types['Telemetry/partCount'], 7, 'UInt32');
    assert.equal(types['Telemetry/running'], 11, 'Boolean');
    assert.equal(types['State'], 12, 'String');
    assert.equal(types['OEE/Shift/OEE'], 10, 'Double');
    assert.equal(types['Downtime/Start'], 13, 'DateTime');
    assert.equal(types['Command/job'], 12);
    for (const m of dbirth.d.metrics ?? []) assert.ok(m.name && m.datatype && (m.isNull || valueOf(m) !== undefined), `name, datatype and value or is_null: ${JSON.stringify(m)}`);

    const ts = Date.now();
    b.commit([telemetry('press-1', ts, { partCount: 10, running: true, speed: 60 })]);
    const d1 = await b.capture.next((m) => m.verb === 'DDATA' && m.device === 'press-1', 'DDATA press-1');
    assert.equal(d1.topic, topic('DDATA', 'press-1'));
    assert.equal(d1.qos, 0);
    assert.equal(d1.retain, false);
    assert.equal(d1.d.seq, 3);
    assert.equal(metric(d1.d, 'Telemetry/partCount')?.intValue, 10);
    assert.equal(metric(d1.d, 'Telemetry/partCount')?.timestamp, ts);
    assert.equal(metric(d1.d, 'Telemetry/partCount')?.properties?.keys?.[0], 'Quality');
    assert.equal(metric(d1.d, 'Telemetry/partCount')?.isHistorical, undefined, 'live data is not historical');
    const at = b.capture.all.length;
    // Only partCount changed: report by exception.
    b.commit([telemetry('press-1', ts + 1000, { partCount: 11, running: true, speed: 60 }), { kind: 'state', machine: 'press-1', schema: 'lineside.state/1', ts: ts + 1000, body: { state: 'fault', since: new Date(ts + 1000).toISOString(), previous: { state: 'running', start: new Date(ts).toISOString(), end: new Date(ts + 1000).toISOString(), durationMs: 1000 }, faultCode: 101, reason: { code: 'jam', text: 'Jam' } } }]);
    const d2 = await b.capture.next((m) => m.verb === 'DDATA' && m.device === 'press-1', 'DDATA by exception', at);
    assert.deepEqual(d2.d.metrics?.map((m) => m.name), ['Telemetry/partCount']);
    const d3 = await b.capture.next((m) => m.verb === 'DDATA' && !!metric(m.d, 'State'), 'DDATA of the state', at);
    assert.equal(metric(d3.d, 'State')?.stringValue, 'fault');
    assert.equal(metric(d3.d, 'State/Fault Code')?.intValue, 101);
    assert.equal(metric(d3.d, 'State/Reason Code')?.stringValue, 'jam');
  });

  it('tck-id-payloads-sequence-num-always-included tck-id-payloads-sequence-num-incrementing tck-id-payloads-ddata-seq-inc: seq goes up by one per message and wraps from 255 to 0', async (t) => {
    const b = await bed(t);
    const nbirth = await b.capture.next((m) => m.verb === 'NBIRTH', 'NBIRTH');
    const ts = Date.now();
    b.commit(Array.from({ length: 300 }, (_, i) => telemetry(i % 2 ? 'press-2' : 'press-1', ts + i, { partCount: i })));
    await b.capture.next((m) => m.verb === 'DDATA' && metric(m.d, 'Telemetry/partCount')?.intValue === 299, 'the last DDATA');
    const seqs = b.capture.all.slice(b.capture.all.indexOf(nbirth)).map((m) => m.d.seq);
    assert.equal(seqs.length, 303);
    seqs.forEach((s, i) => assert.equal(s, i % 256, `message ${i}`));
    assert.equal(seqs[255], 255);
    assert.equal(seqs[256], 0);
  });

  it('tck-id-operational-behavior-data-commands-ncmd-rebirth-verb tck-id-operational-behavior-data-commands-rebirth-action-1 tck-id-operational-behavior-data-commands-rebirth-action-2 tck-id-operational-behavior-data-commands-rebirth-action-3: NCMD Node Control/Rebirth re-publishes the births with the same bdSeq', async (t) => {
    const b = await bed(t);
    const first = await b.capture.next((m) => m.verb === 'DBIRTH' && m.device === 'press-2', 'first births');
    const nbirth = b.capture.of('NBIRTH').at(-1)!;
    const from = b.capture.all.length;
    await b.capture.client.publishAsync(topic('NCMD'), Buffer.from(encode({ timestamp: Date.now(), metrics: [{ name: 'Node Control/Rebirth', datatype: 11, booleanValue: true }] })), { qos: 0 });
    const again = await b.capture.next((m) => m.verb === 'NBIRTH', 'NBIRTH after the rebirth request', from);
    assert.equal(again.d.seq, 0);
    assert.equal(bdSeqOf(again), bdSeqOf(nbirth), 'same bdSeq: same MQTT session');
    await b.capture.next((m) => m.verb === 'DBIRTH' && m.device === 'press-2', 'DBIRTH after the rebirth', from);
    assert.deepEqual(b.capture.all.slice(from).map((m) => [m.verb, m.device, m.d.seq]), [['NBIRTH', undefined, 0], ['DBIRTH', 'press-1', 1], ['DBIRTH', 'press-2', 2]]);
    assert.ok(first);
    // A rebirth request that is false, or garbage, changes nothing and breaks nothing.
    await b.capture.client.publishAsync(topic('NCMD'), Buffer.from([0xff, 0xff, 0xff]), { qos: 0 });
    await b.capture.client.publishAsync(topic('NCMD'), Buffer.from(encode({ timestamp: Date.now(), metrics: [{ name: 'Node Control/Rebirth', datatype: 11, booleanValue: false }] })), { qos: 0 });
    await b.logged((l) => l.code === 'LS_MQTT_SPARKPLUG_BAD_COMMAND');
    const at = b.capture.all.length;
    b.commit([telemetry('press-1', Date.now(), { partCount: 5 })]);
    const d = await b.capture.next((m) => m.verb === 'DDATA', 'DDATA after the garbage', at);
    assert.equal(d.d.seq, 3, 'no births in between');
  });

  it('tck-id-topics-ddeath-topic tck-id-topics-ddeath-mqtt tck-id-topics-ddeath-seq-num tck-id-payloads-ddeath-seq-number: DDEATH when a machine link goes down, DBIRTH with the latest values when it is back', async (t) => {
    const b = await bed(t);
    await b.capture.next((m) => m.verb === 'DBIRTH' && m.device === 'press-2', 'births');
    const from = b.capture.all.length;
    b.links['press-2'] = { state: 'disconnected' };
    const death = await b.capture.next((m) => m.verb === 'DDEATH', 'DDEATH', from);
    assert.equal(death.topic, topic('DDEATH', 'press-2'));
    assert.equal(death.qos, 0);
    assert.equal(death.retain, false);
    assert.equal(death.d.seq, 3);
    assert.ok(typeof death.d.timestamp === 'number', 'tck-id-payloads-ddeath-timestamp');
    // While it is dead its rows update the picture but publish nothing.
    b.commit([telemetry('press-2', Date.now(), { partCount: 42 }), telemetry('press-1', Date.now(), { partCount: 7 })]);
    await b.capture.next((m) => m.verb === 'DDATA' && m.device === 'press-1', 'DDATA of the live machine', from);
    assert.equal(b.capture.of('DDATA', 'press-2').length, 0);
    b.links['press-2'] = { state: 'connecting' };
    b.links['press-2'] = { state: 'connected' };
    const birth = await b.capture.next((m) => m.verb === 'DBIRTH' && m.device === 'press-2', 'DBIRTH when the link is back', from);
    assert.equal(metric(birth.d, 'Telemetry/partCount')?.intValue, 42);
    assert.equal(birth.d.seq, 5);
  });

  it('tck-id-operational-behavior-edge-node-intentional-disconnect-ndeath tck-id-payloads-ndeath-will-message-publisher-disconnect-mqtt50: NDEATH with the session bdSeq before a clean disconnect, which (MQTT 5) releases the Will too', async (t) => {
    const b = await bed(t);
    const nbirth = await b.capture.next((m) => m.verb === 'NBIRTH', 'NBIRTH');
    const from = b.capture.all.length;
    await b.node.stop();
    const death = await b.capture.next((m) => m.verb === 'NDEATH', 'NDEATH on stop', from);
    assert.equal(bdSeqOf(death), bdSeqOf(nbirth));
    assert.equal(death.d.seq, undefined);
    // DISCONNECT with reason code 0x04: the broker publishes the Will (the same NDEATH) as well.
    const will = await b.capture.next((m) => m.verb === 'NDEATH' && m !== death, 'the Will released by the DISCONNECT', from);
    assert.equal(bdSeqOf(will), bdSeqOf(nbirth));
  });

  it('tck-id-operational-behavior-edge-node-birth-sequence-wait tck-id-operational-behavior-edge-node-termination-host-offline tck-id-operational-behavior-edge-node-termination-host-offline-timestamp: with a primary host, births wait for its online STATE; an offline STATE ends the session, a stale one does not', async (t) => {
    const state = (online: boolean, timestamp: number) => b0.client.publishAsync('spBv1.0/STATE/scada', JSON.stringify({ online, timestamp }), { qos: 1, retain: true });
    const { Capture } = await import('./capture.ts');
    const b0 = await Capture.start(broker.url);
    t.after(() => b0.close());
    const t0 = Date.now();
    await state(false, t0 - 10_000);
    const b = await bed(t, { primaryHostId: 'scada' });
    await b.logged((l) => l.code === 'LS_MQTT_SPARKPLUG_HOST_OFFLINE');
    b.commit([telemetry('press-1', t0, { partCount: 1 })]);
    // Births wait: the host has not said it is online (a bounded look, since nothing is to be awaited).
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(b.capture.all.length, 0, 'nothing before the host is online');
    await state(true, t0);
    const nbirth = await b.capture.next((m) => m.verb === 'NBIRTH', 'NBIRTH once the host is online');
    const buffered = await b.capture.next((m) => m.verb === 'DDATA', 'the data buffered while the host was offline');
    assert.equal(metric(buffered.d, 'Telemetry/partCount')?.isHistorical, true);
    // An offline STATE older than the online one is a stale Will: the session stays.
    await state(false, t0 - 1);
    const at = b.capture.all.length;
    b.commit([telemetry('press-1', Date.now(), { partCount: 2 })]);
    const live = await b.capture.next((m) => m.verb === 'DDATA', 'live DDATA after the stale offline STATE', at);
    assert.equal(metric(live.d, 'Telemetry/partCount')?.isHistorical, undefined);
    // A current offline STATE: NDEATH, a new CONNECT (next bdSeq), and no births until online again.
    const from = b.capture.all.length;
    await state(false, t0 + 1);
    const death = await b.capture.next((m) => m.verb === 'NDEATH', 'NDEATH when the host went offline', from);
    assert.equal(bdSeqOf(death), bdSeqOf(nbirth));
    await b.logged((l) => l.msg === 'sparkplug connected' && l.bdSeq === (bdSeqOf(nbirth) as number) + 1);
    b.commit([telemetry('press-1', Date.now(), { partCount: 3 })]);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(b.capture.of('NBIRTH').length, 1, 'no births while the host is offline');
    await state(true, t0 + 2);
    const again = await b.capture.next((m) => m.verb === 'NBIRTH', 'NBIRTH when the host is back', from);
    assert.equal(bdSeqOf(again), (bdSeqOf(nbirth) as number) + 1);
    const hist = await b.capture.next((m) => m.verb === 'DDATA' && metric(m.d, 'Telemetry/partCount')?.intValue === 3, 'buffered DDATA', from);
    assert.equal(metric(hist.d, 'Telemetry/partCount')?.isHistorical, true);
    await b0.client.publishAsync('spBv1.0/STATE/scada', '', { qos: 1, retain: true });
    assert.ok(!b.lines.some((l) => l.code === 'LS_MQTT_SPARKPLUG_UNREACHABLE'), 'leaving for an offline host is not an outage');
  });

  for (const protocolVersion of [5, 4]) it(`tck-id-payloads-ddata-order is_historical (MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}): what was committed during an outage arrives after the births, in order, every metric is_historical; live data after it is not`, async (t) => {
    const b = await bed(t, { protocolVersion });
    await b.capture.next((m) => m.verb === 'DBIRTH' && m.device === 'press-2', 'births');
    const from = b.capture.all.length;
    b.proxy.down();
    await b.capture.next((m) => m.verb === 'NDEATH', 'NDEATH (the Will) at the outage', from);
    await b.logged((l) => l.code === 'LS_MQTT_SPARKPLUG_UNREACHABLE');
    const ts = Date.now();
    b.commit([1, 2, 3, 4, 5].map((i) => telemetry('press-1', ts + i, { partCount: i })));
    b.proxy.up();
    await b.capture.next((m) => m.verb === 'DBIRTH' && m.device === 'press-2', 'births after the outage', from);
    const dbirth = b.capture.all.slice(from).find((m) => m.verb === 'DBIRTH' && m.device === 'press-1')!;
    assert.equal(metric(dbirth.d, 'Telemetry/partCount')?.isNull, true, 'the births show what was current before the outage');
    await b.capture.next((m) => m.verb === 'DDATA' && metric(m.d, 'Telemetry/partCount')?.intValue === 5, 'the last buffered DDATA', from);
    const hist = b.capture.all.slice(from).filter((m) => m.verb === 'DDATA' && metric(m.d, 'Telemetry/partCount')?.isHistorical);
    assert.deepEqual(hist.map((m) => metric(m.d, 'Telemetry/partCount')?.intValue), [1, 2, 3, 4, 5]);
    // Then what the backlog made current goes to the real-time tags, stamped with when it became true.
    const current = await b.capture.next((m) => m.verb === 'DDATA' && !metric(m.d, 'Telemetry/partCount')?.isHistorical, 'the current value after the backlog', b.capture.all.indexOf(hist.at(-1)!));
    assert.equal(metric(current.d, 'Telemetry/partCount')?.intValue, 5);
    assert.equal(metric(current.d, 'Telemetry/partCount')?.timestamp, ts + 5);
    for (const m of hist) for (const x of m.d.metrics ?? []) assert.equal(x.isHistorical, true, x.name);
    assert.deepEqual(hist.map((m) => metric(m.d, 'Telemetry/partCount')?.timestamp), [1, 2, 3, 4, 5].map((i) => ts + i), 'metric timestamps are when it happened');
    const at = b.capture.all.length;
    b.commit([telemetry('press-1', Date.now(), { partCount: 6 })]);
    const live = await b.capture.next((m) => m.verb === 'DDATA', 'live DDATA', at);
    assert.equal(metric(live.d, 'Telemetry/partCount')?.isHistorical, undefined);
    await b.logged((l) => l.incident === 'sparkplug' && typeof l.failures === 'number');
  });

  it('tck-id-operational-behavior-data-commands-dcmd-verb tck-id-operational-behavior-data-commands-dcmd-metric-value: DCMD Command/job goes through the command path once, the reply comes back as DDATA; other metrics are never written', async (t) => {
    const b = await bed(t);
    await b.capture.next((m) => m.verb === 'DBIRTH' && m.device === 'press-1', 'births');
    const cmd = Buffer.from(encode({ timestamp: 1_700_000_000_000, metrics: [{ name: 'Command/job', datatype: 12, stringValue: JSON.stringify({ action: 'start', orderId: 'o-1', product: 'bolt', idealCycleTime: 1000 }) }] }));
    const from = b.capture.all.length;
    await b.capture.client.publishAsync(topic('DCMD', 'press-1'), cmd, { qos: 0 });
    const r1 = await b.capture.next((m) => m.verb === 'DDATA' && !!metric(m.d, 'Command/job/Reply'), 'reply', from);
    const reply1 = JSON.parse(metric(r1.d, 'Command/job/Reply')!.stringValue!) as { status: string; commandId: string; duplicate?: boolean };
    assert.equal(reply1.status, 'accepted');
    assert.match(reply1.commandId, /^spb-/);
    // The same DCMD again (a redelivery): the same command id, not applied twice.
    const at = b.capture.all.length;
    await b.capture.client.publishAsync(topic('DCMD', 'press-1'), cmd, { qos: 0 });
    const r2 = await b.capture.next((m) => m.verb === 'DDATA' && !!metric(m.d, 'Command/job/Reply'), 'second reply', at);
    const reply2 = JSON.parse(metric(r2.d, 'Command/job/Reply')!.stringValue!) as { commandId: string; duplicate?: boolean };
    assert.equal(reply2.commandId, reply1.commandId);
    assert.equal(reply2.duplicate, true);
    assert.deepEqual(b.applied.map((a) => [a.what, a.machine]), [['startJob', 'press-1']]);
    // Invalid bodies are rejected by the same validation as on the MQTT contract.
    const at2 = b.capture.all.length;
    await b.capture.client.publishAsync(topic('DCMD', 'press-1'), Buffer.from(encode({ timestamp: 1, metrics: [{ name: 'Command/job', datatype: 12, stringValue: '{"action":"start"}' }] })), { qos: 0 });
    const r3 = await b.capture.next((m) => m.verb === 'DDATA' && !!metric(m.d, 'Command/job/Reply'), 'rejection', at2);
    assert.equal((JSON.parse(metric(r3.d, 'Command/job/Reply')!.stringValue!) as { code: string }).code, 'LS_CMD_INVALID');
    // A write to a data metric is not a command: nothing is applied.
    await b.capture.client.publishAsync(topic('DCMD', 'press-1'), Buffer.from(encode({ timestamp: 2, metrics: [{ name: 'Telemetry/speed', datatype: 10, doubleValue: 0 }] })), { qos: 0 });
    await b.logged((l) => l.code === 'LS_MQTT_SPARKPLUG_BAD_COMMAND');
    assert.equal(b.applied.length, 1);
  });
});
