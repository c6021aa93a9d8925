// A receiver that refuses some messages for good (400): they become dead letters of the webhook
// while the stream goes on; `lineside dead-letters` (the real CLI, as its own process, against
// the data directory of the running destination) lists them and, once the receiver is fixed,
// sends them again.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { E } from '../../../agent/errors.ts';
import { EXIT } from '../../../agent/cli/exit-codes.ts';
import { writeAgentConfig } from '../../helpers/agent-config.ts';
import { runCli } from '../../helpers/cli.ts';
import { ev, httpsReceiver, startBed, until } from './bed.ts';

describe('webhook dead letters', () => {
  it('a 400 is a dead letter with a short reason; `lineside dead-letters resend` delivers it once the receiver is fixed', async () => {
    const { dir, pki, secret, receiver } = await httpsReceiver();
    // The receiver does not know press-9 yet, and says so at length.
    const refusal = `{"error":"unknown machine press-9","detail":"${'x'.repeat(50_000)}"}`;
    receiver.policy = (d) => (d.machine === 'press-9' ? { status: 400, headers: { 'content-type': 'application/json' }, body: refusal } : { status: 200 });
    const config = writeAgentConfig({ id: 'edge-1', dir, body: 'machines: [{ id: press-1, driver: sim, idealCycleTime: 1s }]\n' });
    const bed = await startBed(join(dir, 'data'), [{ name: 'cmms', url: receiver.url, secrets: [secret], tls: { ca: pki.ca } }]);
    const dest = 'webhook:cmms';

    const seqs = bed.emit([ev(1, 'downtime', 'press-1'), ev(2, 'downtime', 'press-9'), ev(3, 'downtime', 'press-1'), ev(4, 'job', 'press-9'), ev(5, 'downtime', 'press-1')]);
    const refused = [seqs[1]!, seqs[3]!];
    await receiver.waitForSeqs([seqs[0]!, seqs[2]!, seqs[4]!]);
    await until(() => bed.outbox.listDeadLetters(dest).length === 2, 'two dead letters');

    const letters = bed.outbox.listDeadLetters(dest);
    assert.deepEqual(letters.map((l) => [l.seq, l.code, l.machine]), [[refused[0], 'http-400', 'press-9'], [refused[1], 'http-400', 'press-9']]);
    assert.ok(letters[0]!.reason.startsWith('HTTP 400: {"error":"unknown machine press-9"'), letters[0]!.reason);
    assert.ok(letters[0]!.reason.length < 400, `reason of ${letters[0]!.reason.length} characters`);
    assert.equal(bed.webhooks[0]!.stats().deadLetters, 2);
    // The receiver has the last one before the agent has its answer.
    await until(() => bed.webhooks[0]!.stats().depth === 0, 'dead letters are done for the destination');
    assert.equal(bed.cap.lines.filter((l) => l.code === E.LS_WEBHOOK_REJECTED).length, 1, 'the refusals are logged once');

    const listed = await runCli(['dead-letters', 'list', '--config', config, '--json']);
    assert.equal(listed.code, EXIT.ok, listed.stderr);
    const rows = listed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { destination: string; seq: number; code: string; machine: string; kind: string });
    assert.deepEqual(rows.map((r) => [r.destination, r.seq, r.code, r.machine, r.kind]), [[dest, refused[0], 'http-400', 'press-9', 'downtime'], [dest, refused[1], 'http-400', 'press-9', 'job']]);
    const text = await runCli(['dead-letters', 'list', '--config', config, '--destination', 'cmms']);
    assert.match(text.stdout, /^webhook:cmms: 2 dead letters\n {2}seq \d+ {2}press-9\/downtime .* http-400 {2}HTTP 400: /);

    const unknown = await runCli(['dead-letters', 'resend', '--config', config, '--destination', 'erp']);
    assert.equal(unknown.code, EXIT.usage);
    assert.match(unknown.stderr, /no destination "erp" in this outbox \(known: webhook:cmms\)/);
    const unsaid = await runCli(['dead-letters', 'resend', '--config', config]);
    assert.equal(unsaid.code, EXIT.usage, 'resend says which');

    receiver.policy = () => ({ status: 204 });
    const resent = await runCli(['dead-letters', 'resend', '--config', config, '--destination', 'cmms']);
    assert.equal(resent.code, EXIT.ok, resent.stderr);
    assert.match(resent.stdout, /^2 dead letters of webhook:cmms marked to go again/);
    await receiver.waitForSeqs(refused, 10_000);
    for (const s of refused) assert.equal(receiver.deliveries.find((d) => d.seq === s)!.replay, true, 'a resend is marked replay');
    await until(() => bed.outbox.listDeadLetters(dest).length === 0 && bed.webhooks[0]!.stats().deadLetters === 0, 'dead letters gone');
    assert.deepEqual(receiver.unverifiable, []);

    const again = await runCli(['dead-letters', 'list', '--config', config]);
    assert.equal(again.stdout, 'no dead letters\n');
    // Once every destination has them, the rows leave the file.
    await until(() => bed.outbox.stats().depth === 0, 'outbox emptied');
  });
});
