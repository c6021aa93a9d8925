import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../../config/loader.ts';
import { redactUrlCredentials } from '../../../config/redact.ts';
import { markedPaths } from '../../../config/schema-at.ts';
import { configSchema } from '../../../config/schema/index.ts';
import { configProblems } from '../../helpers/config-problems.ts';

const head = (mqtt: string, extra = '') => `agent: { id: line1 }
location: { enterprise: acme, site: s1, area: a1, line: l1 }
mqtt:
${mqtt}
${extra}machines:
  - id: m1
    driver: sim
    idealCycleTime: 1s
`;

function problems(text: string, env: Record<string, string>): string[] {
  const found = configProblems(text, env);
  assert.ok(found.length > 0, 'expected the configuration to be rejected');
  return found;
}

describe('secrets in the configuration', () => {
  it('keeps an unquoted all-digit password a string, leading zeros and all', () => {
    const { config } = parseConfig(head('  url: mqtt://127.0.0.1:1883\n  password: ${MQTT_PASSWORD}'), 'x.yaml', { env: { MQTT_PASSWORD: '007123' } });
    assert.equal(config.mqtt.password, '007123');
  });

  it('keeps hex-, float- and boolean-looking secrets as written, where text is wanted', () => {
    const text = head('  url: mqtt://127.0.0.1:1883\n  username: ${U}\n  password: ${P}\n  clientId: ${C}', 'http:\n  host: 0.0.0.0\n  token: ${T}\n');
    const { config } = parseConfig(text, 'x.yaml', { env: { U: 'true', P: '0x1F', C: '1e3', T: '1234567890123456789' } });
    assert.deepEqual([config.mqtt.username, config.mqtt.password, config.mqtt.clientId, config.http.token], ['true', '0x1F', '1e3', '1234567890123456789']);
  });

  it('still retypes where the schema wants a number or boolean', () => {
    const { config } = parseConfig(head('  url: mqtt://127.0.0.1:1883\n  inflight: ${N}', 'http:\n  enabled: ${ON}\n'), 'x.yaml', { env: { N: '12', ON: 'false' } });
    assert.equal(config.mqtt.inflight, 12);
    assert.equal(config.http.enabled, false);
  });

  it('never repeats a secret value in a message', () => {
    const text = head('  url: mqtt://127.0.0.1:1883\n  password: 424242', 'http:\n  host: 0.0.0.0\n  token: ${TOKEN}\n');
    const found = problems(text, { TOKEN: 'short-4711' });
    assert.deepEqual(found, [
      'lineside.yaml:5:13 mqtt.password: expected a string',
      'lineside.yaml:8:10 http.token: expected a token of at least 16 characters',
    ]);
  });

  it('never repeats an OPC UA password', () => {
    const text = `${head('  url: mqtt://127.0.0.1:1883')}  - id: press
    driver: opcua
    idealCycleTime: 1s
    connection: { endpoint: "opc.tcp://h:4840", auth: { type: username, username: op, password: 9876543 } }
    tags: [{ name: parts, nodeId: "ns=2;s=P" }]
    signals: { partCount: { tag: parts } }
`;
    const found = problems(text, {});
    assert.equal(found.length, 1);
    assert.match(found[0]!, /machines\[1\]\.connection\.auth\.password: expected a string$/);
  });

  it('masks the password of an invalid broker URL', () => {
    const found = problems(head('  url: mqtt//bob:hunter2@broker:1883'), {});
    assert.deepEqual(found, ['lineside.yaml:4:8 mqtt.url: expected a URL like mqtt://host:1883 or mqtts://host:8883, got "***@broker:1883"']);
  });

  it('marks exactly the secret fields, and the broker URL', () => {
    const marked = markedPaths(configSchema).map((m) => `${m.path} ${m.hides}`).sort();
    assert.deepEqual(marked, [
      'http.token value', 'http.tokens[].token value', 'http.users[].passwordHash value', 'machines[].connection.auth.password value', 'mqtt.password value', 'mqtt.url url-password',
      'sparkplug.password value', 'sparkplug.url url-password',
      'webhooks[].auth.bearer value', 'webhooks[].auth.password value', 'webhooks[].headers.* value', 'webhooks[].secrets[] value', 'webhooks[].url url-password',
    ]);
  });
});

describe('redactUrlCredentials', () => {
  it('masks the password and keeps everything else as written', () => {
    assert.equal(redactUrlCredentials('mqtt://bob:pw@broker:1883'), 'mqtt://bob:***@broker:1883');
    assert.equal(redactUrlCredentials('wss://bob:pw@broker:443/mqtt?x=1'), 'wss://bob:***@broker:443/mqtt?x=1');
    assert.equal(redactUrlCredentials('mqtt://bob:p@ss@broker'), 'mqtt://bob:***@broker');
  });

  it('leaves URLs without a password alone', () => {
    for (const url of ['mqtt://broker:1883', 'mqtt://bob@broker', '/api/v1/oee?who=a@b']) assert.equal(redactUrlCredentials(url), url);
  });
});
