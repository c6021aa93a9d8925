// The whole workflow through the real binary: `lineside run` with a secured OPC UA machine logs
// the untrusted server certificate once with the command to run, `lineside opcua trust` fixes it
// while the agent keeps running, and `lineside opcua browse` lists a large folder and writes a
// snippet; `lineside opcua endpoints` tells what a server offers.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
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
      assert.match(String(warned.err), /is not trusted/);
      assert.equal(warned.command, `lineside opcua trust ${warned.fingerprint}`);
      assert.ok(!agent.lines.some((l) => l.msg === 'machine connected' && l.machine === 'cnc-1'));

      const certs = await runCli(['opcua', 'certs', '--config', file], { env: ENV });
      assert.equal(certs.code, 0, certs.stderr);
      assert.match(certs.stdout, new RegExp(`rejected\\s+${warned.fingerprint}`));
      const trusted = await runCli(['opcua', 'trust', String(warned.fingerprint), '--config', file], { env: ENV });
      assert.equal(trusted.code, 0, trusted.stderr);

      await agent.waitFor((l) => l.msg === 'machine connection recovered' && l.machine === 'cnc-1', 60_000);
      // Once, although the agent retried with the same certificate until it was trusted.
      const untrustedWarnings = agent.lines.filter((l) => (l.level as number) >= 40 && JSON.stringify(l).includes('is not trusted'));
      assert.equal(untrustedWarnings.length, 1, JSON.stringify(untrustedWarnings));
      assert.equal(await agent.stop('SIGTERM'), 0, agent.stderr);

      // The certificate the PLC's operator is asked to trust names this agent and where it stands.
      const own = JSON.parse((await runCli(['opcua', 'certs', '--config', file, '--json'], { env: ENV })).stdout) as { own: { subject: string } };
      assert.deepEqual(own.own.subject.split(', ').sort(), ['CN=Lineside@opcua-smoke', 'L=s', 'O=e', 'OU=a l']);
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

    // A level of folders only has no variables to read data types of.
    const folders = await runCli(['opcua', 'browse', sim.endpoint, '--depth', '1', ...common], { env });
    assert.equal(folders.code, 0, folders.stderr);
    assert.match(folders.stdout, /^ {2}\+ Machine {2}ns=2;s=Machine$/m);

    const snippet = await runCli(['opcua', 'browse', sim.endpoint, '--depth', '2', '--snippet', '^Machine\\.', ...common], { env });
    assert.equal(snippet.code, 0, snippet.stderr);
    const parsed = parse(snippet.stdout) as { tags: Array<{ name: string; nodeId: string }> };
    assert.deepEqual(parsed.tags.map((t) => t.nodeId), ['Running', 'PartCount', 'RejectCount', 'FaultCode', 'Speed', 'Mode'].map((n) => `ns=2;s=Machine.${n}`));
    assert.ok(parsed.tags.every((t) => /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(t.name)));

    const refused = await runCli(['opcua', 'browse', sim.endpoint, '--data-dir', join(dir, 'elsewhere')]);
    assert.equal(refused.code, 5);
    assert.match(refused.stderr, new RegExp(`no endpoint with securityMode None.*\\(\`lineside opcua endpoints ${sim.endpoint}\` lists what it offers\\)`));
  });

  it('lists the endpoints the hint points at, and keeps its PKI out of the current directory', async () => {
    const cwd = tempDir('lineside-opcua-cwd-');
    const state = join(dir, 'state');
    const listed = await runCli(['opcua', 'endpoints', sim.endpoint], { cwd, env: { XDG_STATE_HOME: state } });
    assert.equal(listed.code, 0, listed.stderr);
    const rows = listed.stdout.trim().split('\n');
    assert.match(rows[0]!, /^securityMode\s+securityPolicy\s+level\s+auth\.type\s+endpointUrl$/);
    assert.match(rows[1]!, /^SignAndEncrypt\s+Basic256Sha256\s+\d+\s+username, certificate\s+opc\.tcp:\/\//);
    assert.ok(rows.some((r) => r.startsWith(`server certificate: ${sim.fingerprint}  `)), listed.stdout);
    const pki = join(state, 'lineside', 'drivers', 'opcua', 'pki');
    assert.ok(listed.stderr.includes(`PKI folder: ${pki} `), listed.stderr);

    const browsed = await runCli(['opcua', 'browse', sim.endpoint, '--security-mode', 'SignAndEncrypt', '--security-policy', 'Basic256Sha256', '--username', 'lineside'], { cwd, env: { XDG_STATE_HOME: state, LINESIDE_OPCUA_PASSWORD: 'pw' } });
    assert.equal(browsed.code, 5);
    // Outside an agent's data dir the command to trust it needs no flags: the same folder is the default.
    assert.ok(browsed.stderr.includes(`is not trusted; it was put in ${join(pki, 'rejected')}. If it is the right server, run: lineside opcua trust ${sim.fingerprint}\n`), browsed.stderr);
    assert.deepEqual(readdirSync(cwd), [], 'nothing written to the current directory');
    assert.ok(existsSync(join(pki, 'own', 'private', 'private_key.pem')));
  });
});
