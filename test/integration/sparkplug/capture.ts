// A plain MQTT subscriber on spBv1.0/#: every message of the edge node as it arrived (topic, QoS, retain,
// raw bytes) decoded with the test's own decoder, and awaitable.
import mqtt, { type MqttClient } from 'mqtt';
import { decode, type Decoded } from './decoder.ts';

export interface Captured {
  topic: string;
  verb: string;
  device: string | undefined;
  qos: number;
  retain: boolean;
  bytes: Buffer;
  d: Decoded;
}

export class Capture {
  readonly all: Captured[] = [];
  readonly client: MqttClient;
  #waiters: Array<() => void> = [];

  private constructor(client: MqttClient) {
    this.client = client;
    client.on('message', (topic, payload, packet) => {
      const parts = topic.split('/');
      // What hosts send (STATE, commands) is not the edge node's.
      if (parts[1] === 'STATE' || parts[2] === 'NCMD' || parts[2] === 'DCMD') return;
      this.all.push({ topic, verb: parts[2]!, device: parts[4], qos: packet.qos, retain: packet.retain, bytes: Buffer.from(payload), d: decode(payload) });
      for (const w of this.#waiters) w();
    });
  }

  static async start(url: string): Promise<Capture> {
    const client = mqtt.connect(url, { clientId: `capture-${process.pid}-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 200, clean: true });
    client.on('error', () => {});
    const c = new Capture(client);
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    await client.subscribeAsync('spBv1.0/#', { qos: 1 });
    return c;
  }

  of(verb: string, device?: string): Captured[] {
    return this.all.filter((m) => m.verb === verb && (device === undefined || m.device === device));
  }

  /** Resolves with the first message (past or future) from index `from` on that matches. */
  async next(match: (m: Captured) => boolean, what: string, from = 0, timeoutMs = 10_000): Promise<Captured> {
    const find = () => this.all.slice(from).find(match);
    const seen = find();
    if (seen) return seen;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== check);
        reject(new Error(`${what}: not seen in ${timeoutMs} ms; got ${this.all.slice(from).map((m) => `${m.verb}${m.device ? `/${m.device}` : ''}#${m.d.seq}`).join(' ')}`));
      }, timeoutMs);
      const check = () => {
        const m = find();
        if (!m) return;
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((w) => w !== check);
        resolve(m);
      };
      this.#waiters.push(check);
    });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
