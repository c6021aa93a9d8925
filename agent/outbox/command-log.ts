// Command ids already answered, kept in outbox.db so a command the broker redelivers (after a
// reconnect or an agent restart) is answered again but never applied twice.
import type { Db } from './database.ts';

export class CommandLog {
  readonly #get;
  readonly #put;
  readonly #prune;

  constructor(db: Db) {
    this.#get = db.prepare<[string], { reply: string }>('SELECT reply FROM commands WHERE id = ?');
    this.#put = db.prepare<[string, string, string, number, string]>('INSERT OR REPLACE INTO commands (id, machine, name, at, reply) VALUES (?, ?, ?, ?, ?)');
    this.#prune = db.prepare<[number]>('DELETE FROM commands WHERE at < ?');
  }

  /** The stored reply (JSON) of a command id seen before. */
  recall(id: string): string | undefined {
    return this.#get.get(id)?.reply;
  }

  /** Remember an applied command; commits at once (commands are rare, and this is the guard). */
  remember(id: string, machine: string, name: string, at: number, reply: string): void {
    this.#put.run(id, machine, name, at, reply);
  }

  prune(olderThan: number): number {
    return this.#prune.run(olderThan).changes;
  }
}
