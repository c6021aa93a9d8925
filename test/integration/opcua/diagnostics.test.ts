// What an engineer reads when a connect fails: a server refusing Lineside's client certificate
// (with its thumbprint and file, at warn even mid-outage), securityMode None against a server with
// no unsecured endpoint, and an endpoint whose port is not an OPC UA server at all.
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { MachineRunner } from '../../../agent/machines/machine-runner.ts';
import { machineSchema } from '../../../config/schema/machine.ts';
import { opcuaConnectionSchema } from '../../../config/schema/opcua.ts';
import { ActionRequiredError } from '../../../drivers/driver.ts';
import { OpcuaDriver } from '../../../drivers/opcua/driver.ts';
import { driverDirOf, formatFingerprint, ownCertificate, pkiRoot } from '../../../drivers/opcua/pki.ts';
import { createDriver } from '../../../drivers/registry.ts';
import { startOpcuaSimulator } from '../../../drivers/sim/opcua-server.ts';
import { captureLog } from '../../helpers/capture-log.ts';
import { runCli } from '../../helpers/cli.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { MACHINE_TAGS, pollUntil, Recorder } from './fixtures.ts';
import { startTestServer, type TestServer } from './servers.ts';

const AGENT = { id: 'edge-7', location: { enterprise: 'acme', site: 'plant-9', area: 'hall-2', line: 'line-1' } };
const securedInput = (endpoint: string, fingerprint: string) => ({ endpoint, mode: 'poll', securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', serverCertificateFingerprint: fingerprint, timeout: '3s' });
const secured = (endpoint: string, fingerprint: string) => opcuaConnectionSchema.parse(securedInput(endpoint, fingerprint));

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `opc.tcp://127.0.0.1:${(server.address() as { port: number }).port}`;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** In front of a real server: hangs up on a secured OpenSecureChannel, as PLCs do with a client they do not trust. */
function droppingProxy(targetPort: number): Server {
  return createServer((client: Socket) => {
    const upstream = connect(targetPort, '127.0.0.1');
    client.on('data', (d: Buffer) => {
      if (d.subarray(0, 3).toString() === 'OPN' && d.includes('Basic256Sha256')) {
        client.destroy();
        upstream.destroy();
      } else upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => client.write(d));
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      a.on('error', () => b.destroy());
      a.on('close', () => b.destroy());
    }
  });
}

describe('OPC UA connect failures, explained', () => {
  const dir = tempDir('lineside-opcua-diag-');
  const servers: TestServer[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('says the server probably refused our client certificate, names it, and warns although the machine was already down', async () => {
    const probe = await startTestServer({ pkiDir: `${dir}/plc-pki`, securityModes: ['SignAndEncrypt'], rejectUnknownClients: true });
    const { port, fingerprint } = probe;
    await probe.stop();

    const dataDir = `${dir}/agent`;
    const machine = machineSchema.parse({ id: 'press', driver: 'opcua', idealCycleTime: '1s', connection: securedInput(`opc.tcp://127.0.0.1:${port}`, fingerprint), tags: MACHINE_TAGS.slice(0, 1), signals: { running: { tag: 'running' } } });
    const logged = captureLog('debug');
    const rec = new Recorder();
    const runner = new MachineRunner({ machine, createDriver, sink: rec.sink(), log: logged.log, dataDir, agent: AGENT });
    runner.start();
    try {
      // Down first (the outage is logged), then back but refusing the agent's certificate.
      await rec.until(() => rec.links.some((l) => l.state === 'disconnected'), 'the machine marked down');
      const plc = await startTestServer({ pkiDir: `${dir}/plc-pki`, port, securityModes: ['SignAndEncrypt'], rejectUnknownClients: true });
      servers.push(plc);
      const own = () => ownCertificate(pkiRoot(driverDirOf(dataDir)));
      // A failed retry changes no reading and no link state: nothing to await but the status itself.
      await pollUntil(() => /client certificate/.test(runner.status.lastError ?? ''), 'the refusal explained', 20_000);
      const cert = own()!;
      const fp = formatFingerprint(cert.fingerprint);
      assert.equal(runner.status.lastError, `the server refused the secured connection (BadSecurityChecksFailed): it probably does not trust Lineside's client certificate ${fp} (${cert.file}). Trust it on the server: most servers list it among their rejected certificates`);
      const warns = logged.lines.filter((l) => l.level === 40);
      assert.equal(warns.length, 2, JSON.stringify(warns));
      assert.deepEqual([warns[1]!.clientCertificate, warns[1]!.clientCertificateFile], [fp, cert.file]);
      // What the PLC's operator finds in its rejected list names the gateway, not the library's makers.
      const seen = plc.rejectedClients();
      assert.deepEqual(seen.map((c) => c.fingerprint.toUpperCase()), [cert.fingerprint]);
      assert.deepEqual(seen[0]!.subject.split('\n').sort(), ['CN=Lineside@edge-7', 'L=plant-9', 'O=acme', 'OU=hall-2 line-1']);
    } finally {
      await runner.stop();
    }
  });

  it('says the same when the server just hangs up on the secured channel', async () => {
    const sim = await startOpcuaSimulator({ pkiDir: `${dir}/sim-pki`, securityModes: ['SignAndEncrypt'], securityPolicies: ['Basic256Sha256'] });
    const proxy = droppingProxy(sim.port);
    const endpoint = await listen(proxy);
    const driver = new OpcuaDriver(secured(endpoint, sim.fingerprint), MACHINE_TAGS);
    try {
      const err = await driver.connect(new Recorder().context(driverDirOf(`${dir}/agent-b`))).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof ActionRequiredError, String(err));
      const own = ownCertificate(pkiRoot(driverDirOf(`${dir}/agent-b`)))!;
      assert.match(err.message, /^the server refused the secured connection \(it closed the connection when Lineside opened the secured channel\): it probably does not trust Lineside's client certificate/);
      assert.ok(err.message.includes(`${formatFingerprint(own.fingerprint)} (${own.file})`), err.message);
    } finally {
      await driver.close();
      await closeServer(proxy);
      await sim.stop();
    }
  });

  it('says securityMode None finds no endpoint on a server that refuses unsecured channels, and that endpoints cannot be listed', async () => {
    const strict = await startTestServer({ pkiDir: `${dir}/strict-pki`, securityModes: ['SignAndEncrypt'], disableDiscovery: true });
    servers.push(strict);
    const driver = new OpcuaDriver(opcuaConnectionSchema.parse({ endpoint: strict.endpoint, mode: 'poll' }), MACHINE_TAGS);
    await assert.rejects(driver.connect(new Recorder().context(driverDirOf(`${dir}/agent-c`))), {
      message: `the server offers no endpoint with securityMode None and securityPolicy None; not falling back to a weaker one (\`lineside opcua endpoints ${strict.endpoint}\` lists what it offers)`,
    });
    await driver.close();
    const listed = await runCli(['opcua', 'endpoints', strict.endpoint, '--data-dir', `${dir}/agent-c`]);
    assert.equal(listed.code, 5);
    assert.match(listed.stderr, /refuses unsecured connections, for discovery \(GetEndpoints\) too/);
  });

  it('says a port that answers is not an OPC UA server, at once, instead of a timeout', async () => {
    const cases: Array<[string, (s: Socket) => void, RegExp]> = [
      ['web server', (s) => s.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'), /answered, but it is not an OPC UA server \(it sent "HTTP\/1\.1 400 Bad Request"\)/],
      ['hang-up', (s) => s.destroy(), /accepted the connection and closed it without answering OPC UA's Hello/],
      ['silent', () => {}, /accepted the connection but did not answer OPC UA's Hello within 1000 ms/],
    ];
    for (const [name, behave, expected] of cases) {
      const sockets = new Set<Socket>();
      const server = createServer((s) => {
        sockets.add(s);
        s.on('error', () => {});
        s.resume();
        behave(s);
      });
      const endpoint = await listen(server);
      const driver = new OpcuaDriver(opcuaConnectionSchema.parse({ endpoint, mode: 'poll', timeout: '1s' }), MACHINE_TAGS);
      const started = Date.now();
      try {
        await assert.rejects(driver.connect(new Recorder().context(driverDirOf(`${dir}/agent-d`))), (e: Error) => {
          assert.match(e.message, expected, name);
          assert.doesNotMatch(e.message, /timeout was/);
          return true;
        });
        if (name !== 'silent') assert.ok(Date.now() - started < 2000, `${name}: explained in ${Date.now() - started} ms`);
      } finally {
        await driver.close();
        for (const s of sockets) s.destroy();
        await closeServer(server);
      }
    }
  });
});
