import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseConfig } from '../../../config/loader.ts';
import { composeAgent } from '../../../agent/app/compose.ts';
import { captureLog } from '../../helpers/capture-log.ts';
import { ContractChecker } from '../../helpers/contract-checker.ts';
import { Mosquitto } from '../../helpers/mosquitto.ts';
import { assertDocumented, eventually, get } from '../../helpers/openapi.ts';
import { parsePrometheus } from '../../helpers/prometheus.ts';
import { tempDir } from '../../helpers/tmp.ts';

// The agent's clock runs 600× faster than the wall clock (10 simulated minutes a second), from
// just before an hour boundary: within seconds the sim machine has faults and an hour closes.
const T0 = Date.UTC(2026, 2, 2, 6, 50);
const SPEED = 600;

interface OeeList { periods: Array<{ periodId: string; kind: string; status: string; oee: number | null }> }
interface StateList { intervals: Array<{ state: string; start: string; end: string; durationMs: number }> }
interface DowntimeList { events: Array<{ eventId: string; status: string; durationMs: number | null }> }

describe('local HTTP API of a running agent (sim machine, real broker, real SQLite history)', () => {
  it('serves machines and history, documented by docs/openapi.yaml; /readyz follows the broker; /metrics parses', async () => {
    const broker = await Mosquitto.start();
    after(() => broker.stop());
    const contract = await ContractChecker.attach(broker.url);
    after(() => contract.close());
    const dir = tempDir();
    const text = `agent: { id: edge-h, dataDir: ./data }
location: { enterprise: acme, site: p1, area: hall, line: l1 }
mqtt: { url: "${broker.url}", reconnectMin: 100ms, reconnectMax: 1s }
http: { port: 0, ready: { maxOutboxAge: 30d } }
oee: { periods: [hour], liveInterval: 1m }
machines:
  - id: press-1
    name: Press 1
    driver: sim
    idealCycleTime: 1s
    pollInterval: 100ms
    states: { staleAfter: 1h, debounce: 1s, microStop: 10s }
    connection: { seed: 7, faultsPerHour: 20, meanFaultDuration: 2m, microStopsPerHour: 0 }
`;
    const loaded = parseConfig(text, join(dir, 'lineside.yaml'));
    const real0 = Date.now();
    const now = () => T0 + (Date.now() - real0) * SPEED;
    const cap = captureLog('warn');
    const agent = await composeAgent(loaded, cap.log, { now });
    after(() => agent.runtime.stop(5000));
    await agent.runtime.start();
    const base = `http://127.0.0.1:${agent.http!.port}`;

    // Ready once the sim is connected and the broker acknowledged the connection.
    const ready = await eventually('/readyz 200', 30_000, async () => {
      const r = await get(base, '/readyz');
      return r.status === 200 ? r : undefined;
    });
    assertDocumented('/readyz', 200, ready.body);
    assert.deepEqual(Object.keys((ready.body as { checks: object }).checks).sort(), ['drivers', 'mqtt', 'outbox']);

    // History: a closed hour and closed downtime events, from state.db.
    const window = `from=2026-03-02T00:00:00Z&to=2026-03-03T00:00:00Z`;
    const oee = await eventually('a closed hour in the history', 60_000, async () => {
      const r = await get(base, `/api/v1/oee?machine=press-1&period=hour&${window}`);
      assert.equal(r.status, 200, r.text);
      return (r.body as OeeList).periods.length ? r : undefined;
    });
    assertDocumented('/api/v1/oee', 200, oee.body);
    const hour = (oee.body as OeeList).periods[0]!;
    assert.equal(hour.periodId, 'hour:2026-03-02T06:00:00.000Z');
    assert.equal(hour.status, 'closed');
    const downtime = await eventually('closed downtime in the history', 60_000, async () => {
      const r = await get(base, `/api/v1/downtime?machine=press-1&${window}`);
      return (r.body as DowntimeList).events.length ? r : undefined;
    });
    assertDocumented('/api/v1/downtime', 200, downtime.body);
    assert.ok((downtime.body as DowntimeList).events.every((e) => e.status !== 'open' && (e.durationMs ?? 0) > 0));
    // The state timeline: closed intervals that chain (each ends where the next starts), a fault among them.
    const states = await eventually('closed state intervals in the history', 60_000, async () => {
      const r = await get(base, `/api/v1/states?machine=press-1&${window}`);
      assert.equal(r.status, 200, r.text);
      return (r.body as StateList).intervals.some((i) => i.state === 'fault') ? r : undefined;
    });
    assertDocumented('/api/v1/states', 200, states.body);
    const intervals = (states.body as StateList).intervals;
    for (let i = 1; i < intervals.length; i++) assert.equal(intervals[i]!.start, intervals[i - 1]!.end, `interval ${i} starts where ${i - 1} ended`);
    assert.ok(intervals.every((i) => Date.parse(i.end) - Date.parse(i.start) === i.durationMs));
    // The window filters: nothing the day before.
    const before = await get(base, '/api/v1/oee?machine=press-1&from=2026-03-01T00:00:00Z&to=2026-03-01T12:00:00Z');
    assert.deepEqual((before.body as OeeList).periods, []);
    const shiftOnly = await get(base, `/api/v1/oee?machine=press-1&period=shift&${window}`);
    assert.deepEqual((shiftOnly.body as OeeList).periods, [], 'filtered by period kind');

    // Live state.
    const machines = await get(base, '/api/v1/machines');
    assertDocumented('/api/v1/machines', 200, machines.body);
    const [m] = (machines.body as { machines: Array<{ id: string; name: string; link: { state: string }; state: { state: string } | null }> }).machines;
    assert.deepEqual([m!.id, m!.name, m!.link.state], ['press-1', 'Press 1', 'connected']);
    assert.ok(m!.state, 'pipeline state present');
    const detail = await get(base, '/api/v1/machines/press-1');
    assertDocumented('/api/v1/machines/{id}', 200, detail.body);
    const d = detail.body as { tags: Record<string, unknown>; readings: number; periods: Array<{ kind: string }> };
    assert.ok('partCount' in d.tags && 'running' in d.tags, Object.keys(d.tags).join());
    assert.ok(d.readings > 0);
    assert.ok(d.periods.some((p) => p.kind === 'hour'), 'the open hour with live figures');

    // Bad requests: 400/404/405 with registered codes, documented.
    for (const [path, status, code, msg] of [
      ['/api/v1/oee', 400, 'LS_HTTP_BAD_REQUEST', /^machine: /],
      ['/api/v1/oee?machine=press-1&from=yesterday', 400, 'LS_HTTP_BAD_REQUEST', /^from: expected an ISO 8601 date-time/],
      ['/api/v1/oee?machine=press-1&period=week', 400, 'LS_HTTP_BAD_REQUEST', /^period: expected shift \| hour \| job/],
      ['/api/v1/oee?machine=press-1&bogus=5', 400, 'LS_HTTP_BAD_REQUEST', /^bogus: unknown parameter/],
      ['/api/v1/oee?machine=press-1&limit=5000', 400, 'LS_HTTP_BAD_REQUEST', /^limit: expected an integer from 1 to 1000/],
      ['/api/v1/downtime?machine=press-1&machine=press-2', 400, 'LS_HTTP_BAD_REQUEST', /given more than once/],
      ['/api/v1/downtime?machine=press-1&from=2026-03-02T10:00:00Z&to=2026-03-02T09:00:00Z', 400, 'LS_HTTP_BAD_REQUEST', /from: must be before to/],
      ['/api/v1/downtime?machine=lathe-9', 404, 'LS_HTTP_NOT_FOUND', /no machine "lathe-9"/],
      ['/api/v1/machines/lathe-9', 404, 'LS_HTTP_NOT_FOUND', /no machine "lathe-9"/],
      ['/api/v1/machines/%E0%A4%A', 400, 'LS_HTTP_BAD_REQUEST', /malformed request target/],
      ['/api/v1/machines/%E0%A4%41', 400, 'LS_HTTP_BAD_REQUEST', /malformed escape/],
    ] as const) {
      const r = await get(base, path);
      assert.equal(r.status, status, `${path}: ${r.text}`);
      const e = (r.body as { error: { code: string; message: string } }).error;
      assert.equal(e.code, code, path);
      assert.match(e.message, msg, path);
      assertDocumented(path.startsWith('/api/v1/machines/') ? '/api/v1/machines/{id}' : path.split('?')[0]!, status, r.body);
    }
    assert.equal((await get(base, '/api/v1/machines', {}, 'POST')).status, 405);

    // Metrics: strict parse, every family the issue asks for, per-machine state and OEE.
    const metrics = await get(base, '/metrics');
    assert.match(metrics.type, /^text\/plain/);
    const families = parsePrometheus(metrics.text);
    for (const name of [
      'lineside_outbox_depth', 'lineside_outbox_bytes', 'lineside_outbox_oldest_age_seconds', 'lineside_outbox_dropped_total',
      'lineside_mqtt_published_total', 'lineside_mqtt_publish_errors_total', 'lineside_mqtt_inflight', 'lineside_mqtt_connected',
      'lineside_replay_eta_seconds', 'lineside_driver_connected', 'lineside_driver_poll_duration_seconds', 'lineside_driver_poll_errors_total',
      'lineside_machine_state', 'lineside_oee_ratio',
    ]) assert.ok(families.get(name)?.samples.length, `${name} present with samples`);
    // Running totals are counters, levels are gauges: rate() and alert rules rely on the declared type.
    for (const [name, f] of families) if (name.startsWith('lineside_') && !name.startsWith('lineside_process_') && !name.startsWith('lineside_nodejs_')) assert.equal(f.type, name.endsWith('_total') ? 'counter' : 'gauge', name);
    const sample = (name: string, labels: Record<string, string>) => families.get(name)!.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    assert.ok(sample('lineside_mqtt_published_total', {})!.value > 0);
    assert.equal(sample('lineside_driver_connected', { machine: 'press-1', driver: 'sim' })!.value, 1);
    assert.equal(families.get('lineside_machine_state')!.samples.filter((s) => s.labels.machine === 'press-1' && s.value === 1).length, 1, 'exactly one current state');
    const liveOee = sample('lineside_oee_ratio', { machine: 'press-1', period: 'hour', metric: 'availability' });
    assert.ok(liveOee && liveOee.value >= 0 && liveOee.value <= 1, JSON.stringify(liveOee));

    // Readiness follows the broker: down → 503 naming mqtt, back → 200.
    await broker.stop();
    const down = await eventually('/readyz 503 with the broker stopped', 30_000, async () => {
      const r = await get(base, '/readyz');
      return r.status === 503 ? r : undefined;
    });
    assertDocumented('/readyz', 503, down.body);
    const checks = (down.body as { checks: Record<string, { ok: boolean; reason?: string }> }).checks;
    assert.equal(checks.mqtt!.ok, false);
    assert.match(checks.mqtt!.reason!, /broker not connected/);
    // The destinations' view while the broker is down: mqtt is not delivering, messages wait for it.
    const dest = await eventually('mqtt waiting in /api/v1/destinations', 30_000, async () => {
      const r = await get(base, '/api/v1/destinations');
      const mqtt = (r.body as { destinations: Array<{ name: string; up: boolean; depth: number; lastError: { message: string } | null }> }).destinations.find((d) => d.name === 'mqtt');
      return mqtt && !mqtt.up && mqtt.depth > 0 ? r : undefined;
    });
    assertDocumented('/api/v1/destinations', 200, dest.body);
    const mqttDest = (dest.body as { destinations: Array<{ name: string; type: string; lastError: { message: string } | null; sent: number; acked: number }> }).destinations[0]!;
    assert.equal(mqttDest.type, 'mqtt');
    assert.match(mqttDest.lastError!.message, /connection lost|unreachable/);
    assert.ok(mqttDest.acked > 0 && mqttDest.sent >= mqttDest.acked);
    const dead = await get(base, '/api/v1/destinations/mqtt/dead-letters');
    assertDocumented('/api/v1/destinations/{name}/dead-letters', 200, dead.body);
    assert.deepEqual((dead.body as { deadLetters: unknown[] }).deadLetters, []);
    assert.equal((await get(base, '/api/v1/destinations/nope/dead-letters')).status, 404);
    const downMetrics = parsePrometheus((await get(base, '/metrics')).text);
    assert.equal(downMetrics.get('lineside_destination_up')!.samples.find((x) => x.labels.destination === 'mqtt')!.value, 0);
    assert.ok(downMetrics.get('lineside_destination_depth')!.samples.find((x) => x.labels.destination === 'mqtt')!.value > 0);
    await broker.restart();
    await eventually('/readyz 200 with the broker back', 30_000, async () => ((await get(base, '/readyz')).status === 200 ? true : undefined));

    await agent.runtime.stop(5000);
    for (const id of ['telemetry', 'state', 'downtime', 'oee', 'agentStatus']) assert.ok(contract.seen.get(id), `the checker saw ${id} messages`);
    assert.deepEqual(contract.violations, [], contract.report());
  });
});
