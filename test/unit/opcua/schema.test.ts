import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { opcuaConnectionSchema } from '../../../config/schema/opcua.ts';

describe('OPC UA connection schema', () => {
  const messages = (input: unknown) => {
    const r = opcuaConnectionSchema.safeParse(input);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('refuses a pin without security, and a security mode without a policy', () => {
    assert.deepEqual(messages({ endpoint: 'opc.tcp://h:4840', serverCertificateFingerprint: 'AB'.repeat(20) }), [
      'serverCertificateFingerprint: a pinned fingerprint needs securityMode Sign or SignAndEncrypt (with None no certificate is checked)',
    ]);
    assert.match(messages({ endpoint: 'opc.tcp://h:4840', securityMode: 'Sign' })[0]!, /^securityPolicy: expected a policy/);
    assert.deepEqual(messages({ endpoint: 'opc.tcp://h:4840', securityMode: 'Sign', securityPolicy: 'Basic256Sha256', serverCertificateFingerprint: 'ab:'.repeat(19) + 'ab' }), []);
  });

  it('fills the defaults the driver relies on', () => {
    const c = opcuaConnectionSchema.parse({ endpoint: 'opc.tcp://h:4840' });
    assert.deepEqual([c.mode, c.securityMode, c.auth.type, c.maxItemsPerSubscription, c.publishingInterval, c.keepAliveCount, c.maxClockSkew], ['subscribe', 'None', 'anonymous', 1000, 1000, 10, 300_000]);
  });
});
