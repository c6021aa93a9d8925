import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, loadConfigAs } from '../../../config/loader.ts';
import { replayConfigSchema, unreadByReplay } from '../../../config/schema/replay.ts';
import { tempDir } from '../../helpers/tmp.ts';

const dir = tempDir();
let n = 0;
function load(text: string) {
  const file = join(dir, `replay-${++n}.yaml`);
  writeFileSync(file, text);
  return loadConfigAs(file, replayConfigSchema, unreadByReplay, { env: {} });
}
function problems(text: string): string[] {
  try {
    load(text);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  assert.fail('expected problems');
}

const MACHINE = `  - id: press-2
    idealCycleTime: 900ms
    signals: { running: { tag: Press2.Running }, partCount: { tag: Press2.Count } }
`;

describe('replay configuration', () => {
  it('needs only machines with their signals: no agent, mqtt, driver, connection or tags', () => {
    const { config } = load(`shifts: { timezone: Europe/Berlin }\nmachines:\n${MACHINE}`);
    const m = config.machines[0]!;
    assert.equal(m.id, 'press-2');
    assert.equal(m.signals.running?.tag, 'Press2.Running');
    assert.equal(config.shifts.timezone, 'Europe/Berlin');
    assert.equal(config.reasons['micro-stop']?.category, 'performance');
  });

  it("reads an agent's own file without its connection details or their secrets", () => {
    const agentFile = `agent: { id: a1 }
location: { enterprise: e, site: s, area: a, line: l }
mqtt: { url: mqtt://broker:1883, password: "\${MQTT_PASSWORD}" }
machines:
  - id: press-2
    driver: opcua
    idealCycleTime: 900ms
    connection: { endpoint: "\${PLC_ENDPOINT}", auth: { type: username, username: op, password: "\${PLC_PASSWORD}" } }
    tags: [{ name: Press2.Running, nodeId: "ns=2;s=Running" }, { name: Press2.Count, nodeId: "ns=2;s=Count" }]
    signals: { running: { tag: Press2.Running }, partCount: { tag: Press2.Count } }
  - id: press-3
    driver: opcua
    idealCycleTime: 900ms
    connection: { endpoint: opc.tcp://plc3:4840, mode: poll }
    tags: [{ name: Count, nodeId: "ns=2;s=Count" }]
    signals: { partCount: { tag: Count } }
  - id: sim-1
    driver: sim
    idealCycleTime: 1s
`;
    const { config } = load(agentFile);
    // The control: the agent itself needs every secret.
    assert.throws(() => loadConfig(join(dir, `replay-${n}.yaml`), { env: {} }), /PLC_PASSWORD is not set/);
    const [sub, poll, sim] = config.machines;
    // A subscription reports by exception; the pipeline tells it by driver and mode alone.
    assert.deepEqual([sub!.driver, sub!.driver === 'opcua' && sub!.connection.mode], ['opcua', 'subscribe']);
    assert.equal(poll!.driver, 'sim', 'a polled machine is one whose readings come by poll');
    assert.equal(sim!.signals.changeover?.tag, 'mode', "a sim machine's signals default to the simulator tags");
  });

  it('reports what replay reads, located, and nothing it skips', () => {
    assert.deepEqual(problems(`shfits: {}\nmqtt: { url: 42 }\nmachines:\n  - id: m1\n    idealCycleTime: 1s\n`), [
      'shfits: unknown key; did you mean `shifts`?',
      'machines[0].signals: missing; expected the signals mapping (only a sim machine has a default)',
    ]);
    assert.deepEqual(problems(`machines:\n${MACHINE}    tags: [{ name: Press2.Running }]\n    faults: { "7": nope }\n${MACHINE}`), [
      `machines[0].signals.partCount.tag: expected one of the machine's tags (Press2.Running), got "Press2.Count"`,
      'machines[0].faults["7"]: expected a reason code from reasons (unassigned, micro-stop, changeover), got "nope"',
      'machines[1].id: duplicate machine id "press-2" (also machines[0])',
    ]);
  });
});
