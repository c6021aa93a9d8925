// TLS is verified by default: a receiver with a self-signed certificate is refused until its
// certificate (or the CA behind it) is configured as `tls.ca`; `tls.insecure` delivers anyway
// and says so in the log. Basic auth rides along on the verified connection.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { E } from '../../../agent/errors.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { ev, httpsReceiver, newSecret, startBed, until } from './bed.ts';
import { makeSelfSigned, Receiver } from './receiver.ts';

describe('webhook TLS', () => {
  it('refuses a self-signed receiver unless its certificate is configured as tls.ca', async () => {
    const dir = tempDir();
    const self = makeSelfSigned(dir);
    const secret = newSecret();
    const receiver = await Receiver.startHttps(self, [secret]);
    after(() => receiver.close());
    const bed = await startBed(dir, [
      { name: 'untrusting', url: receiver.url, secrets: [secret], kinds: ['job'] },
      { name: 'trusting', url: receiver.url, secrets: [secret], kinds: ['downtime'], tls: { ca: self.cert }, auth: { username: 'lineside', password: 'p@ss:w0rd' } },
    ]);
    const [job, downtime] = bed.emit([ev(1, 'job'), ev(2, 'downtime')]);
    const delivered = await receiver.waitFor((d) => d.seq === downtime);
    assert.equal(delivered.headers.authorization, `Basic ${Buffer.from('lineside:p@ss:w0rd').toString('base64')}`);
    await until(() => bed.cap.lines.some((l) => l.code === E.LS_WEBHOOK_FAILING), 'the refusal of the untrusted certificate');
    const failing = bed.cap.lines.find((l) => l.code === E.LS_WEBHOOK_FAILING)!;
    assert.equal(failing.destination, 'webhook:untrusting');
    assert.match(String(failing.err), /DEPTH_ZERO_SELF_SIGNED_CERT|self-signed/);
    assert.ok(!receiver.deliveries.some((d) => d.seq === job), 'nothing reached the receiver over an unverified connection');
    assert.equal(receiver.attempts.length, 1, 'the untrusting destination never got past the handshake');
    assert.equal(bed.webhooks[0]!.stats().depth, 1, 'the job result waits in the outbox');
    assert.equal(bed.webhooks[0]!.stats().up, false);
  });

  it('delivers to an unverified receiver with tls.insecure, and warns at start', async () => {
    const { dir, secret, receiver } = await httpsReceiver();
    const bed = await startBed(dir, [{ name: 'lab', url: receiver.url, secrets: [secret], tls: { insecure: true } }]);
    const [seq] = bed.emit([ev(1, 'oee')]);
    await receiver.waitForSeqs([seq!]);
    const warning = bed.cap.lines.find((l) => l.code === E.LS_WEBHOOK_TLS_INSECURE);
    assert.equal(warning?.destination, 'webhook:lab');
    assert.equal(warning?.level, 40, 'warn');
  });
});
