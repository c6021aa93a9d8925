import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentProcess } from '../helpers/agent-process.ts';
import { writeAgentConfig } from '../helpers/agent-config.ts';

describe('lineside run', () => {
  it('starts with sim machines, keeps a failing machine from stopping the rest, and stops on SIGTERM', async () => {
    const file = writeAgentConfig({
      id: 'smoke',
      body: `machines:
  - { id: sim-1, driver: sim, idealCycleTime: 1s, pollInterval: 100ms }
  - id: unreachable
    driver: modbus
    idealCycleTime: 1s
    connection: { host: 127.0.0.1, port: 1, timeout: 200ms }
    tags: [{ name: parts, address: 0, type: uint32 }]
    signals: { partCount: { tag: parts } }
`,
    });
    const agent = new AgentProcess(['run', '--config', file, '--log-level', 'debug']);
    const running = await agent.waitFor((l) => l.msg === 'lineside running');
    assert.equal(running.machines, 2);
    await agent.waitFor((l) => l.msg === 'machine connected' && l.machine === 'sim-1');
    await agent.waitFor((l) => l.msg === 'machine unreachable; retrying with back-off' && l.machine === 'unreachable');
    const code = await agent.stop('SIGTERM');
    assert.equal(code, 0, agent.stderr);
    assert.ok(agent.lines.some((l) => l.msg === 'stopped'));
  });
});
