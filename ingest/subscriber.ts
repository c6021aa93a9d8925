// The MQTT side: an MQTT 5 persistent session with a shared subscription, and PUBACKs that leave
// only after the message's row is committed.
//
// mqtt.js sends a QoS 1 PUBACK when `handleMessage`'s callback runs, and reads the next packet only
// after that, so holding the callback until the commit would allow one message in flight. Instead
// the callback gets an error — mqtt.js then reads on and sends no PUBACK — and `ack()` sends the
// PUBACK itself once the batch committed. The broker sends at most Receive Maximum unacknowledged
// messages: that is the back-pressure, and it bounds the ingest's memory. (Writing a commit's
// PUBACKs as one buffer of raw 4-byte packets was measured: no difference in CPU.)
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';

export interface SubscriberOptions {
  url: string;
  clientId: string;
  group: string;
  topic: string;
  username?: string;
  password?: string;
  receiveMaximum: number;
  sessionExpiryMs: number;
  keepaliveMs: number;
  reconnectMs: number;
}

/** Called per message; `ack` sends its PUBACK (a no-op for QoS 0, or when its connection is gone). */
export type OnMessage = (topic: string, payload: Buffer, ack: () => void) => void;

interface PacketSender {
  _sendPacket(packet: { cmd: 'puback'; messageId: number; reasonCode: number }): void;
}

/** Handed to mqtt.js instead of "done" so it skips its own PUBACK. */
const DEFERRED = new Error('PUBACK deferred until the row is committed');

/** Retained status is never delivered on a shared subscription (MQTT 5, 4.8.2): it has its own. */
export const STATUS_FILTER = 'lineside/v1/+/+/+/+/_agent/+/status';

export class Subscriber {
  readonly #o: SubscriberOptions;
  readonly #log: Logger;
  readonly #onMessage: OnMessage;
  #client: MqttClient | undefined;
  /** Connections so far: a packet id means nothing on a later connection, so PUBACKs of an older one are dropped. */
  #epoch = 0;
  #subscribed = false;
  #down = false;

  constructor(o: SubscriberOptions, log: Logger, onMessage: OnMessage) {
    this.#o = o;
    this.#log = log;
    this.#onMessage = onMessage;
  }

  get ready(): boolean {
    return this.#subscribed && this.#client?.connected === true;
  }

  start(): void {
    const o = this.#o;
    const client = mqtt.connect(o.url, {
      clientId: o.clientId,
      protocolVersion: 5,
      clean: false,
      username: o.username,
      password: o.password,
      keepalive: Math.round(o.keepaliveMs / 1000),
      reconnectPeriod: o.reconnectMs,
      connectTimeout: 10_000,
      resubscribe: false,
      // mqtt.js logs every packet through `debug`; even disabled, that is a cost per message.
      log: () => {},
      properties: { sessionExpiryInterval: Math.round(o.sessionExpiryMs / 1000), receiveMaximum: o.receiveMaximum },
    });
    this.#client = client;
    client.handleMessage = (packet: IPublishPacket, callback: (err?: Error) => void) => {
      const epoch = this.#epoch;
      const id = packet.messageId;
      let acked = false;
      const ack =
        packet.qos === 1 && id !== undefined
          ? () => {
              if (acked) return;
              acked = true;
              this.#ack(id, epoch);
            }
          : () => {};
      try {
        this.#onMessage(packet.topic, packet.payload as Buffer, ack);
      } catch (err) {
        this.#log.error({ err, topic: packet.topic }, 'message handler failed');
      }
      callback(packet.qos === 1 ? DEFERRED : undefined);
    };
    client.on('connect', (connack) => {
      if (this.#down) this.#log.info({ url: o.url }, 'broker connection restored');
      this.#down = false;
      this.#log.info({ url: o.url, sessionPresent: connack.sessionPresent, clientId: o.clientId }, 'connected to broker');
      // Subscribing again on a present session is harmless and covers a broker that lost it.
      client.subscribe(
        { [`$share/${o.group}/${o.topic}`]: { qos: 1 }, [STATUS_FILTER]: { qos: 1, rh: 0 } },
        (err, granted) => {
          if (err) return this.#log.error({ err }, 'subscribe failed');
          const refused = granted?.filter((g) => g.qos > 2);
          if (refused?.length) return this.#log.error({ refused }, 'broker refused the subscription (shared subscriptions supported?)');
          this.#subscribed = true;
          this.#log.info({ topic: `$share/${o.group}/${o.topic}` }, 'subscribed');
        },
      );
    });
    client.on('close', () => {
      // The only place the epoch moves: every new connection follows a close, and this cannot race
      // with the publishes that follow a CONNACK.
      this.#epoch++;
      this.#subscribed = false;
      if (!this.#down) this.#log.warn({ url: o.url }, 'broker connection lost; reconnecting');
      this.#down = true;
    });
    client.on('error', (err) => {
      if (!this.#down) this.#log.warn({ err: err.message }, 'broker error');
    });
  }

  #ack(messageId: number, epoch: number): void {
    const c = this.#client;
    // Unacknowledged messages of a lost connection come again on the next one (same session);
    // their rows are de-duplicated then.
    if (!c || epoch !== this.#epoch || !c.connected) return;
    (c as unknown as PacketSender)._sendPacket({ cmd: 'puback', messageId, reasonCode: 0 });
  }

  async stop(): Promise<void> {
    const c = this.#client;
    if (!c) return;
    await new Promise<void>((resolve) => c.end(false, {}, () => resolve()));
  }
}
