// Webhook outage bench (the bar, run for real; not part of `npm test`):
//   node bench/webhook-outage.ts [--outage 10m] [--kills 5] [--before 60s] [--machines 6]
//                                [--telemetry 100ms] [--replay-rate 500] [--drain-timeout 30m]
// A real agent (`lineside run`, simulated machines) publishes to a real mosquitto (up all along)
// and to a webhook whose receiver (node:https, every request verified with the standardwebhooks
// library) is down for `--outage`; the agent is killed with SIGKILL `--kills` times during it and
// started again at once. After the receiver is back and the backlog has drained, the agent stops
// and the figures are printed:
//   - webhook: seqs missing (neither received nor waiting in outbox.db), unverifiable requests,
//     duplicates, backlog drain time;
//   - MQTT: seqs missing, and live latency (first arrivals with replay: false; sentAt → arrival and
//     ts → arrival, p50/p99) before the outage vs during it: a dead webhook must not slow MQTT.
// The last line is JSON ({bench, params, figures}) like the other benchmarks print.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { parseDuration } from '../config/schema/units.ts';
import { AgentProcess, type LogLine } from '../test/helpers/agent-process.ts';
import { Mosquitto } from '../test/helpers/mosquitto.ts';
import { newSecret } from '../test/integration/webhooks/bed.ts';
import { lost, readLedger } from '../test/integration/webhooks/ledger.ts';
import { makeReceiverPki, Receiver } from '../test/integration/webhooks/receiver.ts';

const { values: o } = parseArgs({
  options: {
    outage: { type: 'string', default: '10m' },
    kills: { type: 'string', default: '5' },
    before: { type: 'string', default: '60s' },
    machines: { type: 'string', default: '6' },
    telemetry: { type: 'string', default: '100ms' },
    'replay-rate': { type: 'string', default: '500' },
    'drain-timeout': { type: 'string', default: '30m' },
    keep: { type: 'boolean', default: false },
  },
});
const ms = (flag: string, v: string) => parseDuration(v) ?? fail(`--${flag}: expected a duration like 90s or 10m, got ${v}`);
const OUTAGE = ms('outage', o.outage);
const BEFORE = ms('before', o.before);
const DRAIN_TIMEOUT = ms('drain-timeout', o['drain-timeout']);
const KILLS = Number(o.kills);
const MACHINES = Number(o.machines);
const REPLAY_RATE = Number(o['replay-rate']);

function fail(msg: string): never {
  process.stderr.write(`${msg}\n`);
  process.exit(2);
}
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));
const log = (line: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);

const dir = mkdtempSync(join(tmpdir(), 'lineside-wh-outage-'));
const cleanup = () => (o.keep ? log(`kept ${dir}`) : rmSync(dir, { recursive: true, force: true }));

// MQTT side: a persistent-session subscriber, like the MES, noting when each message arrived.
interface MqttArrival { seq: number; replay: boolean; ts: number; sentAt: number; at: number }
mkdirSync(join(dir, 'mosq'));
const broker = await Mosquitto.start({ dir: join(dir, 'mosq') });
const mqttArrivals: MqttArrival[] = [];
const mes = mqtt.connect(broker.url, { clientId: 'bench-mes', clean: false, protocolVersion: 4, reconnectPeriod: 200 });
mes.on('error', () => {});
mes.on('message', (_t, payload) => {
  const at = Date.now();
  try {
    const m = JSON.parse(payload.toString()) as { seq?: number; replay?: boolean; ts?: string; sentAt?: string };
    if (typeof m.seq === 'number') mqttArrivals.push({ seq: m.seq, replay: m.replay === true, ts: Date.parse(m.ts!), sentAt: Date.parse(m.sentAt!), at });
  } catch {
    // the retained status and others: not counted
  }
});
await new Promise((r) => mes.once('connect', r));
await mes.subscribeAsync('lineside/v1/#', { qos: 1 });

// Webhook side.
const pki = makeReceiverPki(dir);
const secret = newSecret();
const receiver = await Receiver.startHttps(pki, [secret]);

const config = join(dir, 'lineside.yaml');
writeFileSync(
  config,
  `agent: { id: bench, dataDir: ./data }
location: { enterprise: e, site: s, area: a, line: l }
mqtt: { url: "${broker.url}", reconnectMin: 200ms, reconnectMax: 2s }
http: { port: 0 }
webhooks:
  - name: cmms
    url: ${receiver.url}
    secrets: ["\${CMMS_WHSEC}"]
    tls: { ca: ${pki.ca} }
    retry: { min: 1s, max: 15s }
    replayRate: ${REPLAY_RATE}
machines:
${Array.from({ length: MACHINES }, (_, i) => `  - { id: m${i + 1}, driver: sim, idealCycleTime: 1s, pollInterval: 50ms, telemetry: { interval: ${o.telemetry} }, connection: { seed: ${i + 1}, speed: 60, cycleTime: 500ms, faultsPerHour: 30, meanFaultDuration: 20s, microStopsPerHour: 60 } }`).join('\n')}
`,
);
const env = { CMMS_WHSEC: secret };
let agent = new AgentProcess(['run', '--config', config], env);
const allLines: LogLine[] = [];
const restarts: number[] = [];
const started = async (a: AgentProcess) => {
  restarts.push(Date.now());
  await a.msg('webhook destination started', 60_000);
  await a.msg('connected to broker', 60_000);
};
await started(agent);
log(`agent up (${MACHINES} sim machines, telemetry every ${o.telemetry}); ${Math.round(BEFORE / 1000)} s before the outage`);
await sleep(BEFORE);

await receiver.down();
const downAt = Date.now();
log(`receiver DOWN for ${Math.round(OUTAGE / 1000)} s; ${KILLS} × kill -9 during it`);
for (let k = 1; k <= KILLS; k++) {
  await sleep(downAt + (OUTAGE * k) / (KILLS + 1) - Date.now());
  agent.child.kill('SIGKILL');
  await new Promise((r) => agent.child.once('exit', r));
  allLines.push(...agent.lines);
  agent = new AgentProcess(['run', '--config', config], env);
  await started(agent);
  log(`kill -9 #${k}: agent restarted`);
}
await sleep(downAt + OUTAGE - Date.now());
await receiver.up();
const upAt = Date.now();
log('receiver UP; waiting for the webhook backlog to drain');
const drained = await agent.waitFor((l) => l.msg === 'backlog replayed' && l.destination === 'webhook:cmms' && Date.now() >= upAt, DRAIN_TIMEOUT).catch(() => undefined);
const drainedAt = Date.now();
log(drained ? `backlog replayed: ${String(drained.sent)} messages in ${Math.round(Number(drained.durationMs) / 1000)} s` : 'backlog NOT drained within --drain-timeout');
// A little live traffic after the drain, then a clean stop.
await sleep(2000);
const code = await agent.stop('SIGTERM');
allLines.push(...agent.lines);
await sleep(1000);
mes.end(true);

// Figures.
const dataDir = join(dir, 'data');
const hookLedger = readLedger(dataDir, 'webhook:cmms');
const mqttLedger = readLedger(dataDir, 'mqtt');
const hookReceived = new Set(receiver.deliveries.map((d) => d.seq));
const mqttReceived = new Set(mqttArrivals.map((a) => a.seq));
const hookLost = lost(hookLedger, hookReceived);
const mqttLost = lost(mqttLedger, mqttReceived);
const duplicates = receiver.deliveries.length - hookReceived.size;
const replayed = receiver.deliveries.filter((d) => d.replay).length;

const firstMqtt = new Map<number, MqttArrival>();
for (const a of mqttArrivals) if (!firstMqtt.has(a.seq)) firstMqtt.set(a.seq, a);
const live = [...firstMqtt.values()].filter((a) => !a.replay);
function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(s.length * p))]! : NaN;
}
const window = (from: number, to: number) => live.filter((a) => a.at >= from && a.at < to);
// Skip the first seconds after the start: machines connecting, first states.
const before = window(downAt - BEFORE + 5000, downAt);
const during = window(downAt, upAt);
const lat = (xs: MqttArrival[], from: 'sentAt' | 'ts') => {
  const v = xs.map((a) => a.at - a[from]);
  return { n: v.length, p50: pct(v, 0.5), p99: pct(v, 0.99) };
};
// The same window without the first seconds after each restart: what the outage itself costs.
const steady = during.filter((a) => !restarts.some((r) => a.at >= r && a.at < r + 5000));
const sSteady = lat(steady, 'sentAt');
const tSteady = lat(steady, 'ts');
const sBefore = lat(before, 'sentAt');
const sDuring = lat(during, 'sentAt');
const tBefore = lat(before, 'ts');
const tDuring = lat(during, 'ts');
const failing = allLines.filter((l) => l.code === 'LS_WEBHOOK_FAILING').length;

log(`committed: ${hookLedger.lastSeq} seqs; agent exit ${code}`);
log(`webhook: ${hookReceived.size} distinct delivered, MISSING ${hookLost.length}, waiting in outbox for the next start ${hookLedger.waiting.size}, UNVERIFIABLE ${receiver.unverifiable.length}, duplicates ${duplicates}, replay: true ${replayed}, outage logged ${failing}× (once per agent process)`);
log(`mqtt:    ${mqttReceived.size} distinct received, MISSING ${mqttLost.length}, waiting in outbox ${mqttLedger.waiting.size}`);
log(`MQTT live latency sentAt→arrival: before p50 ${sBefore.p50} ms p99 ${sBefore.p99} ms (n=${sBefore.n}) | during outage p50 ${sDuring.p50} ms p99 ${sDuring.p99} ms (n=${sDuring.n})`);
log(`MQTT live latency ts→arrival:     before p50 ${tBefore.p50} ms p99 ${tBefore.p99} ms | during outage p50 ${tDuring.p50} ms p99 ${tDuring.p99} ms`);
log(`  during, without the 5 s after each of the ${KILLS} restarts: sentAt→arrival p50 ${sSteady.p50} ms p99 ${sSteady.p99} ms (n=${sSteady.n}); ts→arrival p50 ${tSteady.p50} ms p99 ${tSteady.p99} ms`);
log(`drain after the receiver came back: ${Math.round((drainedAt - upAt) / 1000)} s`);

const params = { outage: o.outage, kills: KILLS, before: o.before, machines: MACHINES, telemetry: o.telemetry, replayRate: REPLAY_RATE };
const figures = [
  { name: 'Webhook messages missing after the outage (not received, not in the outbox)', value: hookLost.length, unit: 'messages', note: `${hookLedger.lastSeq} committed, ${KILLS} × kill -9` },
  { name: 'Webhook requests that failed verification (standardwebhooks)', value: receiver.unverifiable.length, unit: 'requests' },
  { name: 'MQTT messages missing', value: mqttLost.length, unit: 'messages' },
  { name: 'MQTT live latency sentAt→arrival p99 during the webhook outage', value: sDuring.p99, unit: 'ms', baseline: { name: 'before the outage', value: sBefore.p99 }, ratio: sDuring.p99 / sBefore.p99 },
  { name: 'MQTT live latency ts→arrival p99 during the webhook outage', value: tDuring.p99, unit: 'ms', baseline: { name: 'before the outage', value: tBefore.p99 }, ratio: tDuring.p99 / tBefore.p99 },
];
process.stdout.write(`${JSON.stringify({ bench: 'webhook-outage', params, figures })}\n`);
await receiver.close();
await broker.stop();
cleanup();
process.exit(hookLost.length || receiver.unverifiable.length || mqttLost.length ? 1 : 0);
