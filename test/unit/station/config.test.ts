import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig } from '../../../config/loader.ts';

const HASH = 'scrypt$1024$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
const base = (http: string) => `agent: { id: a }\nlocation: { enterprise: e, site: s, area: a, line: l }\nmqtt: { url: "mqtt://127.0.0.1:1" }\nhttp:\n${http}\nmachines: [{ id: m1, driver: sim, idealCycleTime: 1s }]\n`;

function problems(text: string): string[] {
  try {
    parseConfig(text, '/tmp/l.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  return [];
}

describe('station configuration', () => {
  it('lets users or role tokens stand in for http.token off loopback', () => {
    assert.deepEqual(problems(base(`  host: 0.0.0.0\n  users: [{ name: ann, role: viewer, passwordHash: "${HASH}" }]`)), []);
    assert.deepEqual(problems(base(`  host: 0.0.0.0\n  tokens: [{ name: bi, role: viewer, token: viewer-token-0123456789 }]`)), []);
    assert.ok(problems(base('  host: 0.0.0.0')).some((p) => /http\.token: required when http\.host is not loopback/.test(p)));
  });

  it('refuses a plain password, a duplicate user and a token shared by two roles, without repeating secrets', () => {
    const found = problems(
      base(`  users:\n    - { name: ann, role: viewer, passwordHash: "hunter2-plain" }\n    - { name: ann, role: admin, passwordHash: "${HASH}" }\n  token: admin-token-0123456789\n  tokens: [{ name: bi, role: viewer, token: admin-token-0123456789 }]`),
    ).join('\n');
    assert.match(found, /http\.users\[0\]\.passwordHash: expected a password hash from `lineside station hash-password`/);
    assert.match(found, /http\.users\[1\]\.name: duplicate user name "ann"/);
    assert.match(found, /http\.tokens\[0\]\.token: expected a token of its own/);
    assert.doesNotMatch(found, /hunter2|admin-token-0123456789/);
  });
});
