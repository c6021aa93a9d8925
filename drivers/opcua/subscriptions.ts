// Subscribe mode: tags spread over subscriptions of at most maxItemsPerSubscription monitored
// items, created in batched CreateMonitoredItems calls (one per sampling/queue/deadband setting).
// A watchdog rebuilds a subscription that went silent; items the server refused (e.g. a node id
// that vanished after a PLC download) are reported bad and retried until they come back.
import {
  AttributeIds,
  DataChangeFilter,
  DataChangeTrigger,
  DeadbandType,
  TimestampsToReturn,
  type ClientSession,
  type ClientSubscription,
  type DataValue,
} from 'node-opcua';
import type { Logger } from 'pino';
import type { OpcuaConnectionConfig, OpcuaTagConfig } from '../../config/schema/index.ts';
import type { Reading } from '../driver.ts';
import { chunk } from './poll.ts';
import { badReading, qualityOf, toReading } from './values.ts';
import { SilenceWatchdog, silenceLimit } from './watchdog.ts';

/** Monitored items per CreateMonitoredItems request; keeps a 10k-item start in modest messages. */
const ITEMS_PER_CALL = 1000;
/** How often items the server refused are tried again. */
export const RETRY_FAILED_MS = 10_000;

export interface SubscriptionSetOptions {
  conn: OpcuaConnectionConfig;
  tags: readonly OpcuaTagConfig[];
  now: () => number;
  emit: (readings: Reading[]) => void;
  log: Logger;
  onLost: (err: Error) => void;
  retryFailedMs?: number;
}

interface Managed {
  tags: readonly OpcuaTagConfig[];
  sub: ClientSubscription | undefined;
  watchdog: SilenceWatchdog;
  failed: OpcuaTagConfig[];
  rebuilding: boolean;
}

function paramsKey(t: OpcuaTagConfig): string {
  return `${t.samplingInterval ?? ''}|${t.queueSize ?? ''}|${t.deadband?.type ?? ''}|${t.deadband?.value ?? ''}`;
}

export class SubscriptionSet {
  #session: ClientSession;
  #o: SubscriptionSetOptions;
  #managed: Managed[] = [];
  #timer: NodeJS.Timeout | undefined;
  #pending: Reading[] = [];
  #stopped = false;
  #lastRetry = 0;
  /** Subscriptions rebuilt by the watchdog (tests and status read it). */
  rebuilds = 0;

  constructor(session: ClientSession, o: SubscriptionSetOptions) {
    this.#session = session;
    this.#o = o;
  }

  async start(): Promise<void> {
    const { conn, now } = this.#o;
    const limit = silenceLimit(conn.publishingInterval, conn.keepAliveCount);
    for (const tags of chunk(this.#o.tags, conn.maxItemsPerSubscription)) {
      const m: Managed = { tags, sub: undefined, watchdog: new SilenceWatchdog(limit, now), failed: [], rebuilding: false };
      this.#managed.push(m);
      await this.#build(m);
    }
    this.#lastRetry = now();
    this.#timer = setInterval(() => void this.#check(), Math.min(1000, Math.max(100, conn.publishingInterval)));
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    for (const m of this.#managed) m.sub?.removeAllListeners();
  }

  get itemCount(): number {
    return this.#managed.reduce((n, m) => n + m.tags.length - m.failed.length, 0);
  }

  async #build(m: Managed): Promise<void> {
    const { conn } = this.#o;
    const sub = await this.#session.createSubscription2({
      requestedPublishingInterval: conn.publishingInterval,
      requestedMaxKeepAliveCount: conn.keepAliveCount,
      requestedLifetimeCount: conn.keepAliveCount * 6,
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 1,
    });
    m.sub = sub;
    m.failed = [];
    m.watchdog.touch();
    sub.on('keepalive', () => m.watchdog.touch());
    sub.on('received_notifications', () => m.watchdog.touch());
    sub.on('status_changed', (status) => {
      // Bad statuses (BadTimeout: the server expired it) end the subscription; good ones are informational.
      if (qualityOf(status) !== 'bad') return;
      this.#o.log.warn({ status: status.name }, 'OPC UA subscription ended by the server; rebuilding it');
      void this.#rebuild(m);
    });
    await this.#monitor(m, sub, m.tags);
  }

  /** Create monitored items for `tags` on `sub`, grouped by their monitoring parameters. */
  async #monitor(m: Managed, sub: ClientSubscription, tags: readonly OpcuaTagConfig[], retry = false): Promise<void> {
    const groups = new Map<string, OpcuaTagConfig[]>();
    for (const t of tags) {
      const k = paramsKey(t);
      groups.set(k, [...(groups.get(k) ?? []), t]);
    }
    for (const same of groups.values()) {
      for (const batch of chunk(same, ITEMS_PER_CALL)) {
        const group = await sub.monitorItems(
          batch.map((t) => ({ nodeId: t.nodeId, attributeId: AttributeIds.Value })),
          this.#parameters(batch[0]!),
          TimestampsToReturn.Both,
        );
        group.on('changed', (_item: unknown, dv: DataValue, index: number) => this.#push(batch[index]!.name, dv));
        const ts = this.#o.now();
        group.monitoredItems.forEach((item, i) => {
          if (qualityOf(item.statusCode) === 'bad') {
            m.failed.push(batch[i]!);
            this.#queue(badReading(batch[i]!.name, ts));
          }
        });
      }
    }
    // Logged once when refused; the periodic retries stay quiet until an item comes back.
    if (m.failed.length && !retry) this.#o.log.warn({ failed: m.failed.slice(0, 10).map((t) => `${t.name} (${t.nodeId})`), count: m.failed.length }, 'OPC UA server refused some monitored items; they read bad and are retried');
  }

  #parameters(t: OpcuaTagConfig) {
    const { conn } = this.#o;
    const filter = t.deadband
      ? new DataChangeFilter({
          trigger: DataChangeTrigger.StatusValue,
          deadbandType: t.deadband.type === 'absolute' ? DeadbandType.Absolute : DeadbandType.Percent,
          deadbandValue: t.deadband.value,
        })
      : null;
    return { samplingInterval: t.samplingInterval ?? conn.samplingInterval, queueSize: t.queueSize ?? conn.queueSize, discardOldest: true, filter };
  }

  #push(tag: string, dv: DataValue): void {
    this.#queue(toReading(tag, dv, this.#o.now()));
  }

  // One notification message carries many changes; hand them to the runner as one batch.
  #queue(r: Reading): void {
    if (!this.#pending.length) queueMicrotask(() => this.#flush());
    this.#pending.push(r);
  }

  #flush(): void {
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length && !this.#stopped) this.#o.emit(batch);
  }

  async #check(): Promise<void> {
    if (this.#stopped) return;
    for (const m of this.#managed) {
      if (!m.rebuilding && m.watchdog.isSilent()) {
        this.#o.log.warn({ silentMs: m.watchdog.silentForMs, items: m.tags.length }, 'OPC UA subscription went silent; rebuilding it');
        const ts = this.#o.now();
        for (const t of m.tags) this.#queue(badReading(t.name, ts));
        await this.#rebuild(m);
      }
    }
    if (this.#o.now() - this.#lastRetry >= (this.#o.retryFailedMs ?? RETRY_FAILED_MS)) {
      this.#lastRetry = this.#o.now();
      for (const m of this.#managed) if (m.failed.length && m.sub && !m.rebuilding) await this.#retryFailed(m, m.sub);
    }
  }

  async #retryFailed(m: Managed, sub: ClientSubscription): Promise<void> {
    const again = m.failed;
    m.failed = [];
    try {
      await this.#monitor(m, sub, again, true);
      const back = again.length - m.failed.length;
      if (back > 0) this.#o.log.info({ count: back }, 'OPC UA monitored items recovered');
    } catch (err) {
      m.failed.push(...again.filter((t) => !m.failed.includes(t)));
      this.#o.log.debug({ err }, 'retrying refused monitored items failed');
    }
  }

  async #rebuild(m: Managed): Promise<void> {
    if (m.rebuilding || this.#stopped) return;
    m.rebuilding = true;
    this.rebuilds++;
    const old = m.sub;
    m.sub = undefined;
    old?.removeAllListeners();
    try {
      if (old) await Promise.race([old.terminate().catch(() => {}), new Promise((r) => setTimeout(r, 2000).unref())]);
      await this.#build(m);
      this.#o.log.info({ items: m.tags.length }, 'OPC UA subscription rebuilt');
    } catch (err) {
      // The session itself is unusable: let the runner rebuild everything from the socket up.
      if (!this.#stopped) this.#o.onLost(new Error(`rebuilding a silent subscription failed: ${err instanceof Error ? err.message : String(err)}`));
    } finally {
      m.rebuilding = false;
    }
  }
}
