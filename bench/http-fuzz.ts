// Fuzzes the HTTP API of a real agent (`lineside run`, a sim machine, a real mosquitto) with
// malformed requests over raw sockets, then checks that the agent still serves HTTP and still
// publishes to MQTT. Baseline: the same number of well-formed requests, one per connection.
// Not part of npm test.
//   node bench/http-fuzz.ts [--requests 10000] [--seed 20260302] [--concurrency 32]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { writeAgentConfig } from '../test/helpers/agent-config.ts';
import { AgentProcess } from '../test/helpers/agent-process.ts';
import { Mosquitto } from '../test/helpers/mosquitto.ts';
import { fuzz, fuzzCases, type FuzzCase } from '../test/integration/http/fuzzer.ts';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '10000' }, seed: { type: 'string', default: '20260302' }, concurrency: { type: 'string', default: '32' } } });
const N = Number(values.requests);
const SEED = Number(values.seed);
const CONCURRENCY = Number(values.concurrency);

const scratch = mkdtempSync(join(tmpdir(), 'lineside-bench-fuzz-'));
const broker = await Mosquitto.start({ dir: scratch });
const config = writeAgentConfig({
  id: 'fuzz-bench',
  dir: scratch,
  mqttUrl: broker.url,
  // Telemetry every 500 ms: the check that publishing goes on after the fuzz waits for seconds, not minutes.
  body: 'machines:\n  - { id: press-1, driver: sim, idealCycleTime: 1s, pollInterval: 100ms, telemetry: { interval: 500ms } }\n',
});
const agent = new AgentProcess(['run', '--config', config]);
let failed = false;
try {
  const port = Number((await agent.msg('HTTP API listening')).port);
  const sub = await mqtt.connectAsync(broker.url, { clientId: 'fuzz-bench-sub' });
  let received = 0;
  const arrivals: Array<() => void> = [];
  sub.on('message', () => {
    received++;
    arrivals.splice(0).forEach((f) => f());
  });
  await sub.subscribeAsync('lineside/#');
  /** Resolves once `count` more messages have arrived, or rejects after `ms`. */
  const more = (count: number, ms: number) => {
    const target = received + count;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fewer than ${count} MQTT messages in ${ms} ms (${received} in all)`)), ms);
      const check = () => (received >= target ? (clearTimeout(timer), resolve()) : arrivals.push(check));
      check();
    });
  };
  await more(5, 30_000);

  const wellFormed: FuzzCase[] = Array.from({ length: Math.min(N, 2000) }, () => ({ kind: 'valid', pieces: [Buffer.from('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')] }));
  const baseline = await fuzz(port, wellFormed, { concurrency: CONCURRENCY });

  const during0 = received;
  const rssBefore = agentRss(agent);
  const report = await fuzz(port, fuzzCases(N, SEED), { concurrency: CONCURRENCY, timeoutMs: 20_000 });
  const during = received - during0;
  const rssAfter = agentRss(agent);

  const after0 = received;
  const t = performance.now();
  await more(5, 30_000);
  const afterMs = performance.now() - t;
  const health = await fetch(`http://127.0.0.1:${port}/healthz`);
  const machines = await fetch(`http://127.0.0.1:${port}/api/v1/machines`);
  const machinesBody = (await machines.json()) as { machines: Array<{ id: string; link: { state: string } }> };
  await sub.endAsync();

  const rate = (r: { sent: number; ms: number }) => (r.sent / r.ms) * 1000;
  const statuses = Object.entries(report.statuses).map(([s, n]) => `${s}×${n}`).join(' ');
  console.log(`HTTP fuzz against lineside run (sim machine, mosquitto), seed ${SEED}, ${CONCURRENCY} connections at a time`);
  console.log(`  malformed requests sent : ${report.sent} in ${(report.ms / 1000).toFixed(1)} s (${rate(report).toFixed(0)}/s)`);
  console.log(`  answered / closed       : ${report.answered} / ${report.closed}   reset by the client mid-request: ${report.aborted}`);
  console.log(`  hung (neither, 20 s)    : ${report.hung}`);
  console.log(`  findings (5xx, no JSON) : ${report.findings.length}${report.findings.length ? ` e.g. ${JSON.stringify(report.findings[0])}` : ''}`);
  console.log(`  statuses                : ${statuses}`);
  console.log(`  well-formed baseline    : ${baseline.sent} GET /healthz, ${rate(baseline).toFixed(0)}/s, answered ${baseline.answered}`);
  console.log(`  agent alive afterwards  : ${agent.alive}; /healthz ${health.status}; /api/v1/machines ${machines.status} (${machinesBody.machines.map((m) => `${m.id} ${m.link.state}`).join(', ')})`);
  console.log(`  MQTT on lineside/#      : ${during} messages during the fuzz, 5 more within ${afterMs.toFixed(0)} ms afterwards (${received - after0} counted)`);
  if (rssBefore && rssAfter) console.log(`  agent RSS               : ${(rssBefore / 1e6).toFixed(0)} MB before, ${(rssAfter / 1e6).toFixed(0)} MB after`);
  failed = !agent.alive || health.status !== 200 || machines.status !== 200 || report.hung > 0 || report.findings.length > 0;
  const figures = [
    { name: 'Malformed requests answered or closed', value: rate(report), unit: 'requests/s', baseline: { name: 'well-formed GET /healthz, one per connection', value: rate(baseline) }, ratio: rate(report) / rate(baseline), note: `${report.sent} sent, ${report.hung} hung, ${report.findings.length} findings` },
  ];
  console.log(JSON.stringify({ bench: 'http-fuzz', params: { requests: N, seed: SEED, concurrency: CONCURRENCY }, figures }));
} catch (err) {
  failed = true;
  console.error(`http-fuzz failed: ${(err as Error).message}; agent alive: ${agent.alive}; stderr: ${agent.stderr.slice(-2000)}; last log lines: ${agent.lines.slice(-5).map((l) => JSON.stringify(l)).join('\n')}`);
} finally {
  await agent.stop();
  await broker.stop();
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);

/** Resident set of the agent process (Linux /proc), or undefined elsewhere. */
function agentRss(p: AgentProcess): number | undefined {
  try {
    const status = readFileSync(`/proc/${p.child.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) * 1024;
  } catch {
    return undefined;
  }
}
