// The metric map of a machine as a Sparkplug device, and the small state machines of the edge node.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BdSeqStore } from '../../../agent/destinations/sparkplug/bdseq-store.ts';
import { derivedCommandId, runDcmd } from '../../../agent/destinations/sparkplug/commands.ts';
import { PrimaryHostState } from '../../../agent/destinations/sparkplug/host-state.ts';
import { DeviceModel } from '../../../agent/destinations/sparkplug/metric-map.ts';
import { DataType } from '../../../agent/destinations/sparkplug/payload.ts';
import { parseCommandTopic } from '../../../agent/destinations/sparkplug/topics.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const tel = (ts: number, values: Record<string, unknown>, quality = 'good') => ({ kind: 'telemetry', ts, body: JSON.stringify({ values: Object.fromEntries(Object.entries(values).map(([k, value]) => [k, { value, quality, ts: iso(ts) }])) }) });

describe('DeviceModel', () => {
  it('DBIRTH has every metric with its datatype; unknown values are null', () => {
    const m = new DeviceModel('p', ['count', 'temp'], new Map([['count', DataType.UInt32]]));
    const birth = new Map(m.birth().map((x) => [x.name, x]));
    assert.equal(birth.get('Telemetry/count')?.datatype, DataType.UInt32);
    assert.equal(birth.get('Telemetry/temp')?.datatype, DataType.Double, 'a guess until its first value');
    assert.equal(birth.get('State')?.value, null);
    assert.equal(birth.get('Command/job')?.value, '');
    assert.equal(birth.get('Command/downtime-reason/Reply')?.datatype, DataType.String);
  });

  it('a birth after a restart takes state and job from the pipeline, never over what a message told since', () => {
    const m = new DeviceModel('p', [], new Map());
    const state = (st: string, ts: number) => ({ kind: 'state', ts, body: JSON.stringify({ state: st, since: iso(ts), previous: { state: 'running', start: iso(0), end: iso(ts), durationMs: ts } }) });
    m.seed({ state: { state: 'fault', since: 5000, faultCode: 12 }, job: { orderId: 'PO-1', product: 'bolt', idealCycleTimeMs: 1200, start: 1000 } });
    const birth = new Map(m.birth().map((x) => [x.name, x]));
    assert.deepEqual([birth.get('State')?.value, birth.get('State')?.timestamp, birth.get('State/Fault Code')?.value], ['fault', 5000, 12]);
    assert.deepEqual([birth.get('Job/Active')?.value, birth.get('Job/Order Id')?.value, birth.get('Job/Ideal Cycle Time')?.value], [true, 'PO-1', 1200]);
    m.apply(state('running', 9000), false);
    m.seed({ state: { state: 'fault', since: 5000 } });
    assert.equal(m.value('State'), 'running', 'the message since the start wins');
  });

  it('live: only what changed (by exception), with quality; historical: everything, marked', () => {
    const m = new DeviceModel('p', ['count', 'run'], new Map([['count', DataType.UInt32], ['run', DataType.Boolean]]));
    assert.deepEqual(m.apply(tel(1000, { count: 1, run: true }), false).map((x) => x.name), ['Telemetry/count', 'Telemetry/run']);
    const second = m.apply(tel(2000, { count: 2, run: true }), false);
    assert.deepEqual(second.map((x) => [x.name, x.value, x.timestamp, x.quality]), [['Telemetry/count', 2, 2000, 192]]);
    assert.deepEqual(m.apply(tel(3000, { count: 2, run: true }, 'bad'), false).map((x) => [x.name, x.quality]), [['Telemetry/count', 0], ['Telemetry/run', 0]]);
    const hist = m.apply(tel(500, { count: 0, run: false }), true);
    assert.equal(hist.length, 2);
    assert.ok(hist.every((x) => x.isHistorical === true));
    assert.equal(m.value('Telemetry/count'), 2, 'history never moves a current value back in time');
  });

  it('current values only history told go out once as live data, stamped with when they became true', () => {
    const m = new DeviceModel('p', ['count'], new Map([['count', DataType.UInt32]]));
    m.apply(tel(1000, { count: 1 }), true);
    m.apply(tel(2000, { count: 2 }), true);
    assert.deepEqual(m.takeCurrentFromHistory().map((x) => [x.name, x.value, x.timestamp, x.isHistorical]), [['Telemetry/count', 2, 2000, undefined]]);
    assert.deepEqual(m.takeCurrentFromHistory(), []);
    m.apply(tel(3000, { count: 3 }), true);
    m.apply(tel(4000, { count: 4 }), false);
    assert.deepEqual(m.takeCurrentFromHistory(), [], 'a live value replaced it');
    m.apply(tel(5000, { count: 5 }), true);
    m.birth();
    assert.deepEqual(m.takeCurrentFromHistory(), [], 'a DBIRTH carried it');
  });

  it('a tag the birth lacked, or whose type its first value tells, asks for a DBIRTH', () => {
    const m = new DeviceModel('p', ['mode'], new Map());
    m.apply(tel(1, { mode: 3 }), false);
    assert.equal(m.rebirthNeeded, false, 'a number fits the Double guess');
    m.apply(tel(2, { other: 'x' }), false);
    assert.equal(m.rebirthNeeded, true);
    assert.equal(m.birth().find((x) => x.name === 'Telemetry/other')?.datatype, DataType.String);
  });

  it('state, downtime, shift OEE and job map to their metrics; a late revision of an old stop does not replace the open one', () => {
    const m = new DeviceModel('p', [], new Map());
    m.apply({ kind: 'downtime', ts: 10, body: JSON.stringify({ eventId: 'd2', status: 'open', state: 'fault', start: iso(10), end: null, durationMs: null, reason: { code: 'jam', text: 'Jam', category: 'availability', assigned: false }, microStop: false, revision: 0 }) }, false);
    assert.equal(m.value('Downtime/Active'), true);
    const late = m.apply({ kind: 'downtime', ts: 5, body: JSON.stringify({ eventId: 'd1', status: 'updated', state: 'stopped', start: iso(1), end: iso(5), durationMs: 4, reason: { code: 'x', text: 'X', category: 'availability', assigned: true }, microStop: false, revision: 1 }) }, false);
    assert.deepEqual(late, []);
    assert.equal(m.value('Downtime/Event Id'), 'd2');
    const oee = { periodId: 's1', kind: 'shift', name: 'Early', start: iso(0), end: null, status: 'live', revision: 0, availability: 0.9, performance: 0.8, quality: 1, oee: 0.72, times: {}, counts: { total: 10, good: 9, reject: 1, excluded: 0, implausibleJumps: 0 }, flags: [] };
    m.apply({ kind: 'oee', ts: 20, body: JSON.stringify(oee) }, false);
    assert.equal(m.value('OEE/Shift/OEE'), 0.72);
    assert.equal(m.value('OEE/Shift/Reject Parts'), 1);
    m.apply({ kind: 'oee', ts: 21, body: JSON.stringify({ ...oee, kind: 'job', periodId: 'j1', orderId: 'o-1', product: 'bolt', idealCycleTimeMs: 1000 }) }, false);
    assert.equal(m.value('Job/Active'), true);
    assert.equal(m.value('Job/Order Id'), 'o-1');
    m.apply({ kind: 'job', ts: 30, body: JSON.stringify({ orderId: 'o-1', product: 'bolt', idealCycleTimeMs: 1000, start: iso(0), end: iso(30), durationMs: 30, total: 10, good: 9, reject: 1, availability: 1, performance: 1, quality: 0.9, oee: 0.9, flags: [], revision: 1 }) }, false);
    assert.equal(m.value('Job/Active'), false);
    assert.deepEqual(m.apply({ kind: 'event', ts: 40, body: '{}' }, false), [], 'drop reports are not device metrics');
    assert.deepEqual(m.apply({ kind: 'state', ts: 40, body: 'not json' }, false), []);
  });
});

describe('PrimaryHostState', () => {
  it('online counts when not older; offline only when not older than the last online', () => {
    const h = new PrimaryHostState();
    const msg = (online: boolean, timestamp: unknown) => Buffer.from(JSON.stringify({ online, timestamp }));
    assert.equal(h.receive(msg(false, 5)), 'ignore', 'offline before any online: still waiting');
    assert.equal(h.receive(msg(true, 10)), 'online');
    assert.equal(h.receive(msg(false, 9)), 'ignore', 'older than the online: a stale Will');
    assert.equal(h.online, true);
    assert.equal(h.receive(msg(false, 10)), 'offline');
    assert.equal(h.receive(msg(true, 9)), 'ignore', 'an online older than the last one');
    assert.equal(h.receive(Buffer.from('garbage')), 'ignore');
    assert.equal(h.receive(msg(true, 'x')), 'ignore');
    assert.equal(h.receive(msg(true, 11)), 'online');
  });
});

describe('BdSeqStore', () => {
  it('starts at 0, persists the next value before use, wraps at 255, survives a corrupt file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spb-bdseq-'));
    const s = new BdSeqStore(dir);
    assert.equal(s.take(), 0);
    assert.equal(new BdSeqStore(dir).take(), 1);
    writeFileSync(s.file, JSON.stringify({ next: 255 }));
    assert.equal(s.take(), 255);
    assert.equal(s.take(), 0);
    writeFileSync(s.file, '{oops');
    assert.equal(s.take(), 0);
  });
});

describe('DCMD mapping', () => {
  it('derives a stable commandId, passes explicit ones through, and ignores metrics that are not commands', () => {
    const seen: Array<[string, string, string]> = [];
    const port = { handle: (machine: string, name: string, p: Uint8Array) => (seen.push([machine, name, Buffer.from(p).toString()]), { status: 'accepted' } as never) };
    const payload = { timestamp: 7, seq: undefined, metrics: [
      { name: 'Command/job', alias: undefined, datatype: 12, timestamp: 8, isNull: false, value: '{"action":"end","orderId":"o"}' },
      { name: 'Command/downtime-reason', alias: undefined, datatype: 12, timestamp: 8, isNull: false, value: '{"commandId":"mine","eventId":"e","reasonCode":"jam"}' },
      { name: 'Telemetry/speed', alias: undefined, datatype: 10, timestamp: 8, isNull: false, value: 0 },
      { name: 'Command/job', alias: undefined, datatype: 11, timestamp: 8, isNull: false, value: true },
    ] };
    const out = runDcmd('press-1', payload, port);
    assert.equal(out.filter((o) => 'ignored' in o).length, 2);
    assert.equal(JSON.parse(seen[0]![2]).commandId, derivedCommandId('press-1', 'Command/job', '{"action":"end","orderId":"o"}', 7, 8));
    assert.equal(JSON.parse(seen[1]![2]).commandId, 'mine');
    assert.notEqual(derivedCommandId('press-1', 'Command/job', 'x', 7, 8), derivedCommandId('press-1', 'Command/job', 'x', 7, 9));
  });

  it('parses NCMD and DCMD topics of this node only', () => {
    const n = { groupId: 'g', edgeNodeId: 'e' };
    assert.deepEqual(parseCommandTopic(n, 'spBv1.0/g/NCMD/e'), { verb: 'NCMD' });
    assert.deepEqual(parseCommandTopic(n, 'spBv1.0/g/DCMD/e/press-1'), { verb: 'DCMD', device: 'press-1' });
    assert.equal(parseCommandTopic(n, 'spBv1.0/g/DCMD/other/press-1'), undefined);
    assert.equal(parseCommandTopic(n, 'spBv1.0/g/DCMD/e/a/b'), undefined);
  });
});
