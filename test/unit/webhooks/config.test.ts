// The `webhooks` section: defaults, what must be said explicitly (signing is the default), the
// cross-check with the machines, and secrets that never appear in a validation message.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseConfig } from '../../../config/loader.ts';
import { BASE } from '../config/base-config.ts';
import { configProblems } from '../../helpers/config-problems.ts';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

function parse(webhooks: string, env: Record<string, string> = {}) {
  return parseConfig(`${BASE}webhooks:\n${webhooks}`, '/etc/lineside/lineside.yaml', { env });
}

const problems = (webhooks: string, env: Record<string, string> = {}) => configProblems(`${BASE}webhooks:\n${webhooks}`, env);

describe('webhooks configuration', () => {
  it('takes secrets from the environment and fills the defaults', () => {
    const { config } = parse('  - { name: cmms, url: "https://cmms.plant/hooks", secrets: ["${CMMS_WHSEC}"] }\n', { CMMS_WHSEC: SECRET });
    assert.deepEqual(config.webhooks, [
      { name: 'cmms', url: 'https://cmms.plant/hooks', secrets: [SECRET], unsigned: false, timeout: 15_000, concurrency: 1, retry: { min: 1000, max: 300_000 }, replayRate: 100, ordering: 'lanes' },
    ]);
    assert.deepEqual(parseConfig(BASE, 'x.yaml').config.webhooks, [], 'none by default');
  });

  it('requires a secret unless unsigned is said explicitly, and not both', () => {
    assert.deepEqual(problems('  - { name: erp, url: "http://erp:8080/in" }\n'), ['lineside.yaml:11:5 webhooks[0].secrets: required: at least one whsec_ secret to sign with (or `unsigned: true` to send unsigned)']);
    assert.deepEqual(problems('  - { name: erp, url: "http://erp:8080/in", unsigned: true }\n'), []);
    assert.equal(problems(`  - { name: erp, url: "http://erp:8080/in", unsigned: true, secrets: ["${SECRET}"] }\n`).length, 1);
  });

  it('rejects a malformed secret without repeating it', () => {
    const leaked = 'whsec_c2hvcnQ=';
    const out = problems(`  - { name: cmms, url: "https://cmms/h", secrets: ["${leaked}"], auth: { bearer: "" }, headers: { X-Key: "a\\nb" } }\n`);
    assert.equal(out.length, 3, out.join('\n'));
    assert.match(out[0]!, /webhooks\[0\]\.secrets\[0\]: expected a Standard Webhooks secret/);
    for (const line of out) assert.ok(!line.includes('c2hvcnQ') && !line.includes('a\\nb'), line);
  });

  it('checks each webhook: kinds, reserved headers, auth, tls with an https url, retry bounds', () => {
    const out = problems(`  - { name: cmms, url: "https://c/h", unsigned: true, kinds: [downtime, alarms] }
  - { name: mes, url: "http://c/h", unsigned: true, headers: { Authorization: x, webhook-id: y, X-Plant: p7 }, tls: { insecure: true } }
  - { name: erp, url: "ftp://erp/x", unsigned: true, auth: { username: u }, retry: { min: 10s, max: 1s } }
`);
    assert.deepEqual(out.map((l) => l.split(' ')[1]), [
      'webhooks[0].kinds[1]:',
      'webhooks[1].headers.Authorization:',
      'webhooks[1].headers.webhook-id:',
      'webhooks[1].tls:',
      'webhooks[2].url:',
      'webhooks[2].auth.password:',
      'webhooks[2].retry.max:',
    ], out.join('\n'));
    assert.ok(out.some((l) => l.includes('Authorization is set by the agent (use auth)')));
  });

  it('checks the list against itself and the machines: unique names, filters naming configured machines', () => {
    const out = problems(`  - { name: cmms, url: "https://c/h", unsigned: true, machines: [m1, m9] }
  - { name: cmms, url: "https://d/h", unsigned: true }
`);
    assert.deepEqual(out, [
      'lineside.yaml:11:70 webhooks[0].machines[1]: expected one of the machine ids (m1), got "m9"',
      'lineside.yaml:12:13 webhooks[1].name: duplicate webhook name "cmms" (also webhooks[0])',
    ]);
  });
});
