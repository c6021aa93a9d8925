// The Primary Host Application's STATE messages (spec 3.0 §5.12.4): JSON `{online, timestamp}`,
// retained at spBv1.0/STATE/{hostId}. Births wait for online; an offline message counts only when
// its timestamp is not older than the last online one (an older one is a stale Will of a session
// the host already replaced).
export type HostVerdict = 'online' | 'offline' | 'ignore';

export class PrimaryHostState {
  #onlineTs: number | undefined;
  #online = false;

  get online(): boolean {
    return this.#online;
  }

  /** A new MQTT session: nothing is known until the retained STATE arrives. */
  reset(): void {
    this.#online = false;
  }

  receive(payload: Uint8Array): HostVerdict {
    let msg: unknown;
    try {
      msg = JSON.parse(Buffer.from(payload).toString('utf8'));
    } catch {
      return 'ignore';
    }
    if (typeof msg !== 'object' || msg === null) return 'ignore';
    const { online, timestamp } = msg as { online?: unknown; timestamp?: unknown };
    if (typeof online !== 'boolean' || typeof timestamp !== 'number' || !Number.isFinite(timestamp)) return 'ignore';
    if (online) {
      if (this.#onlineTs !== undefined && timestamp < this.#onlineTs) return 'ignore';
      this.#onlineTs = timestamp;
      this.#online = true;
      return 'online';
    }
    if (this.#onlineTs !== undefined && timestamp < this.#onlineTs) return 'ignore';
    const was = this.#online;
    this.#online = false;
    return was ? 'offline' : 'ignore';
  }
}
