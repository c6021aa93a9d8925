// Our signatures against the reference: the `standardwebhooks` library verifies what we sign,
// with one secret or several (rotation), and refuses tampering, a wrong secret or an old stamp.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { encodeEnvelope } from '../../../agent/contract/envelope.ts';
import { decodeWebhookSecret, signatureHeader, webhookHeaders } from '../../../agent/destinations/webhook/signature.ts';

const secret = (n = 32) => `whsec_${randomBytes(n).toString('base64')}`;
const key = (s: string) => decodeWebhookSecret(s)!;
const body = encodeEnvelope('line1-pc', { seq: 48213, machine: 'press-1', schema: 'lineside.downtime/1', ts: Date.now() - 60_000, body: '{"eventId":"dt-1","reason":"jam","note":"Ölstand niedrig ✓"}' }, Date.now(), false);

describe('Standard Webhooks signatures', () => {
  it('verify with the standardwebhooks library, and the id is the msgId', () => {
    const s = secret();
    const headers = webhookHeaders([key(s)], 'line1-pc:48213', Date.now(), body);
    assert.deepEqual(Object.keys(headers), ['webhook-id', 'webhook-timestamp', 'webhook-signature']);
    assert.match(headers['webhook-timestamp']!, /^\d{10}$/, 'unix seconds');
    assert.match(headers['webhook-signature']!, /^v1,[A-Za-z0-9+/]{43}=$/);
    const payload = new Webhook(s).verify(body, headers) as { msgId: string };
    assert.equal(payload.msgId, headers['webhook-id']);
  });

  it('sign with every configured secret, so a receiver holding either one verifies (rotation)', () => {
    const [old, current, next] = [secret(24), secret(32), secret(64)];
    const headers = webhookHeaders([old, current, next].map(key), 'line1-pc:7', Date.now(), body);
    assert.equal(headers['webhook-signature']!.split(' ').length, 3);
    for (const s of [old, current, next]) assert.doesNotThrow(() => new Webhook(s!).verify(body, headers));
    assert.throws(() => new Webhook(secret()).verify(body, headers), /No matching signature/);
  });

  it('fail verification when the body, the id or the timestamp was changed, or the stamp is stale', () => {
    const s = secret();
    const now = Date.now();
    const headers = webhookHeaders([key(s)], 'line1-pc:9', now, body);
    const wh = new Webhook(s);
    assert.throws(() => wh.verify(body.replace('"jam"', '"jams"'), headers), /No matching signature/);
    assert.throws(() => wh.verify(body, { ...headers, 'webhook-id': 'line1-pc:10' }), /No matching signature/);
    assert.throws(() => wh.verify(body, { ...headers, 'webhook-timestamp': String(Math.floor(now / 1000) + 1) }), /No matching signature/);
    // A retry an hour later must be signed anew: the old stamp is refused.
    const stale = webhookHeaders([key(s)], 'line1-pc:9', now - 3_600_000, body);
    assert.throws(() => wh.verify(body, stale), /too old/);
  });

  it('equal byte for byte what the library signs for the same id, timestamp and body', () => {
    const k = Buffer.alloc(24, 7);
    const s = `whsec_${k.toString('base64')}`;
    const sig = signatureHeader([key(s)], 'msg_1', 1674087231, '{"a":1}');
    const expected = new Webhook(s).sign('msg_1', new Date(1674087231 * 1000), '{"a":1}');
    assert.equal(sig, expected);
  });

  it('send id and timestamp but no signature when there are no secrets (unsigned: true)', () => {
    const headers = webhookHeaders([], 'line1-pc:1', Date.now(), body);
    assert.deepEqual(Object.keys(headers), ['webhook-id', 'webhook-timestamp']);
  });

  it('accept only whsec_ secrets of 24 to 64 bytes in strict base64', () => {
    assert.equal(decodeWebhookSecret(secret(24))?.length, 24);
    assert.equal(decodeWebhookSecret(secret(64))?.length, 64);
    for (const bad of [secret(23), secret(65), randomBytes(32).toString('base64'), `whsec_${randomBytes(32).toString('base64').slice(0, -2)}!!`, 'whsec_', `whsec_ ${randomBytes(32).toString('base64')}`]) {
      assert.equal(decodeWebhookSecret(bad), undefined, bad);
    }
    // Unpadded base64 is base64 too.
    assert.equal(decodeWebhookSecret(`whsec_${randomBytes(32).toString('base64').replace(/=+$/, '')}`)?.length, 32);
  });
});
