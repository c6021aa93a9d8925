// The whole workflow through the real binary: `lineside run` with a secured OPC UA machine logs
// the untrusted server certificate with the command to run, `lineside opcua trust` fixes it while
// the agent keeps running, and `lineside opcua browse` lists a large folder and writes a snippet.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { startOpcuaSimulator, type OpcuaSimulator } from '../../../drivers/sim/opcua-server.ts';
import { AgentProcess } from '../../helpers/agent-process.ts';
import { runCli } from '../../helpers/cli.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { writeAgentConfig } from '../../helpers/agent-config.ts';

const LOAD = 400;
/** The config's ${OPCUA_PW}: every verb that reads --config needs it. */
const ENV = { OPCUA_PW: 'pw' };

describe('lineside run / opcua verbs against the OPC UA simulator', () => {
  let sim: OpcuaSimulator;
  const dir = tempDir('lineside-opcua-agent-');
  const file = join(dir, 'lineside.yaml');

  before(async () => {
    sim = await startOpcuaSimulator({ pkiDir: join(dir, 'server-pki'), securityModes: ['SignAndEncrypt'], securityPolicies: ['Basic256Sha256'], allowAnonymous: false, users: [{ username: 'lineside', password: 'pw' }], extraVariables: LOAD });
    writeAgentConfig({
      dir,
      id: 'opcua-smoke',
      body: `machines:
  - id: cnc-1
    driver: opcua
    idealCycleTime: 1s
    connection:
      endpoint: ${sim.endpoint}
      securityMode: SignAndEncrypt
      securityPolicy: Basic256Sha256
      auth:
        type: username
        username: lineside
        password: \${OPCUA_PW}
      publishingInterval: 200ms
    tags:
      - { name: running, nodeId: "ns=2;s=Machine.Running" }
      - { name: parts, nodeId: "ns=2;s=Machine.PartCount" }
    signals: { running: { tag: running }, partCount: { tag: parts } }
`,
    });
  });
  after(async () => {
    await sim?.stop();
  });

  it('logs the untrusted certificate with the command to run, and recovers once it is trusted', async () => {
    const agent = new AgentProcess(['run', '--config', file], ENV);
    try {
      const warned = await agent.waitFor((l) => typeof l.command === 'string' && l.machine === 'cnc-1');
      assert.equal(String(warned.fingerprint).replace(/:/g, ''), sim.fingerprint.replace(/:/g, ''));
      assert.match(String(warned.msg), /is not trusted/);
      assert.equal(warned.command, `lineside opcua trust ${warned.fingerprint}`);
      assert.ok(!agent.lines.some((l) => l.msg === 'machine connected' && l.machine === 'cnc-1'));

      const certs = await runCli(['opcua', 'certs', '--config', file], { env: ENV });
      assert.equal(certs.code, 0, certs.stderr);
      assert.match(certs.stdout, new RegExp(`rejected\\s+${warned.fingerprint}`));
      const trusted = await runCli(['opcua', 'trust', String(warned.fingerprint), '--config', file], { env: ENV });
      assert.equal(trusted.code, 0, trusted.stderr);

      await agent.waitFor((l) => l.msg === 'machine connection recovered' && l.machine === 'cnc-1', 60_000);
      assert.equal(await agent.stop('SIGTERM'), 0, agent.stderr);
    } finally {
      await agent.stop('SIGKILL');
    }
  });

  it('browses a large folder with continuation points and prints a config snippet', async () => {
    const common = ['--config', file, '--security-mode', 'SignAndEncrypt', '--security-policy', 'Basic256Sha256', '--username', 'lineside'];
    const env = { ...ENV, LINESIDE_OPCUA_PASSWORD: 'pw' };
    const tree = await runCli(['opcua', 'browse', sim.endpoint, '--root', 'ns=2;s=Load', '--depth', '1', '--max-references', '50', ...common], { env });
    assert.equal(tree.code, 0, tree.stderr);
    assert.equal(tree.stdout.split('\n').filter((l) => /^\s+- L\d+ {2}ns=2;s=Load\.\d+ {2}Double$/.test(l)).length, LOAD);
    const next = Number(/(\d+) BrowseNext/.exec(tree.stderr)?.[1]);
    assert.ok(next >= LOAD / 50 - 1, `continuation points were followed: ${tree.stderr}`);

    const snippet = await runCli(['opcua', 'browse', sim.endpoint, '--depth', '2', '--snippet', '^Machine\\.', ...common], { env });
    assert.equal(snippet.code, 0, snippet.stderr);
    const parsed = parse(snippet.stdout) as { tags: Array<{ name: string; nodeId: string }> };
    assert.deepEqual(parsed.tags.map((t) => t.nodeId), ['Running', 'PartCount', 'RejectCount', 'FaultCode', 'Speed', 'Mode'].map((n) => `ns=2;s=Machine.${n}`));
    assert.ok(parsed.tags.every((t) => /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(t.name)));

    const refused = await runCli(['opcua', 'browse', sim.endpoint, '--data-dir', join(dir, 'elsewhere')]);
    assert.equal(refused.code, 5);
    assert.match(refused.stderr, /no endpoint with securityMode None/);
  });
});
