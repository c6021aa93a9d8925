// A subscriber like the MES: persistent session, QoS 1, records every message with its topic
// and lets tests await conditions on what arrived.
import mqtt, { type MqttClient } from 'mqtt';

export interface Received {
  topic: string;
  json: Record<string, unknown>;
  retain: boolean;
}

export class Collector {
  readonly client: MqttClient;
  readonly messages: Received[] = [];
  #waiters: Array<{ check: () => boolean; resolve: () => void }> = [];

  constructor(url: string, topic = 'lineside/v1/#', id = `mes-${process.pid}-${Math.random().toString(16).slice(2)}`) {
    this.client = mqtt.connect(url, { clientId: id, clean: false, protocolVersion: 4, reconnectPeriod: 200, connectTimeout: 2000 });
    this.client.on('error', () => {});
    this.client.on('connect', (ack) => {
      if (!ack.sessionPresent) this.client.subscribe(topic, { qos: 1 });
    });
    this.client.on('message', (t, payload, packet) => {
      let json: Record<string, unknown>;
      try {
        const v = JSON.parse(payload.toString()) as unknown;
        json = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
      } catch {
        json = { unparsable: payload.toString() };
      }
      this.messages.push({ topic: t, json, retain: packet.retain });
      this.#waiters = this.#waiters.filter((w) => (w.check() ? (w.resolve(), false) : true));
    });
  }

  async ready(): Promise<void> {
    if (!this.client.connected) await new Promise((r) => this.client.once('connect', r));
    // The subscription is in place once SUBACK came; a round trip through a probe topic proves it.
    await this.client.subscribeAsync('lineside/v1/_probe', { qos: 1 });
  }

  /** Resolves when `check()` holds (checked now and after every message). */
  until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${this.messages.length} messages so far`)), timeoutMs);
      this.#waiters.push({ check, resolve: () => { clearTimeout(timer); resolve(); } });
    });
  }

  /** Envelope messages (those with a seq) in arrival order. */
  data(): Received[] {
    return this.messages.filter((m) => !m.topic.includes('/cmd/') && typeof m.json.seq === 'number');
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/** First-arrival order of seqs, the duplicates, and whether each duplicate repeats the msgId. */
export function analyse(msgs: Received[]): { firstSeqs: number[]; duplicates: number; dupIdsMatch: boolean; maxSeq: number } {
  const seen = new Map<number, string>();
  const firstSeqs: number[] = [];
  let duplicates = 0;
  let dupIdsMatch = true;
  for (const m of msgs) {
    const seq = m.json.seq as number;
    const id = m.json.msgId as string;
    const prev = seen.get(seq);
    if (prev === undefined) {
      seen.set(seq, id);
      firstSeqs.push(seq);
    } else {
      duplicates++;
      if (prev !== id) dupIdsMatch = false;
    }
  }
  return { firstSeqs, duplicates, dupIdsMatch, maxSeq: Math.max(0, ...firstSeqs) };
}

/** Seqs in [from, to] that never arrived. */
export function missing(firstSeqs: number[], from: number, to: number): number[] {
  const have = new Set(firstSeqs);
  const out: number[] = [];
  for (let s = from; s <= to; s++) if (!have.has(s)) out.push(s);
  return out;
}
