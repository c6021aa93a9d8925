import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { Mosquitto } from '../../helpers/mosquitto.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { analyse, missing, type Received } from './collector.ts';
import { LoadAgent } from './load-process.ts';
import { ContractChecker } from '../../helpers/contract-checker.ts';

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
function makePki(dir: string) {
  const f = (n: string) => join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=lineside-test-ca', '-keyout', f('ca.key'), '-out', f('ca.pem'));
  for (const [name, cn, ext] of [['server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1'], ['client', 'edge-agent', 'extendedKeyUsage=clientAuth']] as const) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`));
    writeFileSync(f(`${name}.ext`), `${ext}\n`);
    ssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-out', f(`${name}.pem`), '-extfile', f(`${name}.ext`));
  }
  return { ca: f('ca.pem'), serverCert: f('server.pem'), serverKey: f('server.key'), cert: f('client.pem'), key: f('client.key') };
}

describe('TLS, mutual TLS, credentials and MQTT 3.1.1', () => {
  let pki: ReturnType<typeof makePki>;
  let broker: Mosquitto;
  const dir = tempDir();
  before(async () => {
    pki = makePki(dir);
    execFileSync('mosquitto_passwd', ['-b', '-c', join(dir, 'passwd'), 'agent', 's3cret'], { stdio: 'pipe' });
    const tls = { ca: readFileSync(pki.ca), cert: readFileSync(pki.cert), key: readFileSync(pki.key) };
    broker = await Mosquitto.start({
      anonymous: false,
      listener: [`cafile ${pki.ca}`, `certfile ${pki.serverCert}`, `keyfile ${pki.serverKey}`, 'require_certificate true', `password_file ${join(dir, 'passwd')}`],
      probe: { ...tls, username: 'agent', password: 's3cret' },
    });
  });
  after(() => broker?.stop());

  it('publishes over mqtts with a client certificate and username/password, protocol 3.1.1', async () => {
    const received: Received[] = [];
    const mes = await mqtt.connectAsync(broker.url, { ca: readFileSync(pki.ca), cert: readFileSync(pki.cert), key: readFileSync(pki.key), username: 'agent', password: 's3cret', clientId: 'mes-tls' });
    after(() => mes.endAsync(true));
    mes.on('message', (topic, p, packet) => received.push({ topic, json: JSON.parse(p.toString()) as Record<string, unknown>, retain: packet.retain }));
    await mes.subscribeAsync('lineside/v1/#', { qos: 1 });
    const contract = await ContractChecker.attach(broker.url, { bodies: 'envelope', client: { ca: readFileSync(pki.ca), cert: readFileSync(pki.cert), key: readFileSync(pki.key), username: 'agent', password: 's3cret' } });
    after(() => contract.close());
    const agent = new LoadAgent({ dataDir: tempDir(), url: broker.url, rate: 200, stopAfterMs: 1500, protocolVersion: 4, mqtt: { username: 'agent', password: 's3cret', tls: { ca: pki.ca, cert: pki.cert, key: pki.key } } });
    after(() => agent.stop('SIGKILL'));
    const connected = await agent.msg('connected to broker');
    assert.equal(connected.protocolVersion, 4);
    const { lastSeq } = await agent.msg('drained', 30_000);
    const deadline = Date.now() + 15_000;
    while (analyse(received.filter((m) => typeof m.json.seq === 'number')).firstSeqs.length < (lastSeq as number) && Date.now() < deadline) await new Promise((r) => mes.once('message', r));
    const { firstSeqs } = analyse(received.filter((m) => typeof m.json.seq === 'number'));
    assert.deepEqual(missing(firstSeqs, 1, lastSeq as number), []);
    assert.ok(received.some((m) => m.topic.endsWith('/_agent/load/status') && m.json.status === 'online'));
    await agent.stop();
    assert.ok(contract.total > 0, 'the contract checker saw messages');
    assert.deepEqual(contract.violations, [], contract.report());
  });

  it('keeps buffering (and says why, once) when the broker refuses the credentials', async () => {
    const agent = new LoadAgent({ dataDir: tempDir(), url: broker.url, rate: 100, mqtt: { username: 'agent', password: 'wrong', tls: { ca: pki.ca, cert: pki.cert, key: pki.key } } });
    after(() => agent.stop('SIGKILL'));
    const line = await agent.waitFor((l) => l.code === 'LS_MQTT_UNREACHABLE');
    assert.match(JSON.stringify(line.err), /[Nn]ot authorized|[Bb]ad user name or password/);
    await agent.waitFor((l) => l.msg === 'outbox open');
    assert.ok(agent.alive);
    assert.equal(agent.lines.filter((l) => l.code === 'LS_MQTT_UNREACHABLE').length, 1, 'logged on the transition, not every retry');
    await agent.stop();
    assert.equal(agent.child.exitCode, 0);
  });

  it('is refused without a client certificate', async () => {
    const agent = new LoadAgent({ dataDir: tempDir(), url: broker.url, rate: 10, mqtt: { username: 'agent', password: 's3cret', tls: { ca: pki.ca } } });
    after(() => agent.stop('SIGKILL'));
    const line = await agent.waitFor((l) => l.code === 'LS_MQTT_UNREACHABLE');
    assert.doesNotMatch(JSON.stringify(line.err), /cannot read/, 'refused by the broker, not by a missing file');
    assert.ok(!agent.lines.some((l) => l.msg === 'connected to broker'));
    await agent.stop();
  });
});
