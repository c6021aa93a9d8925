import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseConfig } from '../../../config/loader.ts';
import { BASE } from './base-config.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { configProblems } from '../../helpers/config-problems.ts';


const problems = configProblems;

describe('config loader', () => {
  it('accepts a minimal file and fills defaults', () => {
    const { config, hash } = parseConfig(BASE, '/etc/lineside/lineside.yaml', { env: {} });
    assert.equal(config.mqtt.qos, 1);
    assert.equal(config.mqtt.keepalive, 30_000);
    assert.equal(config.buffer.maxBytes, 1024 ** 3);
    assert.equal(config.agent.dataDir, '/etc/lineside/data');
    const m = config.machines[0]!;
    assert.equal(m.idealCycleTime, 1000);
    assert.equal(m.states.debounce, 2000);
    assert.equal(m.signals.partCount?.tag, 'partCount');
    assert.match(hash, /^[0-9a-f]{12}$/);
  });

  it('reports an unknown key at the key', () => {
    assert.deepEqual(problems(BASE.replace('  id: line1\n', '  id: line1\n  colour: red\n')), ['lineside.yaml:3:3 agent.colour: unknown key']);
  });

  it('reports a wrong type with what was expected and what was got', () => {
    assert.deepEqual(problems(BASE.replace('idealCycleTime: 1s', 'idealCycleTime: quick')), [
      'lineside.yaml:9:21 machines[0].idealCycleTime: expected a duration like 500ms, 15s, 2m or 1h30m of at least 1ms, got "quick"',
    ]);
  });

  it('reports an out-of-range number with the range', () => {
    const text = `${BASE}  - id: press
    driver: modbus
    idealCycleTime: 2s
    connection: { host: 127.0.0.1, unitId: 300 }
    tags: [{ name: parts, address: 0, type: uint32 }]
    signals: { partCount: { tag: parts } }
`;
    assert.deepEqual(problems(text), ['lineside.yaml:13:44 machines[1].connection.unitId: expected an integer 0..255, got 300']);
  });

  it('reports a missing required key at its parent', () => {
    assert.deepEqual(problems(BASE.replace('mqtt:\n  url: mqtt://127.0.0.1:1883\n', 'mqtt:\n  qos: 1\n')), [
      'lineside.yaml:5:3 mqtt.url: missing; expected a URL like mqtt://host:1883 or mqtts://host:8883',
    ]);
  });

  it('reports every missing environment variable at once', () => {
    const text = BASE.replace('  url: mqtt://127.0.0.1:1883\n', '  url: ${URL}\n  username: ${USER_A}\n  password: ${file:/nonexistent/secret}\n');
    assert.deepEqual(problems(text, {}), [
      'lineside.yaml:5:8 mqtt.url: environment variable URL is not set',
      'lineside.yaml:6:13 mqtt.username: environment variable USER_A is not set',
      'lineside.yaml:7:13 mqtt.password: cannot read secret file /nonexistent/secret: ENOENT',
    ]);
  });

  it('substitutes variables, defaults, files and retypes plain scalars', () => {
    const dir = tempDir();
    const secret = join(dir, 'pw');
    writeFileSync(secret, 's3cret\n');
    const text = BASE.replace('  url: mqtt://127.0.0.1:1883\n', `  url: mqtt://\${HOST:-localhost}:1883\n  password: \${file:${secret}}\n  inflight: \${INFLIGHT}\n  username: "\${EMPTY:-}"\n  clientId: \${UNSET_OK:-}\n`);
    const { config } = parseConfig(text, 'x.yaml', { env: { INFLIGHT: '12', EMPTY: '' } });
    assert.equal(config.mqtt.url, 'mqtt://localhost:1883');
    assert.equal(config.mqtt.password, 's3cret');
    assert.equal(config.mqtt.inflight, 12);
    assert.equal(config.mqtt.clientId, undefined);
  });

  it('reports YAML syntax errors with line and column', () => {
    const [p, ...rest] = problems('agent:\n  id: [a, b\nlocation: x\n');
    assert.equal(rest.length, 0);
    assert.match(p!, /^lineside\.yaml:\d+:\d+: YAML syntax: /);
  });

  it('checks references between sections', () => {
    const text = `${BASE}    faults: { "7": nope }
  - id: m1
    driver: sim
    idealCycleTime: 1s
    signals: { partCount: { tag: parts } }
`;
    const found = problems(text);
    assert.ok(found.some((p) => p.startsWith('lineside.yaml:11:') && p.includes('machines[1].id: duplicate machine id "m1"')), found.join('\n'));
    assert.ok(found.some((p) => p.includes('machines[0].faults["7"]: expected a reason code from reasons')), found.join('\n'));
    assert.ok(found.some((p) => p.includes('machines[1].signals.partCount.tag: expected one of the machine\'s tags')), found.join('\n'));
  });

  it('requires a token when the HTTP API is bound beyond loopback', () => {
    assert.deepEqual(problems(`${BASE}http: { host: 0.0.0.0 }\n`), [
      'lineside.yaml:10:7 http.token: required when http.host is not loopback ("0.0.0.0"): expected a bearer token of at least 16 characters (or http.users / http.tokens for the line station\'s roles)',
    ]);
  });
});
