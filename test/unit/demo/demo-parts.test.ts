// The demo's pieces without sockets: the bundled config is valid and in shift at any start
// time and speed, and the view follows what arrives on the broker.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../../config/loader.ts';
import { ShiftCalendar } from '../../../agent/pipeline/calendar.ts';
import { DEMO_MACHINES, demoConfigYaml } from '../../../agent/demo/config.ts';
import { DemoView, renderFrame } from '../../../agent/demo/view.ts';

const endpoints = { brokerUrl: 'mqtt://127.0.0.1:18830', modbusPort: 15020, opcuaEndpoint: 'opc.tcp://127.0.0.1:14840', dataDir: '/tmp/lineside-demo-x' };

describe('demo config', () => {
  for (const [start, speed] of [['2026-11-22T00:00:00Z', 1], ['2026-11-22T03:59:59Z', 60], ['2026-11-28T23:30:00Z', 600]] as const) {
    it(`is valid and in shift at ${start}, speed ${speed}`, () => {
      const t = Date.parse(start);
      const { config } = parseConfig(demoConfigYaml({ ...endpoints, speed, start: t }), 'demo.yaml', { env: {} });
      assert.deepEqual(config.machines.map((m) => [m.id, m.driver]), DEMO_MACHINES.map((m) => [m.id, m.protocol]));
      assert.equal(config.mqtt.protocolVersion, 4);
      const cal = new ShiftCalendar(config.shifts);
      assert.ok(cal.isPlanned(t), 'planned production at the start');
      assert.equal(cal.shiftAt(t)?.name, 'a-shift');
      // Staleness scales with speed so a machine polled every 250 ms of wall time never looks stale.
      for (const m of config.machines) assert.ok(m.states.staleAfter! >= 250 * speed * 4, `${m.id} staleAfter ${m.states.staleAfter}`);
    });
  }
});

describe('demo view', () => {
  const root = 'lineside/v1/acme/demo-plant/assembly/line-1';
  const msg = (machine: string, kind: string, data: unknown) => [`${root}/${machine}/${kind}`, Buffer.from(JSON.stringify({ schema: `lineside.${kind}/1`, data }))] as const;

  it('shows state, the open downtime and its reason, and the shift figures', () => {
    const view = new DemoView(DEMO_MACHINES);
    view.message(...msg('press-1', 'state', { state: 'fault', since: '2026-11-22T03:10:00.000Z', reason: { code: 'jam', text: 'Material jam' } }));
    view.message(...msg('press-1', 'downtime', { eventId: 'd1', status: 'open', state: 'fault', start: '2026-11-22T03:10:00.000Z', reason: { code: 'jam', text: 'Material jam' }, microStop: false }));
    view.message(...msg('press-1', 'oee', { periodId: 'shift:a', kind: 'shift', name: 'a-shift', status: 'live', availability: 0.9, performance: 0.95, quality: 0.98, oee: 0.8379, counts: { good: 490, reject: 10 } }));
    view.message(...msg('press-1', 'oee', { periodId: 'hour:3', kind: 'hour', status: 'live', availability: 0.5, performance: 0.5, quality: 0.5, oee: 0.125, counts: { good: 1, reject: 1 } }));
    view.message(`${root}/_agent/demo/status`, Buffer.from('{"status":"online"}'));
    const frame = view.frame(5000, Date.parse('2026-11-22T03:12:30Z'), { brokerConnected: true, outboxDepth: 2, sent: 17, links: { 'press-1': 'connected' } });
    const m = frame.machines.find((x) => x.id === 'press-1')!;
    assert.equal(m.state, 'fault');
    assert.equal(m.downtime?.reason, 'Material jam');
    assert.equal(m.oee?.kind, 'shift', 'the shift figures win over the hour');
    assert.equal(m.oee?.good, 490);
    assert.deepEqual(frame.messages, { state: 1, downtime: 1, oee: 2, status: 1 });
    const text = renderFrame(frame, { line: 'acme/demo-plant/assembly/line-1', speed: 60, subscribe: 'mosquitto_sub ...', metrics: 'http://...', logFile: 'l', configFile: 'c' });
    const row = text.split('\n').find((l) => l.startsWith('press-1'))!;
    assert.match(row, /modbus\/connected\s+fault 03:10:00 \(2m30s\)\s+Material jam for 2m30s\s+490\s+10\s+90\.0%\s+95\.0%\s+98\.0%\s+83\.8%/);
    assert.match(text, /broker connected · outbox depth 2 · sent 17/);

    view.message(...msg('press-1', 'downtime', { eventId: 'd1', status: 'closed', state: 'fault', start: '2026-11-22T03:10:00.000Z', end: '2026-11-22T03:13:00.000Z', durationMs: 180000, reason: { code: 'jam', text: 'Material jam' }, microStop: false }));
    const after = view.frame(6000, Date.parse('2026-11-22T03:13:30Z'), { brokerConnected: false, outboxDepth: 9, sent: 17, links: {} }).machines.find((x) => x.id === 'press-1')!;
    assert.equal(after.downtime, null);
    assert.equal(after.lastDowntime?.durationMs, 180000);
  });

  it('ignores payloads that are not JSON', () => {
    const view = new DemoView(DEMO_MACHINES);
    view.message(`${root}/press-2/state`, Buffer.from('not json'));
    assert.equal(view.frame(0, 0, { brokerConnected: true, outboxDepth: 0, sent: 0, links: {} }).machines[1]!.state, 'unknown');
  });
});
