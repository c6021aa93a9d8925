// The ingest inside `lineside demo --ingest`: the demo's in-process broker hands over every
// message it routes, and they go through the same decoding and batching into a SQLite file
// (sqlite-store.ts) — the tables a newcomer can open with any SQLite browser, with no server.
// In-process there is no PUBACK to hold back, so `ack` does nothing here.
import type { Logger } from 'pino';
import { Batcher, type BatchStats } from './batcher.ts';
import { decode } from './decode.ts';
import { SqliteStore } from './sqlite-store.ts';
import type { WriteResult } from './store.ts';

export class EmbeddedIngest {
  readonly file: string;
  readonly totals: WriteResult = { inserted: 0, duplicates: 0, quarantined: 0, ignored: 0 };
  readonly #store: SqliteStore;
  readonly #batcher: Batcher;

  constructor(file: string, log: Logger) {
    this.file = file;
    this.#store = new SqliteStore(file);
    const stats: BatchStats = {
      onBatch: (r) => {
        for (const k of Object.keys(this.totals) as Array<keyof WriteResult>) this.totals[k] += r[k];
      },
      onDbState: () => {},
    };
    this.#batcher = new Batcher({ maxRows: 500, maxDelayMs: 100, concurrency: 1 }, this.#store, log, stats);
  }

  push(topic: string, payload: Buffer): void {
    this.#batcher.push({ topic, payload, decoded: decode(topic, payload), ack: () => {} });
  }

  async stop(): Promise<void> {
    await this.#batcher.drain();
    this.#batcher.abandon();
    this.#store.close();
  }
}
