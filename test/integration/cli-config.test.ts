// The CLI as an operator meets it: secrets kept out of what validate and run print, verbs that
// need no secrets working without them, a data directory that cannot work named in one line,
// and `lineside schema | head` ending quietly.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeAgentConfig } from '../helpers/agent-config.ts';
import { AgentProcess } from '../helpers/agent-process.ts';
import { BIN, ROOT, runCli } from '../helpers/cli.ts';
import { freePort, Mosquitto } from '../helpers/mosquitto.ts';
import { tempDir } from '../helpers/tmp.ts';

const SIM = 'machines: [{ id: m1, driver: sim, idealCycleTime: 1s }]\n';
const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;

/** A config whose mqtt section needs MQTT_PASSWORD, as a systemd install with lineside.env has it. */
function configWithSecret(): string {
  const file = writeAgentConfig({ id: 'secrets', body: SIM });
  writeFileSync(file, readFileSync(file, 'utf8').replace('mqtt: { url: "mqtt://127.0.0.1:1" }', 'mqtt:\n  url: mqtt://127.0.0.1:1\n  password: ${MQTT_PASSWORD}'));
  return file;
}

describe('lineside validate and secrets', () => {
  it('accepts an all-digit password from the environment', async () => {
    const r = await runCli(['validate', '--config', configWithSecret()], { env: { MQTT_PASSWORD: '0042424242' } });
    assert.equal(r.code, 0, r.stderr);
  });

  it('never prints a secret it rejects', async () => {
    const file = configWithSecret();
    writeFileSync(file, readFileSync(file, 'utf8').replace('http: { port: 0 }', 'http:\n  port: 0\n  host: 0.0.0.0\n  token: ${LINESIDE_HTTP_TOKEN}'));
    const r = await runCli(['validate', '--config', file], { env: { MQTT_PASSWORD: '0042424242', LINESIDE_HTTP_TOKEN: '9876543210' } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /http\.token: expected a token of at least 16 characters\n/);
    assert.ok(!r.stderr.includes('9876543210') && !r.stderr.includes('0042424242'), r.stderr);
  });
});

describe('lineside run and the broker URL', () => {
  it('logs the URL with its password masked, when unreachable and when connected', async () => {
    const broker = await Mosquitto.start();
    const down = await freePort();
    const runWith = (port: number) =>
      new AgentProcess(['run', '--config', writeAgentConfig({ id: `url-${port}`, mqttUrl: `mqtt://bob:s3cr3t-pw@127.0.0.1:${port}`, body: SIM })]);
    const unreachable = runWith(down);
    const connected = runWith(broker.port);
    try {
      const warn = await unreachable.msg('broker unreachable; buffering in the outbox and retrying with back-off');
      assert.equal(warn.url, `mqtt://bob:***@127.0.0.1:${down}`);
      const info = await connected.msg('connected to broker');
      assert.equal(info.url, `mqtt://bob:***@127.0.0.1:${broker.port}`);
      for (const p of [unreachable, connected]) assert.ok(!JSON.stringify(p.lines).includes('s3cr3t-pw') && !p.stderr.includes('s3cr3t-pw'));
    } finally {
      await Promise.all([unreachable.stop(), connected.stop()]);
      await broker.stop();
    }
  });
});

describe('lineside opcua certs / trust without the secrets', () => {
  it('lists and trusts with MQTT_PASSWORD unset', async () => {
    const file = configWithSecret();
    const rejected = join(file, '..', 'data', 'drivers', 'opcua', 'pki', 'rejected');
    mkdirSync(rejected, { recursive: true });
    const pem = join(rejected, 'server.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(file, '..', 'server.key'), '-out', pem, '-days', '1', '-subj', '/CN=plc'], { stdio: 'ignore' });
    const env = { MQTT_PASSWORD: '' };
    const certs = await runCli(['opcua', 'certs', '--json', '--config', file], { env });
    assert.equal(certs.code, 0, certs.stderr);
    const [cert] = (JSON.parse(certs.stdout) as { certificates: Array<{ state: string; fingerprint: string }> }).certificates;
    assert.equal(cert?.state, 'rejected');
    const trust = await runCli(['opcua', 'trust', cert.fingerprint, '--config', file], { env });
    assert.equal(trust.code, 0, trust.stderr);
    assert.match(trust.stdout, /^trusted: /);
  });

  it('still reports a problem in the agent section it reads', async () => {
    const file = configWithSecret();
    writeFileSync(file, readFileSync(file, 'utf8').replace('dataDir: ./data', 'dataDir: "${STATE_DIR}"'));
    const r = await runCli(['opcua', 'certs', '--config', file], { env: { MQTT_PASSWORD: '' } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^lineside\.yaml:1:\d+ agent\.dataDir: environment variable STATE_DIR is not set\n1 problem in /);
  });
});

describe('an unusable data directory', () => {
  it('is one line and exit 3 from validate and run, not a stack trace', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'data'), 'a file, not a directory');
    const file = writeAgentConfig({ id: 'dd', body: SIM, dir });
    for (const verb of ['validate', 'run']) {
      const r = await runCli([verb, '--config', file]);
      assert.equal(r.code, 3, `${verb}: ${r.stderr}`);
      assert.equal(r.stderr, `${file}: agent.dataDir ${join(dir, 'data')}: exists and is not a directory\n`);
    }
  });

  it('names a directory the service user cannot write', { skip: !isRoot && 'needs root to run as another user' }, async () => {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const ro = join(dir, 'ro');
    mkdirSync(ro, { mode: 0o555 });
    const file = writeAgentConfig({ id: 'dd', body: SIM, dir });
    writeFileSync(file, readFileSync(file, 'utf8').replace('dataDir: ./data', 'dataDir: ./ro/data'));
    chmodSync(file, 0o644);
    for (const verb of ['validate', 'run']) {
      const r = await runAs(NOBODY, [verb, '--config', file]);
      assert.equal(r.code, 3, `${verb}: ${r.stderr}`);
      assert.equal(r.stderr, `${file}: agent.dataDir ${join(ro, 'data')}: cannot be created: ${ro} is not writable by this user (uid ${NOBODY})\n`);
    }
    assert.deepEqual(readdirSync(ro), []);
    const skipped = await runAs(NOBODY, ['validate', '--no-data-dir-check', '--config', file]);
    assert.equal(skipped.code, 0, skipped.stderr);
  });

  it('under /proc is rejected by validate, and run exits instead of spinning', async () => {
    const file = writeAgentConfig({ id: 'dd', body: SIM });
    writeFileSync(file, readFileSync(file, 'utf8').replace('dataDir: ./data', 'dataDir: /proc/lineside'));
    for (const verb of ['validate', 'run']) {
      const r = await runCli([verb, '--config', file], { timeoutMs: 10_000 });
      assert.equal(r.code, 1, `${verb}: ${r.stderr}`);
      assert.match(r.stderr, /^lineside\.yaml:1:\d+ agent\.dataDir: expected a directory on a disk .* inside \/proc, a kernel file system\n1 problem in /);
    }
  });
});

describe('lineside schema | head', () => {
  it('exits quietly when the reader goes away', async () => {
    const child = spawn(process.execPath, [BIN, 'schema'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Like `| head -1`, but certain to close before the schema is written.
    child.stdout.destroy();
    const [code] = (await once(child, 'close')) as [number | null];
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });
});

function runAs(uid: number, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, uid, gid: uid, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}
