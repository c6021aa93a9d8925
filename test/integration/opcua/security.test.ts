// Real security against a simulator that only offers signed and encrypted endpoints and wants a
// user name: unknown server certificates are rejected until trusted with the CLI, a pin replaces
// the trust list, the client certificate is made once, and nothing falls back to a weaker mode.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OPCUACertificateManager } from 'node-opcua';
import { opcuaConnectionSchema } from '../../../config/schema/opcua.ts';
import { OpcuaDriver } from '../../../drivers/opcua/driver.ts';
import { driverDirOf, ownCertificate, pkiRoot } from '../../../drivers/opcua/pki.ts';
import { UntrustedServerError } from '../../../drivers/opcua/session.ts';
import { startOpcuaSimulator, type OpcuaSimulator } from '../../../drivers/sim/opcua-server.ts';
import { runCli } from '../../helpers/cli.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { MACHINE_TAGS, Recorder, snapshotValues } from './fixtures.ts';

const USER = { username: 'operator', password: 's3cret-Pw' };

describe('OPC UA security and certificate trust', () => {
  let sim: OpcuaSimulator;
  const dir = tempDir('lineside-opcua-sec-');

  before(async () => {
    sim = await startOpcuaSimulator({ pkiDir: `${dir}/server-pki`, securityModes: ['SignAndEncrypt'], securityPolicies: ['Basic256Sha256', 'Aes256_Sha256_RsaPss'], allowAnonymous: false, users: [USER] });
  });
  after(async () => {
    await sim?.stop();
  });

  const secure = (extra: Record<string, unknown> = {}) =>
    opcuaConnectionSchema.parse({ endpoint: sim.endpoint, mode: 'poll', securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', auth: { type: 'username', ...USER }, ...extra });

  it('rejects an unknown server certificate until `lineside opcua trust`, then reads over SignAndEncrypt with a user name', async () => {
    const dataDir = `${dir}/agent-a`;
    const rec = new Recorder();
    const ctx = rec.context(driverDirOf(dataDir));
    const driver = new OpcuaDriver(secure(), MACHINE_TAGS);
    const err = await driver.connect(ctx).then(() => undefined, (e: unknown) => e);
    await driver.close();
    assert.ok(err instanceof UntrustedServerError, String(err));
    assert.equal(err.fingerprint.replace(/:/g, ''), sim.fingerprint.replace(/:/g, ''));
    assert.match(err.message, new RegExp(`lineside opcua trust ${err.fingerprint}`));

    const listed = await runCli(['opcua', 'certs', '--data-dir', dataDir, '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const certs = JSON.parse(listed.stdout) as { own: { fingerprint: string } | null; certificates: Array<{ state: string; fingerprint: string }> };
    assert.deepEqual(certs.certificates.map((c) => [c.state, c.fingerprint]), [['rejected', sim.fingerprint]]);
    assert.ok(certs.own, 'the client certificate was created on the first secured connect');
    const ownBefore = ownCertificate(pkiRoot(driverDirOf(dataDir)))!.fingerprint;

    const bad = await runCli(['opcua', 'trust', '00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33', '--data-dir', dataDir]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /no certificate with fingerprint/);
    const trusted = await runCli(['opcua', 'trust', err.fingerprint.toLowerCase().replace(/:/g, ''), '--data-dir', dataDir]);
    assert.equal(trusted.code, 0, trusted.stderr);
    assert.match(trusted.stdout, /^trusted: /);

    const again = new OpcuaDriver(secure(), MACHINE_TAGS);
    try {
      await again.connect(ctx);
      const readings = await again.read();
      assert.deepEqual(Object.fromEntries(readings.map((r) => [r.tag, r.value])), snapshotValues(sim.snapshot()));
      assert.ok(readings.every((r) => r.quality === 'good'));
    } finally {
      await again.close();
    }
    assert.equal(ownCertificate(pkiRoot(driverDirOf(dataDir)))!.fingerprint, ownBefore, 'the client certificate is kept, not regenerated');
    const after = JSON.parse((await runCli(['opcua', 'certs', '--data-dir', dataDir, '--json'])).stdout) as typeof certs;
    assert.deepEqual(after.certificates.map((c) => c.state), ['trusted']);
  });

  it('pins a fingerprint: the pinned certificate is accepted without a trust list, any other refused', async () => {
    const ok = new OpcuaDriver(secure({ securityPolicy: 'Aes256_Sha256_RsaPss', serverCertificateFingerprint: sim.fingerprint }), MACHINE_TAGS);
    try {
      await ok.connect(new Recorder().context(driverDirOf(`${dir}/agent-pin`)));
      assert.equal((await ok.read()).length, MACHINE_TAGS.length);
    } finally {
      await ok.close();
    }
    const wrongPin = 'AB'.repeat(20);
    const no = new OpcuaDriver(secure({ serverCertificateFingerprint: wrongPin }), MACHINE_TAGS);
    await assert.rejects(no.connect(new Recorder().context(driverDirOf(`${dir}/agent-pin`))), /does not match the pinned serverCertificateFingerprint/);
    await no.close();
  });

  it('never falls back to a weaker mode, and refuses a wrong password or anonymous', async () => {
    const ctxDir = driverDirOf(`${dir}/agent-pin`);
    const pin = { serverCertificateFingerprint: sim.fingerprint };
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...pin, securityMode: 'Sign' }, /no endpoint with securityMode Sign and securityPolicy Basic256Sha256; not falling back/],
      [{ ...pin, securityPolicy: 'Aes128_Sha256_RsaOaep' }, /no endpoint with securityMode SignAndEncrypt and securityPolicy Aes128_Sha256_RsaOaep/],
      [{ securityMode: 'None', securityPolicy: 'None' }, /no endpoint with securityMode None/],
      [{ ...pin, auth: { type: 'username', username: USER.username, password: 'wrong' } }, /rejected the user identity \(username\)/],
      [{ ...pin, auth: { type: 'anonymous' } }, /rejected the user identity \(anonymous\)|Anonymous/i],
    ];
    for (const [extra, expected] of cases) {
      const d = new OpcuaDriver(secure(extra), MACHINE_TAGS);
      await assert.rejects(d.connect(new Recorder().context(ctxDir)), expected, JSON.stringify(extra));
      await d.close();
    }
  });
});

describe('OPC UA X.509 user identity', () => {
  const dir = tempDir('lineside-opcua-x509-');
  let sim: OpcuaSimulator | undefined;
  after(async () => {
    await sim?.stop();
  });

  it('signs in with a user certificate the server trusts, and is refused with one it does not', async () => {
    const make = async (name: string) => {
      const cm = new OPCUACertificateManager({ rootFolder: join(dir, name), disableFileWatchers: true });
      await cm.initialize();
      const cert = join(dir, name, 'own', 'certs', 'user.pem');
      await cm.createSelfSignedCertificate({ subject: `/CN=${name}`, applicationUri: `urn:lineside:test:${name}`, dns: [], startDate: new Date(Date.now() - 86_400_000), validity: 30, outputFile: cert });
      await cm.dispose();
      return { cert, key: join(dir, name, 'own', 'private', 'private_key.pem') };
    };
    const alice = await make('alice');
    const mallory = await make('mallory');
    sim = await startOpcuaSimulator({ pkiDir: join(dir, 'server-pki'), securityModes: ['SignAndEncrypt'], securityPolicies: ['Basic256Sha256'], allowAnonymous: false, userCertificates: [alice.cert] });
    const conn = (user: { cert: string; key: string }) =>
      opcuaConnectionSchema.parse({ endpoint: sim!.endpoint, mode: 'poll', securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', serverCertificateFingerprint: sim!.fingerprint, auth: { type: 'certificate', ...user } });
    const ctx = new Recorder().context(driverDirOf(join(dir, 'agent')));
    const ok = new OpcuaDriver(conn(alice), MACHINE_TAGS);
    try {
      await ok.connect(ctx);
      assert.ok((await ok.read()).every((r) => r.quality === 'good'));
    } finally {
      await ok.close();
    }
    const refused = new OpcuaDriver(conn(mallory), MACHINE_TAGS);
    await assert.rejects(refused.connect(ctx), (e: Error) => { assert.match(e.message, /rejected the user identity \(certificate\)/); return true; });
    await refused.close();
  });
});
