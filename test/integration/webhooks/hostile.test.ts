// Receivers that misbehave: Retry-After (seconds, HTTP date, garbage), 429, an answer that never
// comes, a body that never ends, a huge body, a redirect. The destination must wait as asked,
// give up on an attempt at its deadline, never follow a redirect, and keep delivering.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { E } from '../../../agent/errors.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { ev, newSecret, startBed, until } from './bed.ts';
import { Receiver, type Answer, type Attempt } from './receiver.ts';

async function setup(o: Record<string, unknown> = {}) {
  const secret = newSecret();
  const receiver = await Receiver.start({ secrets: [secret] });
  after(() => receiver.close());
  const bed = await startBed(tempDir(), [{ name: 'erp', url: receiver.url, secrets: [secret], timeout: '1s', retry: { min: '100ms', max: '400ms' }, ...o }]);
  return { receiver, bed };
}

/** Answers the n-th request with answers[n], then 204. */
function script(answers: Array<Answer | 'hang'>): () => Answer | 'hang' {
  let n = 0;
  return () => answers[n++] ?? { status: 204 };
}

async function attempts(r: Receiver, n: number): Promise<Attempt[]> {
  while (r.attempts.length < n) await r.nextAttempt();
  return r.attempts.slice(0, n);
}

describe('webhook receivers that misbehave', () => {
  it('honours Retry-After in seconds and as an HTTP date, ignores a malformed one, retries 429 and 5xx', async () => {
    const { receiver, bed } = await setup();
    const inTwo = () => new Date(Date.now() + 2500).toUTCString();
    receiver.policy = script([
      { status: 503, headers: { 'retry-after': '2' } },
      { status: 429, headers: { 'retry-after': 'soon' } },
      { status: 502 },
    ]);
    const [seq] = bed.emit([ev(1, 'job')]);
    const [a1, a2, a3, a4] = await attempts(receiver, 4);
    assert.ok(a2!.at - a1!.at >= 1950, `Retry-After: 2 waited ${a2!.at - a1!.at} ms`);
    assert.ok(a3!.at - a2!.at < 1000, `a malformed Retry-After falls back to the back-off (${a3!.at - a2!.at} ms)`);
    assert.ok(a4!.at - a3!.at >= 100 && a4!.at - a3!.at < 1000, `back-off after a 502: ${a4!.at - a3!.at} ms`);
    assert.deepEqual([a1, a2, a3, a4].map((a) => [a!.status, a!.msgId]), [[503, `edge-1:${seq}`], [429, `edge-1:${seq}`], [502, `edge-1:${seq}`], [204, `edge-1:${seq}`]]);

    receiver.policy = script([{ status: 503, headers: { 'retry-after': inTwo() } }]);
    bed.emit([ev(2, 'job')]);
    const [b1, b2] = (await attempts(receiver, 6)).slice(4);
    // An HTTP date has whole seconds: 2.5 s ahead is at least 1.5 s.
    assert.ok(b2!.at - b1!.at >= 1450, `Retry-After as a date waited ${b2!.at - b1!.at} ms`);
    assert.equal(b2!.status, 204);
    assert.equal(bed.cap.lines.filter((l) => l.code === E.LS_WEBHOOK_FAILING).length, 2, 'one line per outage');
    assert.deepEqual(receiver.unverifiable, [], 'every retry is signed anew and verifies');
  });

  it('gives up on an attempt at its deadline: no answer, or a refusal whose body never ends', async () => {
    const { receiver, bed } = await setup();
    receiver.policy = script(['hang', { status: 422, body: '{"error":"half', end: false }]);
    const [s1] = bed.emit([ev(1, 'job')]);
    const [h1, h2] = await attempts(receiver, 2);
    assert.ok(h2!.at - h1!.at >= 1000, `retried ${h2!.at - h1!.at} ms after a request that got no answer (timeout 1s)`);
    assert.equal(h2!.msgId, `edge-1:${s1}`);
    await until(() => bed.outbox.listDeadLetters('webhook:erp').length === 1, 'the refusal');
    const [letter] = bed.outbox.listDeadLetters('webhook:erp');
    assert.equal(letter!.code, 'http-422');
    assert.equal(letter!.reason, 'HTTP 422: {"error":"half', 'judged with what arrived before the deadline');
    const failing = bed.cap.lines.find((l) => l.code === E.LS_WEBHOOK_FAILING);
    assert.match(String(failing?.err), /no answer within 1000 ms/);
    // And it goes on.
    const [s3] = bed.emit([ev(3, 'job')]);
    await receiver.waitForSeqs([s3!]);
  });

  it('reads little of a huge answer and keeps delivering', async () => {
    const { receiver, bed } = await setup();
    const huge = Buffer.alloc(20 << 20, 0x61);
    receiver.policy = script([{ status: 200, body: huge }, { status: 400, body: huge }]);
    const seqs = bed.emit([ev(1, 'job'), ev(2, 'job'), ev(3, 'job')]);
    await receiver.waitForSeqs([seqs[0]!, seqs[2]!]);
    await until(() => bed.outbox.listDeadLetters('webhook:erp').length === 1, 'the refusal');
    const [letter] = bed.outbox.listDeadLetters('webhook:erp');
    assert.equal(letter!.seq, seqs[1]);
    assert.ok(letter!.reason.length <= 320 && letter!.reason.startsWith('HTTP 400: aaaa'), letter!.reason.slice(0, 80));
    assert.equal(bed.cap.lines.filter((l) => l.code === E.LS_WEBHOOK_FAILING).length, 0, 'a huge answer is an answer');
  });

  it('does not follow a redirect: a 3xx is a dead letter saying where it pointed', async () => {
    const elsewhere = await Receiver.start({ secrets: [] });
    after(() => elsewhere.close());
    const { receiver, bed } = await setup();
    receiver.policy = () => ({ status: 308, headers: { location: elsewhere.url } });
    const [seq] = bed.emit([ev(1, 'job')]);
    await until(() => bed.outbox.listDeadLetters('webhook:erp').length === 1, 'the dead letter');
    const [letter] = bed.outbox.listDeadLetters('webhook:erp');
    assert.deepEqual([letter!.seq, letter!.code], [seq, 'http-308']);
    assert.match(letter!.reason, new RegExp(`^HTTP 308 \\(redirect to ${elsewhere.url.replaceAll('.', '\\.')} not followed`));
    assert.equal(elsewhere.attempts.length, 0);
  });
});
