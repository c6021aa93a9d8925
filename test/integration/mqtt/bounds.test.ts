import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { dropReportSchema, DROP_REPORT_SCHEMA } from '../../../agent/contract/status.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { Collector, analyse } from './collector.ts';
import { LoadAgent } from './load-process.ts';
import { mesTestBed } from './test-bed.ts';

describe('outbox bounds under a long outage', () => {
  it('drops the oldest telemetry first, reports every drop, keeps all OEE and downtime', async (t) => {
    // The MES's persistent session exists before the outage, as it would in a plant.
    const { broker, contract, mes } = await mesTestBed();
    const port = broker.port;
    await broker.stop();
    const agent = new LoadAgent({ dataDir: tempDir(), url: `mqtt://127.0.0.1:${port}`, rate: 800, mixed: true, padBytes: 300, maxBytes: '640KiB', stopAfterMs: 6000 });
    after(() => agent.stop('SIGKILL'));
    await agent.waitFor((l) => l.code === 'LS_OUTBOX_DROPPED', 30_000);
    const { appended, lastSeq } = (await agent.msg('load stopped', 30_000)) as { appended: number; lastSeq: number };

    await broker.restart();
    const drained = await agent.msg('drained', 60_000);
    const dropped = drained.dropped as number;
    const finalSeq = drained.lastSeq as number;
    assert.ok(dropped > appended / 2, `most of ${appended} dropped (${dropped})`);

    await mes.until(() => analyse(mes.data()).firstSeqs.length + dropped >= finalSeq, 30_000, 'everything kept');
    const data = mes.data();
    const { firstSeqs } = analyse(data);
    t.diagnostic(`appended ${appended}, dropped ${dropped}, delivered ${firstSeqs.length}, last seq ${finalSeq} (${lastSeq} before reports)`);
    assert.equal(firstSeqs.length + dropped, finalSeq, 'every seq is either delivered or reported dropped');

    const reports = data.filter((m) => m.json.schema === DROP_REPORT_SCHEMA).map((m) => ({ topic: m.topic, machine: m.json.machine, body: dropReportSchema.parse(m.json.data) }));
    assert.ok(reports.length > 0);
    assert.equal(reports.reduce((n, r) => n + r.body.count, 0), dropped, 'the reports account for every drop');
    // Exactly the missing seqs, each once: the reports' ranges are the gaps in what arrived.
    const delivered = new Set(firstSeqs);
    const missingSeqs: number[] = [];
    for (let q = 1; q <= finalSeq; q++) if (!delivered.has(q)) missingSeqs.push(q);
    const reported = reports.flatMap((r) => r.body.seqs.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i))).sort((a, b) => a - b);
    assert.deepEqual(reported, missingSeqs, 'the reported seqs are exactly the missing ones');
    // The broker was down before anything was sent: nothing dropped can have arrived.
    assert.ok(reports.every((r) => r.body.maybeDelivered.length === 0));
    assert.ok(reports.every((r) => r.topic.endsWith(`/${String(r.machine)}/event`) && r.body.reason === 'maxBytes'));
    assert.ok(reports.every((r) => Object.keys(r.body.byKind).every((k) => k === 'telemetry')), 'only telemetry was dropped');

    const ns = (kind: string) => data.filter((m) => m.topic.endsWith(`/${kind}`)).map((m) => (m.json.data as { n: number }).n);
    const oee = new Set(ns('oee'));
    const downtime = new Set(ns('downtime'));
    for (let n = 1; n <= appended; n++) {
      if (n % 10 === 0) assert.ok(oee.has(n), `oee ${n} kept`);
      else if (n % 25 === 0) assert.ok(downtime.has(n), `downtime ${n} kept`);
    }
    const telemetry = [...new Set(ns('telemetry'))].sort((a, b) => a - b);
    const expected: number[] = [];
    for (let n = telemetry[0]!; n <= appended; n++) if (n % 10 !== 0 && n % 25 !== 0) expected.push(n);
    assert.deepEqual(telemetry, expected, 'what is left of the telemetry is the newest, without holes');
    assert.ok(telemetry[0]! > 1, 'the oldest telemetry went');
    // The checker reconnects after the outage on its own schedule (seen once in CI: nothing yet).
    await contract.flush(30_000);
    assert.ok(contract.total > 0, 'the contract checker saw messages');
    assert.deepEqual(contract.violations, [], contract.report());
  });
});
