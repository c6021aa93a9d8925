// The Sparkplug B 3.0 edge node: a destination with its own outbox cursor (`sparkplug`). The agent
// is one edge node, each machine a device. A session is one MQTT connection: CONNECT with the
// NDEATH Will (bdSeq), subscribe to NCMD/DCMD (and the primary host's STATE), wait for the host to
// be online, then NBIRTH (seq 0) and a DBIRTH per machine whose link is up. Rows then go out as
// DDATA: live ones by exception, the backlog of the outage (everything committed before the births)
// paced at replayRate with every metric `is_historical`. Sparkplug publishes at QoS 0, so a row
// leaves the outbox only when the broker answered a SUBSCRIBE sent after it (packets of one
// connection are handled in order): a connection lost before that sends it again, as history.
import type { MqttClient } from 'mqtt';
import type { MachineConfig } from '../../../config/schema/index.ts';
import { redactUrlCredentials } from '../../../config/redact.ts';
import { E } from '../../errors.ts';
import { Backoff, delay } from '../../lifecycle/backoff.ts';
import { withTimeout } from '../../lifecycle/component.ts';
import { Incidents, type Incident } from '../../lifecycle/incident.ts';
import { Coalesced } from '../../lifecycle/coalesced.ts';
import type { Logger } from '../../log.ts';
import type { DestinationCursor } from '../../outbox/cursor.ts';
import type { DestinationSpec, Outbox, OutboxRow } from '../../outbox/outbox.ts';
import { backlogFigures, RateMeter, type Destination, type DestinationStats } from '../destination.ts';
import { ReplayPacer } from '../replay-pacer.ts';
import { BdSeqStore } from './bdseq-store.ts';
import { bdSeqMetric, ndeathPayload, sparkplugClientOptions } from './client-options.ts';
import { connectOnce } from './connection.ts';
import { readCommand, REBIRTH_METRIC, ThrottledLog, type CommandPort } from './commands.ts';
import { deviceTags, type SparkplugSettings } from './device-config.ts';
import { DeviceLinks, type LinkPort } from './device-links.ts';
import { PrimaryHostState } from './host-state.ts';
import { commandReplyMetric, DeviceModel, MAPPED_KINDS, type DeviceFacts } from './metric-map.ts';
import { DataType, encodePayload, type SpMetric } from './payload.ts';
import { deviceTopic, nodeTopic, parseCommandTopic, stateTopic, type EdgeNode } from './topics.ts';

export const SPARKPLUG_DESTINATION = 'sparkplug';

export type SparkplugOutboxPort = Pick<Outbox, 'cursor' | 'acked' | 'onCommit' | 'oldestAgeMs' | 'deadLetterCounts'>;
export type { LinkPort };

/** The outbox takes for this destination only the kinds it maps (drop reports come along). */
export function sparkplugSpec(s: Pick<SparkplugSettings, 'machines'>): DestinationSpec {
  return { name: SPARKPLUG_DESTINATION, filter: { kinds: [...MAPPED_KINDS], ...(s.machines ? { machines: s.machines } : {}) } };
}

export interface SparkplugOptions {
  settings: SparkplugSettings;
  machines: readonly MachineConfig[];
  dataDir: string;
  agentId: string;
  version: string;
  outbox: SparkplugOutboxPort;
  commands: CommandPort;
  log: Logger;
  now?: () => number;
  incidents?: Incidents;
}

const BAD_COMMAND_LOG_EVERY_MS = 60_000;

export class SparkplugDestination implements Destination {
  readonly name = SPARKPLUG_DESTINATION;
  readonly #o: SparkplugOptions;
  readonly #s: SparkplugSettings;
  readonly #node: EdgeNode;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #store: BdSeqStore;
  readonly #models = new Map<string, DeviceModel>();
  readonly #host = new PrimaryHostState();
  readonly #pacer: ReplayPacer;
  readonly #meter: RateMeter;
  readonly #session: Incident;
  readonly #hostOffline: Incident;
  readonly #pumpFailures: Incident;
  readonly #abort = new AbortController();
  readonly #links: DeviceLinks;
  readonly #born = new Set<string>();
  #client: MqttClient | undefined;
  #facts: ((machine: string) => DeviceFacts | undefined) | undefined;
  #bdSeq = -1;
  #seq = 0;
  #nodeBorn = false;
  #barrier = false;
  /** This session is being ended on purpose (the primary host went offline): not an outage. */
  #leaving = false;
  #running = false;
  #loop: Promise<void> | undefined;
  #unsubscribe: (() => void) | undefined;
  #linkTimer: NodeJS.Timeout | undefined;
  #pacerTimer: NodeJS.Timeout | undefined;
  #sent = 0;
  #acked = 0;
  #lastError: { at: string; message: string } | undefined;
  readonly #devices: ReadonlySet<string>;
  readonly #ignored: ThrottledLog;

  constructor(opts: SparkplugOptions) {
    this.#o = opts;
    this.#s = opts.settings;
    this.#node = { groupId: opts.settings.groupId, edgeNodeId: opts.settings.edgeNodeId };
    this.#log = opts.log.child({ component: 'sparkplug', destination: SPARKPLUG_DESTINATION });
    this.#now = opts.now ?? Date.now;
    this.#store = new BdSeqStore(opts.dataDir);
    const wanted = opts.settings.machines && new Set(opts.settings.machines);
    for (const m of opts.machines) {
      if (wanted && !wanted.has(m.id)) continue;
      const { tags, types } = deviceTags(m);
      this.#models.set(m.id, new DeviceModel(m.id, tags, types));
    }
    this.#devices = new Set(this.#models.keys());
    this.#links = new DeviceLinks([...this.#models.keys()]);
    this.#ignored = new ThrottledLog(BAD_COMMAND_LOG_EVERY_MS, this.#now, (f) => this.#log.warn({ code: E.LS_MQTT_SPARKPLUG_BAD_COMMAND, ...f }, 'Sparkplug command ignored'));
    this.#pacer = new ReplayPacer(this.#s.replayRate, Math.max(1, Math.min(this.#s.window, Math.ceil(this.#s.replayRate / 10))), this.#log, this.#now);
    this.#meter = new RateMeter(this.#now);
    const incidents = opts.incidents ?? new Incidents(this.#log, this.#now);
    this.#session = incidents.get({ name: SPARKPLUG_DESTINATION, failed: `no Sparkplug session with ${redactUrlCredentials(this.#s.url)}`, meanwhile: 'buffering in the outbox (sent with is_historical once a session is back) and reconnecting with back-off', code: E.LS_MQTT_SPARKPLUG_UNREACHABLE, level: 'warn' });
    this.#hostOffline = incidents.get({ name: `${SPARKPLUG_DESTINATION}:primary-host`, failed: `primary host application "${this.#s.primaryHostId ?? ''}" is not online`, meanwhile: 'no births; buffering in the outbox', code: E.LS_MQTT_SPARKPLUG_HOST_OFFLINE, level: 'warn' });
    this.#pumpFailures = incidents.get({ name: `${SPARKPLUG_DESTINATION}:pump`, failed: 'publishing Sparkplug data failed', meanwhile: 'retrying on the next commit' });
  }

  /** Where machine link states come from (the fleet, built after the destinations). */
  setLinks(links: LinkPort): void {
    this.#links.port = links;
  }

  /** Where a machine's current state and job come from (the pipeline, built after the destinations). */
  setFacts(facts: (machine: string) => DeviceFacts | undefined): void {
    this.#facts = facts;
  }

  async start(): Promise<void> {
    this.#running = true;
    this.#unsubscribe = this.#o.outbox.onCommit(() => this.#schedulePump());
    this.#linkTimer = setInterval(() => this.#pumpFailures.run(() => this.#checkLinks()), this.#s.linkCheckInterval);
    this.#log.info({ url: redactUrlCredentials(this.#s.url), groupId: this.#node.groupId, edgeNodeId: this.#node.edgeNodeId, devices: [...this.#models.keys()], primaryHostId: this.#s.primaryHostId ?? null }, 'sparkplug edge node started');
    this.#loop = this.#run().catch((err: unknown) => this.#log.error({ err }, 'sparkplug loop failed'));
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#unsubscribe?.();
    clearInterval(this.#linkTimer);
    clearTimeout(this.#pacerTimer);
    const client = this.#client;
    if (client?.connected) {
      try {
        // tck-id-operational-behavior-edge-node-intentional-disconnect-ndeath: NDEATH, then DISCONNECT
        // (MQTT 5: "disconnect with Will message", tck-id-payloads-ndeath-will-message-publisher-disconnect-mqtt50).
        await withTimeout(client.publishAsync(nodeTopic(this.#node, 'NDEATH'), ndeathPayload(this.#bdSeq, this.#now()), { qos: 1, retain: false }), 2000, 'NDEATH');
        await withTimeout(client.endAsync(false, this.#s.protocolVersion === 5 ? { reasonCode: 4 } : {}), 2000, 'sparkplug disconnect');
      } catch (err) {
        this.#log.warn({ err }, 'clean Sparkplug disconnect failed');
      }
    }
    this.#abort.abort();
    client?.end(true);
    await this.#loop;
    try {
      this.#cursor.end();
    } catch {
      // the outbox is not open: no session to end
    }
  }

  stats(): DestinationStats {
    const { depth, oldestAgeMs, deadLetters } = backlogFigures(SPARKPLUG_DESTINATION, () => this.#cursor, this.#o.outbox);
    const rate = this.#meter.rate();
    return { name: SPARKPLUG_DESTINATION, type: 'sparkplug', up: this.#nodeBorn && this.#client?.connected === true, depth, oldestAgeMs, rate, etaSeconds: rate > 0 ? Math.round(depth / rate) : undefined, sent: this.#sent, acked: this.#acked, deadLetters, lastError: this.#lastError };
  }

  get #cursor(): DestinationCursor {
    return this.#o.outbox.cursor(SPARKPLUG_DESTINATION);
  }

  async #run(): Promise<void> {
    const backoff = new Backoff({ minMs: this.#s.reconnectMin, maxMs: Math.max(this.#s.reconnectMin, this.#s.reconnectMax) });
    const signal = this.#abort.signal;
    while (!signal.aborted && this.#running) {
      let outcome: { connected: boolean; error?: Error };
      try {
        outcome = await this.#connectOnce();
      } catch (err) {
        outcome = { connected: false, error: err as Error };
      }
      if (outcome.connected) backoff.reset();
      if (signal.aborted || !this.#running) break;
      const leaving = this.#leaving;
      this.#leaving = false;
      if (leaving) {
        await delay(this.#s.reconnectMin, signal);
        continue;
      }
      const reason = outcome.error?.message ?? (outcome.connected ? 'connection closed' : 'not connected');
      this.#lastError = { at: new Date(this.#now()).toISOString(), message: reason };
      this.#session.fail(outcome.error ?? new Error(reason), { url: redactUrlCredentials(this.#s.url) });
      await delay(backoff.next(), signal);
    }
  }

  /** One connection, from CONNECT to close. */
  #connectOnce(): Promise<{ connected: boolean; error?: Error }> {
    // Durable before the CONNECT goes out: a crash never makes the next session reuse it.
    const bdSeq = this.#store.take();
    const opts = sparkplugClientOptions(this.#s, nodeTopic(this.#node, 'NDEATH'), bdSeq, this.#now());
    return connectOnce(this.#s.url, opts, this.#abort.signal, {
      connected: (client) => this.#onConnected(client, bdSeq),
      message: (client, topic, payload, retained) => {
        if (client === this.#client) this.#pumpFailures.run(() => this.#onMessage(topic, payload, retained));
      },
      closed: (client) => {
        if (this.#client === client) this.#onClosed();
      },
      error: (err) => this.#log.debug({ err }, 'sparkplug mqtt error'),
    });
  }

  #onConnected(client: MqttClient, bdSeq: number): void {
    this.#client = client;
    this.#bdSeq = bdSeq;
    this.#nodeBorn = false;
    this.#barrier = false;
    this.#host.reset();
    (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    const topics = [nodeTopic(this.#node, 'NCMD'), `spBv1.0/${this.#node.groupId}/DCMD/${this.#node.edgeNodeId}/+`];
    if (this.#s.primaryHostId) topics.push(stateTopic(this.#s.primaryHostId));
    // Commands (and the host's STATE) are subscribed before the births (tck-id-message-flow-edge-node-ncmd-subscribe).
    client.subscribe(topics, { qos: 1 }, (err) => {
      if (client !== this.#client) return;
      if (err) {
        this.#log.warn({ err, topics }, 'cannot subscribe to Sparkplug commands; reconnecting');
        client.end(true);
        return;
      }
      this.#session.ok();
      this.#log.info({ url: redactUrlCredentials(this.#s.url), bdSeq, primaryHostId: this.#s.primaryHostId ?? null }, 'sparkplug connected');
      if (!this.#s.primaryHostId) this.#birth();
      else if (!this.#host.online) this.#hostOffline.fail('no online STATE yet', { hostId: this.#s.primaryHostId });
    });
  }

  #onClosed(): void {
    this.#client = undefined;
    this.#nodeBorn = false;
    this.#barrier = false;
    this.#born.clear();
    clearTimeout(this.#pacerTimer);
    this.#pacerTimer = undefined;
    // Rows published and not confirmed go again in the next session, as history.
    try {
      this.#cursor.end();
    } catch {
      // the outbox is closed already (stopping)
    }
  }

  #nextSeq(): number {
    const s = this.#seq;
    this.#seq = (this.#seq + 1) % 256;
    return s;
  }

  #publish(client: MqttClient, topic: string, metrics: SpMetric[], seq = this.#nextSeq()): void {
    client.publish(topic, Buffer.from(encodePayload({ timestamp: this.#now(), seq, metrics })), { qos: 0, retain: false });
  }

  /** NBIRTH (seq 0, same bdSeq as the Will) and a DBIRTH per live machine; then data may flow. */
  #birth(): void {
    const client = this.#client;
    if (!client?.connected) return;
    this.#seq = 0;
    this.#publish(client, nodeTopic(this.#node, 'NBIRTH'), [
      bdSeqMetric(this.#bdSeq),
      { name: REBIRTH_METRIC, datatype: DataType.Boolean, value: false },
      { name: 'Properties/Agent Id', datatype: DataType.String, value: this.#o.agentId },
      { name: 'Properties/Software Version', datatype: DataType.String, value: this.#o.version },
      { name: 'Properties/Devices', datatype: DataType.Int32, value: this.#models.size },
    ], this.#nextSeq());
    this.#born.clear();
    for (const machine of this.#models.keys()) if (this.#links.alive(machine)) this.#deviceBirth(client, machine);
    this.#nodeBorn = true;
    const c = this.#cursor;
    if (!c.session) {
      const s = c.begin();
      this.#pacer.begin(s.backlog > 0 ? s.boundary : 0, s.backlog);
      this.#log.info({ bdSeq: this.#bdSeq, devices: [...this.#born], backlog: s.backlog }, 'sparkplug births published');
    } else this.#log.info({ bdSeq: this.#bdSeq, devices: [...this.#born] }, 'sparkplug rebirth published');
    this.#schedulePump();
  }

  #deviceBirth(client: MqttClient, machine: string): void {
    const model = this.#models.get(machine)!;
    model.rebirthNeeded = false;
    const facts = this.#facts?.(machine);
    if (facts) model.seed(facts);
    this.#publish(client, deviceTopic(this.#node, 'DBIRTH', machine), model.birth());
    this.#born.add(machine);
  }

  /** DDEATH when a machine's link goes down, DBIRTH when it is back. */
  #checkLinks(): void {
    const client = this.#client;
    const live = this.#nodeBorn && client?.connected === true;
    for (const [machine, up] of this.#links.changes()) {
      if (!live) continue;
      if (!up && this.#born.delete(machine)) {
        this.#publish(client!, deviceTopic(this.#node, 'DDEATH', machine), []);
        this.#log.info({ machine }, 'sparkplug device death: machine link lost');
      } else if (up) {
        this.#deviceBirth(client!, machine);
        this.#log.info({ machine }, 'sparkplug device birth: machine link back');
      }
    }
  }

  #onMessage(topic: string, payload: Buffer, retained: boolean): void {
    const client = this.#client!;
    if (this.#s.primaryHostId && topic === stateTopic(this.#s.primaryHostId)) {
      const verdict = this.#host.receive(payload);
      if (verdict === 'online' && !this.#nodeBorn) {
        this.#hostOffline.ok();
        this.#birth();
      } else if (verdict === 'offline') {
        // tck-id-operational-behavior-edge-node-termination-host-offline: end this session; the next
        // CONNECT (new bdSeq) waits for the host again.
        this.#hostOffline.fail('offline STATE', { hostId: this.#s.primaryHostId });
        this.#leaving = true;
        client.publish(nodeTopic(this.#node, 'NDEATH'), ndeathPayload(this.#bdSeq, this.#now()), { qos: 1, retain: false }, () => client.end(false, this.#s.protocolVersion === 5 ? { reasonCode: 4 } : {}));
        this.#nodeBorn = false;
      }
      return;
    }
    const at = parseCommandTopic(this.#node, topic);
    // Commands are never retained (spec 3.0); a retained one is stale and would repeat on every barrier.
    if (!at || retained) return;
    const cmd = readCommand(at.verb, at.verb === 'DCMD' ? at.device : undefined, payload, this.#devices, this.#o.commands);
    for (const reason of cmd.ignored) this.#ignored.note({ topic, reason });
    if (cmd.rebirth && this.#nodeBorn) this.#birth();
    const device = cmd.device;
    if (device === undefined || cmd.replies.length === 0 || !this.#nodeBorn || !this.#born.has(device) || !client.connected) return;
    const at_ = this.#now();
    this.#publish(client, deviceTopic(this.#node, 'DDATA', device), cmd.replies.map((r) => ({ name: commandReplyMetric(r.name), datatype: DataType.String, value: JSON.stringify(r.reply), timestamp: at_ })));
  }

  readonly #pumpSoon = new Coalesced(() => this.#pumpFailures.run(() => this.#pump()));

  #schedulePump(): void {
    if (this.#running) this.#pumpSoon.request();
  }

  #pump(): void {
    const client = this.#client;
    if (!this.#running || !this.#nodeBorn || this.#barrier || !client?.connected) return;
    const c = this.#cursor;
    if (!c.session) return;
    const max = this.#s.window;
    const batch: OutboxRow[] = [];
    let replayed = 0;
    // Live first: it never waits behind the backlog.
    for (const row of c.takeLive(max)) {
      this.#sendRow(client, row, false);
      batch.push(row);
    }
    if (!this.#pacerTimer && batch.length < max) {
      let n = max - batch.length;
      if (!c.replayDone) {
        n = this.#pacer.take(n);
        if (n === 0) {
          this.#pacerTimer = setTimeout(() => {
            this.#pacerTimer = undefined;
            this.#schedulePump();
          }, this.#pacer.waitMs());
        }
      } else this.#pacer.finish();
      const rows = n > 0 ? c.takeReplay(n) : [];
      for (const row of rows) {
        const historical = c.isReplay(row.seq);
        this.#sendRow(client, row, historical);
        if (historical) replayed++;
        batch.push(row);
      }
      if (n > 0 && rows.length === 0 && c.replayDone) this.#pacer.finish();
    }
    if (c.replayDone) this.#publishCurrentFromHistory(client);
    if (batch.length > 0) this.#confirm(client, batch, replayed);
  }

  /** The backlog is out: what it made current goes to the real-time tags too. */
  #publishCurrentFromHistory(client: MqttClient): void {
    for (const machine of this.#born) {
      const metrics = this.#models.get(machine)!.takeCurrentFromHistory();
      if (metrics.length) this.#publish(client, deviceTopic(this.#node, 'DDATA', machine), metrics);
    }
  }

  /** One row: DDATA of the metrics it changes (all of them, historical, when it is backlog). */
  #sendRow(client: MqttClient, row: OutboxRow, historical: boolean): void {
    const model = this.#models.get(row.machine);
    if (!model) return;
    // A device that is dead (link down) or unborn keeps only the latest values, for its next DBIRTH.
    if (!this.#born.has(row.machine)) {
      model.apply(row, false);
      model.rebirthNeeded = false;
      return;
    }
    const metrics = model.apply(row, historical);
    if (model.rebirthNeeded) {
      // A metric the DBIRTH lacked: the device is born again with it (current values included).
      this.#deviceBirth(client, row.machine);
      if (!historical) return;
    }
    if (metrics.length === 0) return;
    this.#publish(client, deviceTopic(this.#node, 'DDATA', row.machine), metrics);
    this.#sent++;
  }

  /** The broker answers a SUBSCRIBE only after the QoS 0 publishes before it: then the rows are delivered. */
  #confirm(client: MqttClient, batch: OutboxRow[], replayed: number): void {
    this.#barrier = true;
    const opts = this.#s.protocolVersion === 5 ? { qos: 1 as const, rh: 1 } : { qos: 1 as const };
    client.subscribe(nodeTopic(this.#node, 'NCMD'), opts, (err) => {
      if (client !== this.#client) return;
      this.#barrier = false;
      if (err) {
        this.#lastError = { at: new Date(this.#now()).toISOString(), message: `confirming delivery failed: ${err.message}` };
        for (const row of batch) this.#cursor.retry(row);
      } else {
        this.#o.outbox.acked(SPARKPLUG_DESTINATION, batch);
        this.#acked += batch.length;
        this.#meter.mark(this.#acked);
        if (replayed) this.#pacer.acked(replayed);
      }
      this.#schedulePump();
    });
  }
}
