// The `sparkplug` section: optional, defaults derived from the rest of the configuration, ids that
// cannot break the topic namespace, and the machines filter cross-checked.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../../config/loader.ts';
import { resolveSparkplug } from '../../../agent/destinations/sparkplug/device-config.ts';
import { SPARKPLUG_DESTINATION, sparkplugSpec } from '../../../agent/destinations/sparkplug/sparkplug.ts';
import { BASE } from '../config/base-config.ts';
import { configProblems } from '../../helpers/config-problems.ts';

const WITH_CREDS = BASE.replace('  url: mqtt://127.0.0.1:1883\n', '  url: mqtt://127.0.0.1:1883\n  username: agent\n  password: "${PW}"\n');

function parse(section: string, base = BASE) {
  return parseConfig(`${base}${section}`, '/etc/lineside/lineside.yaml', { env: { PW: 'pw-secret-1' } });
}

const problems = (section: string) => configProblems(`${BASE}${section}`, { PW: 'pw-secret-1' });

describe('sparkplug configuration', () => {
  it('is absent by default: no edge node', () => {
    assert.equal(parse('').config.sparkplug, undefined);
    assert.equal(resolveSparkplug(parse('').config), undefined);
  });

  it('derives broker, credentials, group and node ids from the rest of the configuration', () => {
    const { config } = parse('sparkplug: {}\n', WITH_CREDS);
    const s = resolveSparkplug(config)!;
    assert.equal(s.url, 'mqtt://127.0.0.1:1883');
    assert.equal(s.username, 'agent');
    assert.equal(s.password, 'pw-secret-1');
    assert.equal(s.groupId, 's1-a1-l1');
    assert.equal(s.edgeNodeId, 'line1');
    assert.equal(s.clientId, 'lineside-line1-sparkplug');
    assert.equal(s.replayRate, 500);
    assert.equal(s.protocolVersion, 5);
    assert.deepEqual(sparkplugSpec(s), { name: SPARKPLUG_DESTINATION, filter: { kinds: ['telemetry', 'state', 'downtime', 'oee', 'job'] } });
  });

  it('an own broker URL does not inherit the mqtt credentials', () => {
    const s = resolveSparkplug(parse('sparkplug: { url: "mqtts://ignition:8883", groupId: Plant1, edgeNodeId: Line-1, primaryHostId: scada, machines: [m1] }\n', WITH_CREDS).config)!;
    assert.equal(s.url, 'mqtts://ignition:8883');
    assert.equal(s.username, undefined);
    assert.equal(s.password, undefined);
    assert.equal(s.groupId, 'Plant1');
    assert.equal(s.primaryHostId, 'scada');
    assert.deepEqual(sparkplugSpec(s).filter?.machines, ['m1']);
  });

  it('names the path of ids that would break the topic namespace and of unknown machines', () => {
    const p = problems('sparkplug: { groupId: "a/b", edgeNodeId: "x+", primaryHostId: "#", machines: [nope] }\n');
    assert.ok(p.some((l) => l.includes('sparkplug.groupId') && l.includes('without / + #')), p.join('\n'));
    assert.ok(p.some((l) => l.includes('sparkplug.edgeNodeId')), p.join('\n'));
    assert.ok(p.some((l) => l.includes('sparkplug.primaryHostId')), p.join('\n'));
    assert.ok(p.some((l) => l.includes('sparkplug.machines') && l.includes('"nope"')), p.join('\n'));
  });

  it('never repeats the password in a validation message', () => {
    const p = problems('sparkplug: { password: 12345678901 , url: 1 }\n');
    assert.ok(p.length > 0);
    assert.ok(!p.join('\n').includes('12345678901'), p.join('\n'));
  });
});
