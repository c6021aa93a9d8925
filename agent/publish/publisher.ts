// The MQTT destination: takes rows through its outbox cursor, keeps up to `inflight` QoS 1
// publishes awaiting PUBACK, and acks each row in the outbox when its PUBACK arrives. At a
// (re)connect everything unacknowledged is the backlog: it drains oldest first with
// `replay: true`, paced at mqtt.replayRate, while live messages go out at once beside it (two
// lanes, each in seq order). `mqtt.ordering: strict` keeps one stream in seq order instead.
// The retained status topic gets the birth message. A publish the broker refuses for good (an
// MQTT 5 reason code, see rejections.ts) goes to the dead letter.
import mqtt, { type IConnackPacket, type MqttClient } from 'mqtt';
import type { EventKind } from '../events.ts';
import type { Logger } from '../log.ts';
import { redactUrlCredentials } from '../../config/redact.ts';
import { withTimeout } from '../lifecycle/component.ts';
import { RateMeter, type Destination, type DestinationStats } from '../destinations/destination.ts';
import { Backoff, delay } from '../lifecycle/backoff.ts';
import { Incidents, type Incident } from '../lifecycle/incident.ts';
import { Coalesced } from '../lifecycle/coalesced.ts';
import { encodeEnvelope } from '../contract/envelope.ts';
import { machineTopic, statusTopic, type TopicRoot } from '../contract/topics.ts';
import type { Outbox, OutboxRow } from '../outbox/outbox.ts';
import type { DestinationCursor } from '../outbox/cursor.ts';
import { clientOptions, offlineStatus, onlineStatus, type MqttConfig } from './client-options.ts';
import { judgeRejection } from './rejections.ts';
import { ReplayPacer, type ReplayProgress } from '../destinations/replay-pacer.ts';
import { E } from '../errors.ts';

export type OutboxPort = Pick<Outbox, 'cursor' | 'acked' | 'deadLetter' | 'onCommit' | 'lastSeq' | 'stats' | 'oldestAgeMs' | 'deadLetterCounts'>;

/** The destination name of the MQTT publisher in the outbox. */
export const MQTT_DESTINATION = 'mqtt';
/** A refused publish that may succeed later waits at least this long before it goes again. */
const RETRY_PAUSE_MS = 1000;

export interface PublisherOptions {
  config: MqttConfig;
  agentId: string;
  root: TopicRoot;
  outbox: OutboxPort;
  log: Logger;
  version: string;
  configHash: string;
  now?: () => number;
  /** Where repeated failures are tracked (one log line per incident, counts in /metrics). */
  incidents?: Incidents;
}

interface DirectPublish { topic: string; payload: string; retain: boolean; resolve: (acked: boolean) => void }

/** Called on every connect (after the birth message), e.g. to subscribe to commands. */
export type ConnectHook = (client: MqttClient) => void;

export interface PublisherStats {
  connected: boolean;
  window: number;
  inflight: number;
  published: number;
  acked: number;
  /** Publishes the broker refused or did not acknowledge (each goes again later, or to the dead letter). */
  errors: number;
  /** Publishes refused for good (MQTT 5 reason codes), now dead letters. */
  deadLettered: number;
  connects: number;
  /** Most QoS 1 publishes ever awaiting PUBACK at once, counted on the wire. */
  peakOnWire: number;
  replay: ReplayProgress;
}

export class Publisher implements Destination {
  readonly name = MQTT_DESTINATION;
  readonly #o: PublisherOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #statusTopic: string;
  readonly #pacer: ReplayPacer;
  readonly #topics = new Map<string, string>();
  readonly #hooks = new Set<ConnectHook>();
  readonly #abort = new AbortController();
  #client: MqttClient | undefined;
  #window = 1;
  #inflight = 0;
  #retryAt = 0;
  #deadLettered = 0;
  #lastError: { at: string; message: string } | undefined;
  readonly #meter: RateMeter;
  /** Direct publishes waiting for window space, and those awaiting PUBACK. */
  #direct: DirectPublish[] = [];
  readonly #directInflight = new Set<DirectPublish>();
  #pacerTimer: NodeJS.Timeout | undefined;
  #loop: Promise<void> | undefined;
  #unsubscribe: (() => void) | undefined;
  #published = 0;
  #errors = 0;
  #acked = 0;
  #connects = 0;
  #stopping = false;
  #peakOnWire = 0;

  #rejected: Incident;
  #pumpFailures: Incident;

  constructor(opts: PublisherOptions) {
    this.#o = opts;
    this.#log = opts.log.child({ component: 'publisher' });
    this.#now = opts.now ?? Date.now;
    this.#statusTopic = statusTopic(opts.root, opts.agentId);
    const incidents = opts.incidents ?? new Incidents(this.#log, this.#now);
    this.#rejected = incidents.get({ name: 'mqtt-publish', failed: 'publishes not acknowledged by the broker', meanwhile: 'they stay in the outbox and go again after the next reconnect', code: E.LS_MQTT_PUBLISH_FAILED, level: 'warn' });
    this.#pumpFailures = incidents.get({ name: 'mqtt-pump', failed: 'publishing failed', meanwhile: 'retrying on the next commit or acknowledgement' });
    this.#meter = new RateMeter(this.#now);
    this.#pacer = new ReplayPacer(opts.config.replayRate, Math.max(opts.config.inflight, Math.ceil(opts.config.replayRate / 10)), this.#log, this.#now);
  }

  onConnect(hook: ConnectHook): void {
    this.#hooks.add(hook);
  }

  get connected(): boolean {
    return this.#client?.connected === true;
  }

  /**
   * Publish outside the outbox (birth, command replies, the offline status). These share the
   * in-flight window with the outbox's messages and go first, so the broker's Receive Maximum is
   * never exceeded. Resolves true on PUBACK, false when not connected or the connection dropped.
   */
  publishDirect(topic: string, payload: string, retain = false): Promise<boolean> {
    if (!this.#client?.connected) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.#direct.push({ topic, payload, retain, resolve });
      this.#schedulePump();
    });
  }

  async start(): Promise<void> {
    // Connecting happens in the background: an agent with no broker still runs and buffers.
    this.#unsubscribe = this.#o.outbox.onCommit(() => this.#schedulePump());
    this.#loop = this.#run().catch((err: unknown) => this.#log.error({ err }, 'publisher loop failed'));
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#unsubscribe?.();
    clearTimeout(this.#pacerTimer);
    const client = this.#client;
    if (client?.connected) {
      try {
        await withTimeout(this.publishDirect(this.#statusTopic, offlineStatus(this.#o.agentId, this.#now(), 'stopped'), true), 2000, 'offline status');
        // A clean DISCONNECT: the broker discards the last will, the retained status says "stopped".
        await withTimeout(client.endAsync(false), 2000, 'mqtt disconnect');
      } catch (err) {
        this.#log.warn({ err }, 'clean disconnect failed');
      }
    }
    // Only now: aborting ends the connection (or the attempt) at once.
    this.#abort.abort();
    client?.end(true);
    await this.#loop;
  }

  /** The MQTT link's own figures (window, in flight, connects...). */
  mqttStats(): PublisherStats {
    return { connected: this.connected, window: this.#window, inflight: this.#inflight, published: this.#published, acked: this.#acked, errors: this.#errors, deadLettered: this.#deadLettered, connects: this.#connects, peakOnWire: this.#peakOnWire, replay: this.#pacer.progress() };
  }

  stats(): DestinationStats {
    const outbox = this.#o.outbox;
    const c = this.#cursor;
    this.#meter.mark(c.acked);
    const rate = this.#meter.rate();
    const depth = c.pending;
    return {
      name: MQTT_DESTINATION,
      type: 'mqtt',
      up: this.connected,
      depth,
      oldestAgeMs: outbox.oldestAgeMs(MQTT_DESTINATION),
      rate,
      etaSeconds: rate > 0 ? Math.round(depth / rate) : undefined,
      sent: c.sent,
      acked: c.acked,
      deadLetters: outbox.deadLetterCounts().get(MQTT_DESTINATION) ?? 0,
      lastError: this.#lastError,
    };
  }

  async #run(): Promise<void> {
    const cfg = this.#o.config;
    const backoff = new Backoff({ minMs: cfg.reconnectMin, maxMs: Math.max(cfg.reconnectMin, cfg.reconnectMax) });
    const signal = this.#abort.signal;
    let failing = false;
    while (!signal.aborted && !this.#stopping) {
      let outcome: { connected: boolean; error?: Error };
      try {
        outcome = await this.#connectOnce();
      } catch (err) {
        outcome = { connected: false, error: err as Error };
      }
      const { connected, error } = outcome;
      if (connected) {
        backoff.reset();
        failing = false;
      } else if (!failing) {
        this.#noteError(`broker unreachable${error ? `: ${error.message}` : ''}`);
        this.#log.warn({ code: E.LS_MQTT_UNREACHABLE, url: redactUrlCredentials(cfg.url), err: error }, 'broker unreachable; buffering in the outbox and retrying with back-off');
        failing = true;
      }
      if (signal.aborted) break;
      await delay(backoff.next(), signal);
    }
  }

  /** One connection from attempt to close. Resolves when it is over. */
  #connectOnce(): Promise<{ connected: boolean; error?: Error }> {
    const cfg = this.#o.config;
    let opts;
    try {
      opts = clientOptions(cfg, this.#o.agentId, this.#statusTopic, this.#now());
    } catch (err) {
      return Promise.resolve({ connected: false, error: err as Error });
    }
    return new Promise((resolve) => {
      let connected = false;
      let error: Error | undefined;
      const client = mqtt.connect(cfg.url, opts);
      const onAbort = () => {
        client.end(true);
        // end() is a no-op while a graceful end (stop()'s endAsync) still waits for PUBACKs that a
        // stalled broker never sends; destroying the socket ends the connection in every state.
        client.stream?.destroy();
      };
      this.#abort.signal.addEventListener('abort', onAbort, { once: true });
      client.on('error', (err) => {
        error = err;
        this.#log.debug({ err }, 'mqtt error');
      });
      // Outstanding QoS 1/2 publishes as the broker sees them, counted on the wire, so the
      // window is checked independently of our own bookkeeping (stats().peakOnWire).
      let onWire = 0;
      client.on('packetsend', (packet) => {
        if (packet.cmd === 'publish' && packet.qos > 0 && ++onWire > this.#peakOnWire) this.#peakOnWire = onWire;
      });
      client.on('packetreceive', (packet) => {
        if (packet.cmd === 'puback' || packet.cmd === 'pubcomp') onWire--;
      });
      client.on('connect', (connack) => {
        connected = true;
        this.#onConnected(client, connack);
      });
      client.on('close', () => {
        this.#abort.signal.removeEventListener('abort', onAbort);
        if (this.#client === client) this.#onDisconnected(error);
        client.end(true);
        client.removeAllListeners();
        // A late error from a dead socket must not become an unhandled 'error' event.
        client.on('error', () => {});
        resolve({ connected, ...(error ? { error } : {}) });
      });
    });
  }

  #onConnected(client: MqttClient, connack: IConnackPacket): void {
    this.#client = client;
    this.#connects++;
    // Publishes go out in bursts when the window refills; Nagle would hold them for a round trip.
    (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    const brokerMax = connack.properties?.receiveMaximum;
    this.#window = Math.max(1, Math.min(this.#o.config.inflight, brokerMax ?? Infinity));
    this.#inflight = 0;
    void this.publishDirect(this.#statusTopic, onlineStatus(this.#o.agentId, this.#now(), this.#o.version, this.#o.configHash), true).then((acked) => {
      if (!acked) this.#log.warn('birth message not acknowledged');
    });
    // Everything not acknowledged goes again, from the oldest; everything committed so far is backlog.
    const session = this.#cursor.begin();
    this.#log.info({ url: redactUrlCredentials(this.#o.config.url), window: this.#window, protocolVersion: this.#o.config.protocolVersion, sessionPresent: connack.sessionPresent, backlog: session.backlog, ordering: this.#o.config.ordering }, 'connected to broker');
    this.#pacer.begin(session.backlog > 0 ? session.boundary : 0, session.backlog);
    for (const hook of this.#hooks) {
      try {
        hook(client);
      } catch (err) {
        this.#log.error({ err }, 'connect hook failed');
      }
    }
    this.#schedulePump();
  }

  #noteError(message: string): void {
    this.#lastError = { at: new Date(this.#now()).toISOString(), message };
  }

  #onDisconnected(error: Error | undefined): void {
    if (!this.#stopping) this.#noteError(`connection lost${error ? `: ${error.message}` : ''}`);
    if (this.#stopping) this.#log.info({ inflight: this.#inflight }, 'disconnected from broker');
    else this.#log.warn({ code: E.LS_MQTT_DISCONNECTED, err: error, inflight: this.#inflight, depth: this.#o.outbox.stats().depth }, 'broker connection lost; buffering in the outbox');
    this.#client = undefined;
    this.#inflight = 0;
    for (const d of [...this.#direct, ...this.#directInflight]) d.resolve(false);
    this.#direct = [];
    this.#directInflight.clear();
    clearTimeout(this.#pacerTimer);
    this.#pacerTimer = undefined;
    this.#cursor.end();
  }

  get #cursor(): DestinationCursor {
    return this.#o.outbox.cursor(MQTT_DESTINATION);
  }

  // Whatever went wrong with one batch, the agent keeps running; the rows stay in the outbox.
  readonly #pumpSoon = new Coalesced(() => this.#pumpFailures.run(() => this.#pump()));

  #schedulePump(): void {
    this.#pumpSoon.request();
  }

  #pump(): void {
    const client = this.#client;
    if (!client?.connected) return;
    while (this.#direct.length && this.#inflight < this.#window) this.#sendDirect(client, this.#direct.shift()!);
    const cursor = this.#cursor;
    // Live first: it never waits behind the backlog.
    while (this.#inflight < this.#window) {
      const rows = cursor.takeLive(this.#window - this.#inflight);
      if (rows.length === 0) break;
      for (const row of rows) this.#send(client, cursor, row, false);
    }
    if (this.#pacerTimer) return;
    while (this.#inflight < this.#window) {
      const backlog = !cursor.replayDone;
      let max = this.#window - this.#inflight;
      if (backlog) {
        const wait = Math.max(this.#retryAt - this.#now(), 0);
        max = wait > 0 ? 0 : this.#pacer.take(max);
        if (max === 0) {
          this.#pacerTimer = setTimeout(() => {
            this.#pacerTimer = undefined;
            this.#schedulePump();
          }, Math.max(wait, this.#pacer.waitMs()));
          return;
        }
      } else this.#pacer.finish();
      const rows = cursor.takeReplay(max);
      if (rows.length === 0) {
        if (cursor.replayDone) this.#pacer.finish();
        return;
      }
      for (const row of rows) this.#send(client, cursor, row, cursor.isReplay(row.seq));
    }
  }

  #send(client: MqttClient, cursor: DestinationCursor, row: OutboxRow, replay: boolean): void {
    const payload = encodeEnvelope(this.#o.agentId, row, this.#now(), replay);
    this.#inflight++;
    this.#published++;
    client.publish(this.#topic(row.machine, row.kind), payload, { qos: this.#o.config.qos }, (err) => {
      if (client !== this.#client) return;
      this.#inflight--;
      if (err) {
        // A publish cut short by our own stop is not an error: it simply waits for the next start.
        if (this.#stopping) return;
        this.#errors++;
        this.#noteError(`publish of seq ${row.seq} refused: ${err.message}`);
        const verdict = judgeRejection(err);
        if (verdict?.action === 'dead-letter') {
          this.#deadLettered++;
          this.#o.outbox.deadLetter(MQTT_DESTINATION, row, verdict.code, verdict.reason);
          this.#log.warn({ code: E.LS_MQTT_REJECTED, seq: row.seq, reasonCode: verdict.code, reason: verdict.reason, topic: this.#topic(row.machine, row.kind) }, 'broker refused a publish for good; it is a dead letter now');
        } else if (verdict) {
          // "Not now": again from the replay lane after a pause, behind nothing else.
          cursor.retry(row);
          this.#retryAt = this.#now() + RETRY_PAUSE_MS;
          this.#rejected.fail(err, { seq: row.seq, reasonCode: verdict.code });
        } else {
          // Stays in the outbox; it goes again after the next reconnect.
          this.#rejected.fail(err, { seq: row.seq });
          return;
        }
        this.#schedulePump();
        return;
      }
      this.#rejected.ok();
      this.#acked++;
      this.#o.outbox.acked(MQTT_DESTINATION, [row]);
      if (replay) this.#pacer.acked(1);
      // Refill at once (coalesced per event-loop turn, so PUBACKs read together share one lease).
      // Waiting to refill in larger batches stalls against brokers without TCP_NODELAY (mosquitto's
      // default): their PUBACKs then wait for our delayed TCP ACK, ~40 ms per window.
      this.#schedulePump();
    });
  }

  #sendDirect(client: MqttClient, d: DirectPublish): void {
    this.#inflight++;
    this.#directInflight.add(d);
    client.publish(d.topic, d.payload, { qos: 1, retain: d.retain }, (err) => {
      if (client !== this.#client || !this.#directInflight.delete(d)) return;
      this.#inflight--;
      if (err) this.#log.warn({ err, topic: d.topic }, 'direct publish failed');
      d.resolve(!err);
      this.#schedulePump();
    });
  }

  #topic(machine: string, kind: EventKind): string {
    const key = `${machine}\u0000${kind}`;
    let t = this.#topics.get(key);
    if (t === undefined) {
      t = machineTopic(this.#o.root, machine, kind);
      this.#topics.set(key, t);
    }
    return t;
  }
}
