// Messages → batches → the writer, acknowledging each message only after its batch committed.
// A batch goes when it is full or its first message waited `maxDelayMs`; at most `concurrency`
// batches are in flight. A database outage keeps the batch and retries it (nothing acked, so the
// broker stops sending at Receive Maximum); a batch the database refuses for its data is split
// until the one message at fault is found, and that one is quarantined with the database's reason.
import { setTimeout as wait } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Item, Store, WriteResult } from './store.ts';

export interface Pending extends Item {
  ack: () => void;
}

export interface BatcherOptions {
  maxRows: number;
  maxDelayMs: number;
  concurrency: number;
}

export interface BatchStats {
  onBatch(result: WriteResult, rows: number, seconds: number): void;
  onDbState(up: boolean): void;
}

/** SQLSTATE classes that say "this data", not "this connection": retrying the same batch cannot help. */
const DATA_ERROR = /^(22|23)/;

export class Batcher {
  readonly #o: BatcherOptions;
  readonly #writer: Store;
  readonly #log: Logger;
  readonly #stats: BatchStats;
  #queue: Pending[] = [];
  #timer: NodeJS.Timeout | undefined;
  #running = 0;
  #dbDown = false;
  #stopping = false;
  /** Cuts short the back-off between retries when the batcher is abandoned. */
  readonly #abandoned = new AbortController();
  readonly #idle = new Set<() => void>();

  constructor(o: BatcherOptions, writer: Store, log: Logger, stats: BatchStats) {
    this.#o = o;
    this.#writer = writer;
    this.#log = log;
    this.#stats = stats;
  }

  /** Messages received and not yet committed (each unacknowledged at the broker). */
  get pending(): number {
    return this.#queue.length;
  }

  get dbUp(): boolean {
    return !this.#dbDown;
  }

  push(p: Pending): void {
    this.#queue.push(p);
    if (this.#queue.length >= this.#o.maxRows) this.#kick();
    else this.#timer ??= setTimeout(() => ((this.#timer = undefined), this.#kick()), this.#o.maxDelayMs);
  }

  #kick(): void {
    while (this.#running < this.#o.concurrency && this.#queue.length > 0 && !this.#stopping) {
      const batch = this.#queue.splice(0, this.#o.maxRows);
      if (this.#queue.length === 0 && this.#timer) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
      }
      this.#running++;
      void this.#commit(batch).finally(() => {
        this.#running--;
        if (this.#queue.length >= this.#o.maxRows || (this.#queue.length > 0 && !this.#timer)) this.#kick();
        if (this.#running === 0 && this.#queue.length === 0) for (const f of this.#idle) f();
      });
    }
  }

  async #commit(batch: Pending[]): Promise<void> {
    let delay = 100;
    while (!this.#stopping) {
      try {
        await this.#writeSplitting(batch);
        if (this.#dbDown) this.#log.info('database writes work again');
        this.#dbDown = false;
        this.#stats.onDbState(true);
        return;
      } catch (err) {
        if (!this.#dbDown) this.#log.error({ err: (err as Error).message, code: (err as { code?: string }).code }, 'database write failed; retrying the batch (nothing is acknowledged until it commits)');
        this.#dbDown = true;
        this.#stats.onDbState(false);
        await wait(delay, undefined, { signal: this.#abandoned.signal }).catch(() => {});
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  async #writeSplitting(batch: Pending[]): Promise<void> {
    const t0 = performance.now();
    try {
      const result = await this.#writer.write(batch);
      this.#stats.onBatch(result, batch.length, (performance.now() - t0) / 1000);
      for (const p of batch) p.ack();
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (!DATA_ERROR.test(code)) throw err;
      if (batch.length === 1) {
        const reason = `database refused it: ${(err as Error).message}`;
        await this.#writer.quarantine(batch, reason);
        this.#log.warn({ topic: batch[0]!.topic, reason }, 'message quarantined');
        this.#stats.onBatch({ inserted: 0, duplicates: 0, quarantined: 1, ignored: 0 }, 1, (performance.now() - t0) / 1000);
        batch[0]!.ack();
        return;
      }
      const half = Math.ceil(batch.length / 2);
      await this.#writeSplitting(batch.slice(0, half));
      await this.#writeSplitting(batch.slice(half));
    }
  }

  /**
   * Writes what is queued and resolves when nothing is in flight (graceful stop), or when `signal`
   * aborts (a stop that may not wait longer); either way the waiter is removed.
   */
  async drain(signal?: AbortSignal): Promise<void> {
    this.#kick();
    if ((this.#running === 0 && this.#queue.length === 0) || signal?.aborted) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.#idle.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.#idle.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** Abandons retries: whatever is unacknowledged is redelivered to the next instance. */
  abandon(): void {
    this.#stopping = true;
    this.#abandoned.abort();
    if (this.#timer) clearTimeout(this.#timer);
  }
}
