// Drop accounting over a long outage (not part of `npm test`; the suite runs the same check for
// seconds in test/integration/mqtt/bounds.test.ts):
//   node bench/drop-accounting.ts [--duration 10m] [--rate 800] [--max-bytes 640KiB]
// A load agent (the real outbox and publisher) produces at --rate with the broker down and a bound
// small enough to force drops the whole time. Then the broker comes back, the agent drains, and
// the subscriber compares: the union of the drop reports' seqs must equal the seqs that never
// arrived, and their counts must sum to what the agent says it dropped.
import { parseArgs } from 'node:util';
import { DROP_REPORT_SCHEMA, dropReportSchema } from '../agent/contract/status.ts';
import { tempDir } from '../test/helpers/tmp.ts';
import { Mosquitto } from '../test/helpers/mosquitto.ts';
import { Collector } from '../test/integration/mqtt/collector.ts';
import { LoadAgent } from '../test/integration/mqtt/load-process.ts';
import { parseDuration } from './fleet.ts';

const { values: o } = parseArgs({ options: { duration: { type: 'string', default: '10m' }, rate: { type: 'string', default: '800' }, 'max-bytes': { type: 'string', default: '640KiB' } } });
const durationMs = parseDuration(o.duration);
const broker = await Mosquitto.start();
const mes = new Collector(broker.url);
await mes.ready();
const port = broker.port;
await broker.stop();
const agent = new LoadAgent({ dataDir: tempDir(), url: `mqtt://127.0.0.1:${port}`, rate: Number(o.rate), mixed: true, padBytes: 300, maxBytes: o['max-bytes'], stopAfterMs: durationMs });
try {
  const { appended } = (await agent.waitFor((l) => l.msg === 'load stopped', durationMs + 60_000)) as unknown as { appended: number };
  await broker.restart();
  const drained = await agent.waitFor((l) => l.msg === 'drained', 600_000);
  const dropped = drained.dropped as number;
  const finalSeq = drained.lastSeq as number;
  const seen = () => new Set(mes.data().map((m) => m.json.seq as number));
  await mes.until(() => seen().size + dropped >= finalSeq, 120_000, 'everything kept');
  const delivered = seen();
  const missing: number[] = [];
  for (let q = 1; q <= finalSeq; q++) if (!delivered.has(q)) missing.push(q);
  const reports = mes.data().filter((m) => m.json.schema === DROP_REPORT_SCHEMA).map((m) => dropReportSchema.parse(m.json.data));
  const reported = new Set<number>();
  let duplicatesInReports = 0;
  for (const r of reports) for (const [a, b] of r.seqs) for (let q = a; q <= b; q++) (reported.has(q) ? duplicatesInReports++ : reported.add(q));
  const unexplained = missing.filter((q) => !reported.has(q)).length;
  const overReported = [...reported].filter((q) => delivered.has(q)).length;
  const sum = reports.reduce((n, r) => n + r.count, 0);
  console.log(`${o.duration} outage at ${o.rate} msg/s under maxBytes ${o['max-bytes']}: appended ${appended}, last seq ${finalSeq}, delivered ${delivered.size}, missing ${missing.length}`);
  console.log(`drop reports ${reports.length}: counts sum ${sum} (agent says dropped ${dropped}); seqs reported ${reported.size}, missing but unreported ${unexplained}, reported but delivered ${overReported}, reported twice ${duplicatesInReports}`);
  console.log(`bar: the sum of the drop reports equals the missing seqs exactly: ${sum === missing.length && unexplained === 0 && overReported === 0 && duplicatesInReports === 0 ? 'PASS' : 'FAIL'}`);
  console.log(JSON.stringify({ bench: 'drop-accounting', params: { duration: o.duration, rate: Number(o.rate), maxBytes: o['max-bytes'] }, figures: [
    { name: `Messages dropped in a ${o.duration} outage`, value: missing.length, unit: 'msgs', baseline: { name: 'sum of the drop reports', value: sum }, ratio: sum / Math.max(1, missing.length), note: `unreported ${unexplained}, over-reported ${overReported}` },
  ] }));
} finally {
  await agent.stop('SIGKILL');
  await mes.close();
  await broker.stop();
}
process.exit(0);
