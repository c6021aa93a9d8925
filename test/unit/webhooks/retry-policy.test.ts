// Which answers are retried, what Retry-After means, and how long the back-off waits.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeStatus, parseRetryAfter, RETRY_AFTER_CAP_MS, RetrySchedule } from '../../../agent/destinations/webhook/retry-policy.ts';

describe('webhook retry policy', () => {
  it('delivers on 2xx, retries 408, 429 and 5xx, dead-letters every other status (redirects too)', () => {
    const table: Record<string, number[]> = {
      delivered: [200, 201, 202, 204, 299],
      retry: [408, 429, 500, 502, 503, 504, 599],
      'dead-letter': [100, 300, 301, 302, 304, 307, 308, 400, 401, 403, 404, 409, 410, 413, 422, 451, 600, 0],
    };
    for (const [verdict, statuses] of Object.entries(table)) for (const s of statuses) assert.equal(judgeStatus(s), verdict, `HTTP ${s}`);
  });

  it('reads Retry-After as delay-seconds or an HTTP date in any of its three forms', () => {
    const now = Date.parse('2026-11-22T08:49:30Z');
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
    assert.equal(parseRetryAfter('Sun, 22 Nov 2026 08:49:37 GMT', now), 7000);
    assert.equal(parseRetryAfter('Sunday, 22-Nov-26 08:49:37 GMT', now), 7000);
    assert.equal(parseRetryAfter('Sun Nov 22 08:49:37 2026', now), 7000);
    assert.equal(parseRetryAfter('Sun, 22 Nov 2026 08:40:00 GMT', now), 0, 'a date in the past: now');
  });

  it('ignores a malformed Retry-After and caps a huge one', () => {
    const now = Date.now();
    for (const bad of [undefined, '', 'soon', '-5', '1.5', '1e3', '0x10', 'Sun, 99 Nov 2026 08:49:37 GMT', 'tomorrow GMT', '12345678901']) {
      assert.equal(parseRetryAfter(bad, now), undefined, String(bad));
    }
    assert.equal(parseRetryAfter('999999999', now), RETRY_AFTER_CAP_MS);
    assert.equal(parseRetryAfter(new Date(now + 7 * 86_400_000).toUTCString(), now), RETRY_AFTER_CAP_MS);
  });

  it('backs off exponentially with jitter: each wait between half and all of min·2^n, capped at max', () => {
    for (const r of [0, 0.5, 0.999999]) {
      const s = new RetrySchedule({ minMs: 1000, maxMs: 30_000, random: () => r });
      const waits = Array.from({ length: 10 }, () => s.next());
      waits.forEach((w, n) => {
        const ceiling = Math.min(30_000, 1000 * 2 ** n);
        assert.ok(w >= ceiling / 2 && w <= ceiling, `attempt ${n}: ${w} ms within [${ceiling / 2}, ${ceiling}] (random ${r})`);
      });
      assert.ok(waits.at(-1)! <= 30_000);
    }
    const jittered = new Set(Array.from({ length: 50 }, () => new RetrySchedule({ minMs: 1000, maxMs: 60_000 }).next()));
    assert.ok(jittered.size > 10, 'the real random source spreads the first wait');
  });

  it('waits what Retry-After asks, never less than min, and starts over after reset', () => {
    const s = new RetrySchedule({ minMs: 500, maxMs: 10_000, random: () => 1 });
    assert.equal(s.next(7000), 7000);
    assert.equal(s.next(0), 500, 'Retry-After: 0 cannot make a busy loop');
    assert.equal(s.next(), 2000, 'back-off went on underneath');
    s.reset();
    assert.equal(s.next(), 500);
  });
});
