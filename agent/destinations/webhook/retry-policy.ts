// What a webhook answer means for the message, and how long to wait before the next attempt.
// Standard Webhooks: only 2xx is a delivery; a redirect is not followed (the URL is wrong). A
// timeout, a broken connection, 408, 429 and 5xx say "not now" and are retried with back-off,
// honouring Retry-After; every other status says "never" and the message becomes a dead letter.
import { Backoff } from '../../lifecycle/backoff.ts';

export type Verdict = 'delivered' | 'retry' | 'dead-letter';

export function judgeStatus(status: number): Verdict {
  if (status >= 200 && status <= 299) return 'delivered';
  if (status === 408 || status === 429 || (status >= 500 && status <= 599)) return 'retry';
  return 'dead-letter';
}

/** A receiver asking for more than this is waited for this long, then tried again. */
export const RETRY_AFTER_CAP_MS = 3_600_000;

const DELAY_SECONDS = /^\d{1,10}$/;
/** The three HTTP-date forms (RFC 9110 §5.6.7): IMF-fixdate, RFC 850 and asctime. */
const HTTP_DATE = [
  /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/,
  /^[A-Z][a-z]{5,8}, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT$/,
  /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/,
];

/**
 * Milliseconds a `Retry-After` value asks for (delay-seconds or an HTTP-date), at most
 * RETRY_AFTER_CAP_MS; a date in the past is 0. Anything else is ignored (undefined): a receiver's
 * malformed header must not stall or speed up the retries.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (DELAY_SECONDS.test(v)) return Math.min(Number(v) * 1000, RETRY_AFTER_CAP_MS);
  const form = HTTP_DATE.findIndex((re) => re.test(v));
  if (form < 0) return undefined;
  // asctime has no zone and means GMT; Date.parse would take it as local time.
  const at = Date.parse(form === 2 ? `${v} GMT` : v);
  if (!Number.isFinite(at)) return undefined;
  return Math.min(Math.max(0, at - now), RETRY_AFTER_CAP_MS);
}

/**
 * The wait before each attempt while a receiver fails: exponential from `minMs` to `maxMs` with
 * jitter (between half and all of the step, so agents do not retry in lockstep), or what the
 * receiver asked for in Retry-After — but never less than `minMs`, so `Retry-After: 0` cannot
 * turn the retries into a busy loop.
 */
export class RetrySchedule {
  readonly #backoff: Backoff;
  readonly #minMs: number;

  constructor(o: { minMs: number; maxMs: number; random?: () => number }) {
    this.#minMs = o.minMs;
    this.#backoff = new Backoff({ minMs: o.minMs, maxMs: Math.max(o.minMs, o.maxMs), ...(o.random ? { random: o.random } : {}) });
  }

  next(retryAfterMs?: number): number {
    const step = this.#backoff.next();
    return retryAfterMs === undefined ? step : Math.max(this.#minMs, retryAfterMs);
  }

  reset(): void {
    this.#backoff.reset();
  }
}
