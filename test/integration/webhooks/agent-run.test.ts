// The real agent (`lineside run`, simulated machines) with a webhook whose secret comes from the
// environment: it delivers signed messages, survives a kill -9 while the receiver is down, and
// once the receiver is back nothing committed is lost — every seq arrived or still waits in the
// outbox file. The secret never shows in the log.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { E } from '../../../agent/errors.ts';
import { writeAgentConfig } from '../../helpers/agent-config.ts';
import { AgentProcess } from '../../helpers/agent-process.ts';
import { httpsReceiver } from './bed.ts';
import { lost, readLedger } from './ledger.ts';

describe('webhooks in the running agent', () => {
  it('delivers signed messages from `lineside run`, loses nothing across a kill -9 during a receiver outage', async () => {
    const { dir, pki, secret, receiver } = await httpsReceiver();
    const file = writeAgentConfig({
      dir,
      id: 'wh-agent',
      body: `webhooks:
  - name: cmms
    url: ${receiver.url}
    secrets: ["\${CMMS_WHSEC}"]
    tls: { ca: ${pki.ca} }
    retry: { min: 100ms, max: 500ms }
    replayRate: 200
machines:
  - { id: press-1, driver: sim, idealCycleTime: 1s, pollInterval: 50ms, telemetry: { interval: 100ms }, connection: { speed: 100, cycleTime: 100ms } }
`,
    });
    const env = { CMMS_WHSEC: secret };
    const first = new AgentProcess(['run', '--config', file], env);
    after(() => first.stop('SIGKILL'));
    const started = await first.msg('webhook destination started');
    assert.equal(started.destination, 'webhook:cmms');
    await receiver.waitFor(() => receiver.deliveries.length >= 20, 30_000, '20 deliveries');

    await receiver.down();
    await first.waitFor((l) => l.code === E.LS_WEBHOOK_FAILING, 20_000);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    const second = new AgentProcess(['run', '--config', file], env);
    after(() => second.stop('SIGKILL'));
    await second.waitFor((l) => l.code === E.LS_WEBHOOK_FAILING, 20_000);
    await receiver.up();
    const recovered = await second.waitFor((l) => l.incident === 'webhook:cmms' && typeof l.failures === 'number', 20_000);
    const upTo = (await second.msg('replaying backlog')).upToSeq as number;
    await receiver.waitFor((d) => !d.replay && d.seq > upTo, 20_000, 'a live message after the recovery');
    assert.equal(await second.stop('SIGTERM'), 0, second.stderr);

    const received = new Set(receiver.deliveries.map((d) => d.seq));
    const ledger = readLedger(join(dir, 'data'), 'webhook:cmms');
    assert.ok(ledger.lastSeq > 20, `${ledger.lastSeq} messages committed`);
    assert.deepEqual(lost(ledger, received), [], 'every seq arrived or still waits in the outbox');
    assert.deepEqual(receiver.unverifiable, []);
    assert.ok((recovered.failures as number) >= 1);
    assert.ok(receiver.deliveries.some((d) => d.replay && d.seq <= upTo), 'the backlog arrived with replay: true');
    const log = [...first.lines, ...second.lines].map((l) => JSON.stringify(l)).join('\n') + first.stderr + second.stderr;
    assert.ok(!log.includes(secret.slice(6)), 'the secret is not in the log');
  });
});
