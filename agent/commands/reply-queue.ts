// Replies on their way to the broker. They share the publisher's in-flight window with the
// outbox's messages and go ahead of them, so a burst of replies could hold back the machines'
// data for as long as it lasts, and a flood of commands could queue replies without end. Here at
// most `window` replies await PUBACK at once (the rest of the window stays the outbox's), and at
// most `capacity` wait behind them. Only replies the caller marks droppable (to commands refused
// by the rate limit, which are unbounded in number) are dropped when the queue is full; the others
// are bounded by the rate limit itself and always queued.
import type { Logger } from '../log.ts';

export interface ReplyQueueOptions {
  publish: (topic: string, payload: string) => Promise<boolean>;
  /** Replies awaiting PUBACK at once. */
  window: number;
  /** Droppable replies waiting at most. */
  capacity: number;
  log: Logger;
}

export interface ReplyStats {
  /** Replies dropped because the queue was full (to rate-limited commands only). */
  overflow: number;
  /** Replies the broker did not acknowledge (not connected, or the connection dropped). */
  unsent: number;
  queued: number;
}

interface Reply {
  topic: string;
  payload: string;
}

export class ReplyQueue {
  readonly #o: ReplyQueueOptions;
  #queue: Reply[] = [];
  #head = 0;
  #inflight = 0;
  #overflow = 0;
  #unsent = 0;
  #overflowing = false;
  #overflowEpisode = 0;

  constructor(o: ReplyQueueOptions) {
    this.#o = o;
  }

  push(topic: string, payload: string, droppable: boolean): void {
    if (droppable && this.#queue.length - this.#head >= this.#o.capacity) {
      this.#overflow++;
      this.#overflowEpisode++;
      if (!this.#overflowing) {
        this.#overflowing = true;
        this.#o.log.warn({ capacity: this.#o.capacity }, 'command replies back up; replies to rate-limited commands are dropped until the queue drains');
      }
      return;
    }
    this.#queue.push({ topic, payload });
    this.#drain();
  }

  stats(): ReplyStats {
    return { overflow: this.#overflow, unsent: this.#unsent, queued: this.#queue.length - this.#head };
  }

  #drain(): void {
    while (this.#inflight < this.#o.window && this.#head < this.#queue.length) {
      const r = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined as unknown as Reply;
      this.#inflight++;
      void this.#o.publish(r.topic, r.payload).then(
        (acked) => this.#settled(acked),
        () => this.#settled(false),
      );
    }
    // Compact now and then rather than shift() per reply (O(n) each).
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    if (this.#overflowing && this.#queue.length - this.#head === 0) {
      this.#overflowing = false;
      this.#o.log.info({ dropped: this.#overflowEpisode }, 'command replies flow again');
      this.#overflowEpisode = 0;
    }
  }

  #settled(acked: boolean): void {
    this.#inflight--;
    if (!acked) this.#unsent++;
    this.#drain();
  }
}
