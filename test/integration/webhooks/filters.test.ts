// Two webhooks on one outbox, each with its own filter: the CMMS gets downtime of two presses,
// the ERP gets job results of every machine. Every delivery is checked by the receiver with the
// standardwebhooks library; drop reports (kind `event`) pass every kind filter.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { encodeEnvelope } from '../../../agent/contract/envelope.ts';
import type { EventKind, MachineEvent } from '../../../agent/events.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { AGENT_ID, newSecret, startBed, until } from './bed.ts';
import { Receiver } from './receiver.ts';

const KINDS: EventKind[] = ['telemetry', 'state', 'downtime', 'oee', 'job', 'event'];
const MACHINES = ['press-1', 'press-2', 'lathe-1'];

describe('webhook filters', () => {
  it('routes only the wanted kinds and machines to each receiver, signed, and the outbox empties once both have theirs', async () => {
    const [cmmsSecret, erpSecret] = [newSecret(), newSecret(24)];
    const cmms = await Receiver.start({ secrets: [cmmsSecret!] });
    const erp = await Receiver.start({ secrets: [erpSecret!] });
    after(() => Promise.all([cmms.close(), erp.close()]));
    const bed = await startBed(tempDir(), [
      { name: 'cmms', url: cmms.url, kinds: ['downtime'], machines: ['press-1', 'press-2'], secrets: [cmmsSecret] },
      { name: 'erp', url: erp.url, kinds: ['job'], secrets: [erpSecret], auth: { bearer: 'erp-token-123' }, headers: { 'X-Plant': 'plant-7' } },
    ]);
    const events: MachineEvent[] = [];
    for (let i = 0; i < 90; i++) {
      const kind = KINDS[i % KINDS.length]!;
      const machine = MACHINES[Math.floor(i / KINDS.length) % MACHINES.length]!;
      events.push({ kind, machine, schema: kind === 'event' ? 'lineside.outbox-drop/1' : `lineside.${kind}/1`, ts: Date.now(), body: { i } });
    }
    const seqs = bed.emit(events);
    const bySeq = new Map(seqs.map((s, k) => [s, events[k]!]));
    const wanted = (keep: (e: MachineEvent) => boolean) => seqs.filter((s) => keep(bySeq.get(s)!));
    const forCmms = wanted((e) => (e.kind === 'downtime' || e.kind === 'event') && e.machine !== 'lathe-1');
    const forErp = wanted((e) => e.kind === 'job' || e.kind === 'event');
    await cmms.waitForSeqs(forCmms);
    await erp.waitForSeqs(forErp);
    // The outbox commits the acks of both and deletes what both have; then nothing is left to send.
    await until(() => bed.outbox.stats().depth === 0, 'outbox emptied');

    assert.deepEqual([...cmms.firstArrivals().keys()], forCmms, 'the CMMS got its downtime and drop reports, in seq order, nothing else');
    assert.deepEqual([...erp.firstArrivals().keys()], forErp, 'the ERP got job results and drop reports of every machine');
    assert.deepEqual(cmms.unverifiable, []);
    assert.deepEqual(erp.unverifiable, []);
    assert.equal(cmms.deliveries.length, forCmms.length, 'no duplicates');

    // The body is exactly the MQTT payload; only sentAt differs per send.
    const d = cmms.deliveries[0]!;
    const stored = bedRow(bySeq.get(d.seq)!, d.seq);
    assert.equal(JSON.stringify({ ...d, at: undefined, headers: undefined }), JSON.stringify({ ...JSON.parse(encodeEnvelope(AGENT_ID, stored, Date.parse(d.sentAt), d.replay)), at: undefined, headers: undefined }));
    assert.equal(d.msgId, `${AGENT_ID}:${d.seq}`);
    assert.equal(d.replay, false, 'committed while the webhook ran: live');
    assert.equal(d.headers['content-type'], 'application/json');
    assert.equal(d.headers.authorization, undefined, 'no credentials configured for the CMMS');
    const e = erp.deliveries[0]!;
    assert.equal(e.headers.authorization, 'Bearer erp-token-123');
    assert.equal(e.headers['x-plant'], 'plant-7');

    const [c, r] = bed.webhooks.map((w) => w.stats());
    assert.deepEqual({ name: c!.name, type: c!.type, up: c!.up, depth: c!.depth, acked: c!.acked, deadLetters: c!.deadLetters }, { name: 'webhook:cmms', type: 'webhook', up: true, depth: 0, acked: forCmms.length, deadLetters: 0 });
    assert.equal(r!.sent, forErp.length);
  });
});

function bedRow(e: MachineEvent, seq: number) {
  return { seq, machine: e.machine, schema: e.schema, ts: e.ts, body: JSON.stringify(e.body) };
}
