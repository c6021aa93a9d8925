// What the batcher writes to: PostgreSQL in production (writer.ts), SQLite for the demo
// (sqlite-store.ts). One batch is one transaction; a redelivered message adds no row.
import type { Decoded } from './decode.ts';

export interface Item {
  topic: string;
  payload: Uint8Array;
  decoded: Decoded;
}

export interface WriteResult {
  inserted: number;
  duplicates: number;
  quarantined: number;
  ignored: number;
}

export interface Store {
  write(items: readonly Item[]): Promise<WriteResult>;
  /** Keeps items the database refused (one at a time) with the database's reason. */
  quarantine(items: readonly Item[], reason: string): Promise<void>;
}
