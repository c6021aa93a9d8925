// The receiver goes down while messages keep coming, then comes back. Nothing may be missing or
// unverifiable; what piled up arrives as a paced backlog with `replay: true` while new messages
// go live at once; each lane stays in seq order; the outage is logged once, its end once, and
// the dead receiver is tried with back-off, not hammered.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { E } from '../../../agent/errors.ts';
import { ev, httpsReceiver, produce, startBed, until } from './bed.ts';

const RATE = 50;
const REPLAY_RATE = 40;
const RETRY = { min: 100, max: 800 };

describe('webhook receiver outage', () => {
  it('delivers everything after the receiver comes back: backlog paced with replay: true, live at once, lanes in seq order', async () => {
    const { dir, pki, secret, receiver } = await httpsReceiver();
    const bed = await startBed(dir, [
      { name: 'cmms', url: receiver.url, secrets: [secret], tls: { ca: pki.ca }, replayRate: REPLAY_RATE, timeout: '2s', retry: { min: `${RETRY.min}ms`, max: `${RETRY.max}ms` } },
    ]);
    const dest = bed.webhooks[0]!;
    const load = produce(bed, RATE, (i) => ev(i, i % 10 === 0 ? 'downtime' : 'telemetry', i % 2 ? 'press-1' : 'press-2'));
    after(load.stop);

    await receiver.waitFor(() => receiver.deliveries.length >= 30, 20_000, '30 deliveries before the outage');
    const deliveredBefore = new Set(receiver.deliveries.map((d) => d.seq));
    await receiver.down();
    const downAt = Date.now();
    // The outage lasts until a few seconds of messages have piled up.
    await until(() => dest.stats().depth >= 150, 'a backlog of 150');
    assert.equal(dest.stats().up, false, 'stats say the receiver is down');
    assert.ok(dest.stats().lastError?.message.includes('ECONNREFUSED'), JSON.stringify(dest.stats().lastError));
    await receiver.up();
    const upAt = Date.now();
    const beginLine = () => bed.cap.lines.filter((l) => l.msg === 'replaying backlog').at(-1);
    await until(() => beginLine() !== undefined, 'the new session');
    const boundary = beginLine()!.upToSeq as number;
    // Enough live traffic after the recovery to see it overtake the backlog.
    await receiver.waitFor((d) => !d.replay && d.seq > boundary + 40, 20_000, '40 live messages after the recovery');
    load.stop();
    await receiver.waitForSeqs(load.seqs, 30_000);

    const first = receiver.firstArrivals();
    assert.deepEqual(load.seqs.filter((s) => !first.has(s)), [], 'missing');
    assert.deepEqual(receiver.unverifiable, [], 'unverifiable');

    // The head message is tried alone while the receiver is down and is the first to arrive after.
    const afterUp = receiver.deliveries.filter((d) => d.at >= upAt);
    const head = Math.min(...load.seqs.filter((s) => !deliveredBefore.has(s)));
    assert.equal(afterUp[0]!.seq, head, 'the oldest undelivered message opens the recovery');
    assert.equal(afterUp[0]!.replay, false, 'the head keeps the lane it was taken in (live)');

    const backlog = load.seqs.filter((s) => s > head && s <= boundary && !deliveredBefore.has(s));
    const live = load.seqs.filter((s) => s > boundary);
    assert.ok(backlog.length >= 150, `backlog of ${backlog.length}`);
    assert.deepEqual(backlog.filter((s) => first.get(s)!.replay !== true), [], 'what piled up arrives with replay: true');
    assert.deepEqual(live.filter((s) => first.get(s)!.replay !== false), [], 'what came after the recovery arrives live');

    // Each lane in seq order (concurrency 1).
    for (const lane of [true, false]) {
      const order = receiver.deliveries.filter((d) => d.replay === lane && first.get(d.seq) === d).map((d) => d.seq);
      assert.deepEqual(order, [...order].sort((a, b) => a - b), `${lane ? 'replay' : 'live'} lane in seq order`);
    }

    // Live does not wait behind the backlog: it arrives while the backlog still drains, promptly.
    const lastBacklog = Math.max(...backlog.map((s) => first.get(s)!.at));
    const liveDuringDrain = live.filter((s) => first.get(s)!.at < lastBacklog);
    assert.ok(liveDuringDrain.length >= 10, `${liveDuringDrain.length} live messages arrived while the backlog drained`);
    const latencies = live.map((s) => first.get(s)!.at - load.commitTimes.get(s)!).sort((a, b) => a - b);
    const p95 = latencies[Math.floor(latencies.length * 0.95)]!;
    assert.ok(p95 < 500, `live latency p95 ${p95} ms`);

    // Paced: the backlog drains at about replayRate (a burst of replayRate/10 allowed).
    const drain = backlog.map((s) => first.get(s)!);
    const spanMs = Math.max(...drain.map((d) => d.at)) - Math.min(...drain.map((d) => d.at));
    const floorMs = ((backlog.length - REPLAY_RATE / 10) / REPLAY_RATE) * 1000 * 0.9;
    assert.ok(spanMs >= floorMs, `backlog of ${backlog.length} drained in ${spanMs} ms, paced at ${REPLAY_RATE}/s needs ≥ ${Math.round(floorMs)} ms`);

    // One line when it started failing, one when it recovered; back-off between the attempts.
    const failing = bed.cap.lines.filter((l) => l.code === E.LS_WEBHOOK_FAILING);
    assert.equal(failing.length, 1, JSON.stringify(failing));
    const recovered = bed.cap.lines.filter((l) => l.incident === 'webhook:cmms' && typeof l.failures === 'number');
    assert.equal(recovered.length, 1);
    const failures = recovered[0]!.failures as number;
    const outageMs = upAt - downAt;
    const most = 5 + outageMs / (RETRY.max / 2);
    assert.ok(failures >= 3 && failures <= most, `${failures} attempts in a ${outageMs} ms outage (back-off allows at most ${Math.floor(most)})`);
    assert.equal(dest.stats().up, true);
  });
});
