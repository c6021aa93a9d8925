// `lineside run` polling a Modbus machine: the simulator is killed and restarted under it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startModbusSimulator } from '../../../drivers/sim/modbus-server.ts';
import { AgentProcess } from '../../helpers/agent-process.ts';
import { writeAgentConfig } from '../../helpers/agent-config.ts';
import { until } from './helpers.ts';

describe('lineside run with a modbus machine', () => {
  it('connects, marks the machine offline when the server dies, and recovers when it returns', async () => {
    let sim = await startModbusSimulator({ units: [1] });
    const file = writeAgentConfig({
      id: 'mb',
      body: `machines:
  - id: press
    driver: modbus
    idealCycleTime: 1s
    pollInterval: 100ms
    connection: { host: 127.0.0.1, port: ${sim.port}, timeout: 300ms }
    tags:
      - { name: running, area: coil, address: 0, type: bool }
      - { name: parts, address: 0, type: uint32 }
    signals: { running: { tag: running }, partCount: { tag: parts } }
`,
    });
    const agent = new AgentProcess(['run', '--config', file, '--log-level', 'debug']);
    try {
      await agent.waitFor((l) => l.msg === 'machine connected' && l.machine === 'press');
      const first = sim;
      await until(() => first.stats.requests >= 3, 'the agent polling the simulator');
      await sim.stop();
      await agent.waitFor((l) => l.msg === 'machine unreachable; retrying with back-off' && l.machine === 'press');
      sim = await startModbusSimulator({ units: [1], port: sim.port });
      await agent.waitFor((l) => l.msg === 'machine connection recovered' && l.machine === 'press', 30_000);
      // Polling resumed against the new server.
      const second = sim;
      await until(() => second.stats.requests >= 3, 'polls reaching the restarted simulator');
      assert.equal(agent.child.exitCode, null, 'the agent kept running');
      assert.equal(await agent.stop('SIGTERM'), 0, agent.stderr);
    } finally {
      await agent.stop('SIGKILL');
      await sim.stop();
    }
  });
});
