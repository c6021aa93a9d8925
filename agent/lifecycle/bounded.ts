// Waiting on work with a deadline and a way out, leaving nothing behind.
//
// `Promise.race([work, stopped])` against a promise that settles only at stop adds a reaction to
// that long-lived promise on every call, and each reaction holds the call's result until stop:
// one leak per poll, forever. Here the wait listens on AbortSignals and a timer, and removes
// both the moment it ends, so a finished wait is garbage as soon as its caller drops it.

export class DeadlineError extends Error {
  override name = 'DeadlineError';
}

export interface BoundedOptions {
  /** Give up after this many ms; 0 or absent means no deadline. */
  ms?: number;
  /** The error a missed deadline rejects with (default: a DeadlineError naming `what`). */
  onDeadline?: () => Error;
  /** What is being waited for, for the default deadline message. */
  what?: string;
  /** Give up as soon as any of these aborts, rejecting with its reason. */
  signals?: ReadonlyArray<AbortSignal | undefined>;
}

/**
 * Settle as `work` settles, or reject when a signal aborts or the deadline passes, whichever
 * comes first. Work left behind keeps running; its late result or rejection is ignored.
 */
export function bounded<T>(work: Promise<T>, o: BoundedOptions = {}): Promise<T> {
  const signals = (o.signals ?? []).filter((s): s is AbortSignal => s !== undefined);
  const aborted = signals.find((s) => s.aborted);
  if (aborted) {
    work.catch(() => {});
    return Promise.reject(reasonOf(aborted));
  }
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const end = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      for (const s of signals) s.removeEventListener('abort', onAbort);
    };
    const onAbort = (e: Event): void => {
      end();
      reject(reasonOf(e.target as AbortSignal));
    };
    for (const s of signals) s.addEventListener('abort', onAbort, { once: true });
    if (o.ms && o.ms > 0) {
      timer = setTimeout(() => {
        end();
        reject(o.onDeadline?.() ?? new DeadlineError(`${o.what ?? 'operation'} did not finish within ${o.ms} ms`));
      }, o.ms);
    }
    work.then(
      (v) => (end(), resolve(v)),
      (err: unknown) => (end(), reject(err)),
    );
  });
}

/** Resolve with the first of `signals` to abort (at once if one already has). */
export function firstAbort(signals: ReadonlyArray<AbortSignal>): Promise<AbortSignal> {
  const already = signals.find((s) => s.aborted);
  if (already) return Promise.resolve(already);
  return new Promise((resolve) => {
    const onAbort = (e: Event): void => {
      for (const s of signals) s.removeEventListener('abort', onAbort);
      resolve(e.target as AbortSignal);
    };
    for (const s of signals) s.addEventListener('abort', onAbort, { once: true });
  });
}

function reasonOf(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new Error(typeof r === 'string' ? r : 'aborted');
}
