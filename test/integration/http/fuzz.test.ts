// Thousands of malformed requests over raw sockets against a running agent's HTTP API. Every
// one must be answered (with the API's JSON error when it is an error) or closed, nothing may
// fail with 5xx or end the process, and afterwards the API still serves.
// FUZZ_SEED=<n> replays another sequence; the seed is in every failure message.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { composeAgent } from '../../../agent/app/compose.ts';
import { parseConfig } from '../../../config/loader.ts';
import { captureLog } from '../../helpers/capture-log.ts';
import { assertDocumented, get } from '../../helpers/openapi.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { fuzz, fuzzCases } from './fuzzer.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20_260_302);
const CASES = 3000;

describe('HTTP API under fuzzing (raw sockets, real agent with a sim machine)', () => {
  it(`answers or closes each of ${CASES} malformed requests and serves on`, async () => {
    const dir = tempDir();
    // The broker port is closed: the agent buffers, which is not what this test looks at.
    const text = `agent: { id: fuzz, dataDir: ./data }
location: { enterprise: e, site: s, area: a, line: l }
mqtt: { url: "mqtt://127.0.0.1:1" }
http: { port: 0 }
machines:
  - { id: press-1, driver: sim, idealCycleTime: 1s, pollInterval: 200ms }
`;
    const cap = captureLog('warn');
    const agent = await composeAgent(parseConfig(text, join(dir, 'lineside.yaml')), cap.log);
    after(() => agent.runtime.stop(5000));
    await agent.runtime.start();
    const port = agent.http!.port;

    const report = await fuzz(port, fuzzCases(CASES, SEED), { concurrency: 16 });
    const where = `seed ${SEED}: ${JSON.stringify({ ...report, findings: report.findings.slice(0, 5) })}`;

    assert.equal(report.sent, CASES);
    assert.deepEqual(report.findings, [], where);
    assert.equal(report.hung, 0, where);
    // Not vacuous: the corpus reaches the parser's errors, the router and the handlers.
    for (const status of ['200', '400', '404', '405', '431']) assert.ok(report.statuses[status], `some ${status} answers; ${where}`);
    assert.ok(report.answered > CASES * 0.8, where);
    // A handler failure logs an error; none may have happened.
    assert.deepEqual(cap.lines.filter((l) => (l.level as number) >= 50), []);

    const base = `http://127.0.0.1:${port}`;
    const health = await get(base, '/healthz');
    assert.equal(health.status, 200);
    const machines = await get(base, '/api/v1/machines');
    assert.equal(machines.status, 200, machines.text);
    assertDocumented('/api/v1/machines', 200, machines.body);
    assert.equal((machines.body as { machines: Array<{ id: string }> }).machines[0]!.id, 'press-1');
  });
});
